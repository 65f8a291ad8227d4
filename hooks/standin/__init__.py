"""The JVM stand-in for Android: fake framework classes with real signatures plus a scripted app."""

from hooks.standin.build import (
    BuildError,
    JdkNotFound,
    build,
    java_command,
    make_truststore,
    write_device_properties,
)

__all__ = ["BuildError", "JdkNotFound", "build", "java_command", "make_truststore", "write_device_properties"]

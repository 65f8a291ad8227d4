"""The JVM stand-in for Android: fake framework classes with real signatures plus a scripted app.

The API lives in ``hooks.standin.build`` and is re-exported here, so both
``import hooks.standin as standin; standin.java_command(standin.build(), ...)`` and
``from hooks.standin import build; build.java_command(build.build(), ...)`` work.
``tests.support.loopback_proxy`` runs a mitmdump that answers every host on loopback.
"""

from hooks.standin import build
from hooks.standin.build import (
    BuildError,
    JdkNotFound,
    device_properties,
    java_command,
    jdk_tool,
    make_truststore,
    screen_args,
    write_device_properties,
)

__all__ = ["BuildError", "JdkNotFound", "build", "device_properties", "java_command", "jdk_tool",
           "make_truststore", "screen_args", "write_device_properties"]

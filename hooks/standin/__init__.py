"""The JVM stand-in for Android: fake framework classes with real signatures plus a scripted app.

Use ``hooks.standin.build`` (``build``, ``java_command``, ``make_truststore``,
``write_device_properties``) and ``hooks.standin.loopback_proxy``.
"""

"""The compiled parts: the detector's one-pass scans (piiaudit/detect/_native.c) and the
flows.mitm record writer (piiaudit/_tnetstring.c).

Everything else is declared in pyproject.toml. Both extensions are optional: without a C
compiler the detector falls back to numpy and the record writer to mitmproxy's own, both
correct, only slower (`piiaudit doctor` says which is in use).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("piiaudit.detect._native", ["piiaudit/detect/_native.c"], extra_compile_args=["-O2"], optional=True),
    Extension("piiaudit._tnetstring", ["piiaudit/_tnetstring.c"], extra_compile_args=["-O2"], optional=True),
])

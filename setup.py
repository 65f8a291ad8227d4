"""The one compiled part: the detector's one-pass scans (piiaudit/detect/_native.c).

Everything else is declared in pyproject.toml. The extension is optional: without a C
compiler the detector falls back to numpy and stays correct, only slower
(`piiaudit doctor` says which one is in use).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("piiaudit.detect._native", ["piiaudit/detect/_native.c"],
                             extra_compile_args=["-O2"], optional=True)])

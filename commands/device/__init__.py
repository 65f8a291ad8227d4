"""Talking to a real device or emulator over adb: preflight checks and its known values."""

"""piiaudit: audit what a mobile app does with personal information, by watching it run."""

__version__ = "0.1.0"

"""Consent by UI automation: the app's privacy dialog found on the screen and answered through adb.

The one entry point is `run_consent_path` (driver.py; docs/consent-automation.md). The rooms:
`hierarchy` (uiautomator's XML), `labels` + labels.yaml (what the labels mean; the deny list),
`finder` (the dialog, its buttons and checkbox; permission prompts), `screen` (adb calls),
`journal` (rows and screenshots into the session), `explore` (the bounded walk), `recording`
(screenrecord).
"""
from commands.device.ui.driver import ANSWERS, PERMISSION_POLICIES, ConsentOutcome, run_consent_path

__all__ = ["ANSWERS", "PERMISSION_POLICIES", "ConsentOutcome", "run_consent_path"]

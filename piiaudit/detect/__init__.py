"""PII detection for flows: known values in every form SDKs send them, decoded layers,
locations near known fixes, and validated patterns. See docs/detection.md."""

from piiaudit.detect.detector import Detector
from piiaudit.detect.limits import ScanLimits, ScanResult

__all__ = ["Detector", "ScanLimits", "ScanResult"]

"""PII detection for flows: known values in every form SDKs send them, decoded layers,
locations near known fixes, and validated patterns. See docs/detection.md."""

from addon.detect.detector import Detector
from addon.detect.limits import ScanLimits, ScanResult

__all__ = ["Detector", "ScanLimits", "ScanResult"]

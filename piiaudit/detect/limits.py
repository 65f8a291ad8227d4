"""What one scan may cost, and what it returns.

The detector runs on the proxy's hot path on data that hostile software wrote, so every
kind of work it does has a ceiling. Hitting one is not an error: the scan goes on with
what fits and names the ceiling in `ScanResult.capped`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A compressed capture file (.zhar) is decompressed to at most this many bytes, by the same
# bounded decoders as a body (piiaudit.detect.decompress.bounded); the entries beyond are
# not read, and one line says so. A real HAR of this size is rare; decompress such a file
# yourself and pass the .har to read all of it.
MAX_FILE_DECOMPRESSED_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class ScanLimits:
    # Bytes of message bodies scanned per flow (request + response + WebSocket messages).
    # A longer body is scanned up to here and the flow is marked 'body_bytes'.
    max_body_bytes: int = 4 * 1024 * 1024
    # Output of all decompressions in one flow (content-encoding and compressed data
    # found inside fields). Bombs stop here: 'decompressed_size'.
    max_decompressed_bytes: int = 16 * 1024 * 1024
    # Layers of decoding below the message (base64 in JSON in a form field is 3): 'decode_depth'.
    max_decode_depth: int = 4
    # Encoded-looking tokens decoded per flow: 'decode_tokens'.
    max_decoded_tokens: int = 256
    # JSON nesting rendered in a location path ($.a.b...): 'json_depth'.
    max_json_path_depth: int = 64
    # Nested protobuf messages followed: 'protobuf_depth'.
    max_protobuf_depth: int = 16
    # WebSocket messages scanned per flow: 'ws_messages'.
    max_ws_messages: int = 2000
    # Hits reported per flow (after dedupe): 'hits'.
    max_hits: int = 500
    # Location: a coordinate pair within this distance of a known fix is a hit.
    location_radius_m: float = 200.0
    # Pattern hits below this confidence are not reported.
    min_pattern_confidence: float = 0.5

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_decompressed_bytes", "max_decode_depth", "max_decoded_tokens",
                     "max_json_path_depth", "max_protobuf_depth", "max_ws_messages", "max_hits"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"ScanLimits.{name} must be >= 0")
        if not self.location_radius_m > 0:
            raise ValueError("ScanLimits.location_radius_m must be > 0")
        if not 0 <= self.min_pattern_confidence <= 1:
            raise ValueError("ScanLimits.min_pattern_confidence must be within 0..1")


@dataclass
class ScanResult:
    hits: list[dict] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Budget:
    """The running cost of one scan_flow call, checked against ScanLimits."""

    __slots__ = ("limits", "body_bytes", "decompressed", "tokens", "capped", "errors")

    def __init__(self, limits: ScanLimits):
        self.limits = limits
        self.body_bytes = 0
        self.decompressed = 0
        self.tokens = 0
        self.capped: list[str] = []
        self.errors: list[str] = []

    def cap(self, name: str) -> None:
        if name not in self.capped:
            self.capped.append(name)

    def error(self, message: str) -> None:
        if len(self.errors) < 20 and message not in self.errors:
            self.errors.append(message)

    def take_body(self, n: int) -> int:
        """How many of the next n body bytes may be scanned."""
        room = max(0, self.limits.max_body_bytes - self.body_bytes)
        if n > room:
            self.cap("body_bytes")
            n = room
        self.body_bytes += n
        return n

    def decompress_room(self) -> int:
        return max(0, self.limits.max_decompressed_bytes - self.decompressed)

    def take_token(self) -> bool:
        if self.tokens >= self.limits.max_decoded_tokens:
            self.cap("decode_tokens")
            return False
        self.tokens += 1
        return True

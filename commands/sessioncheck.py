"""Commands that write a little to a finished session (a consent mark) keep its manifest current.

`refresh_manifest_after(store)`: the manifest is written again after the block only if the
session matched it before (piiaudit.integrity): a session changed outside piiaudit keeps its
old manifest, so the change is still found by `verify` and refused by analyze and report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from piiaudit import integrity, manifest
from piiaudit.store import SessionStore


@contextmanager
def refresh_manifest_after(store: SessionStore) -> Iterator[None]:
    has_manifest = store.manifest_path.exists()
    clean = has_manifest and not any(f.status in integrity.CHANGED_OUTSIDE
                                     for f in integrity.verify(store.dir).files)
    yield
    if clean:
        manifest.write(store)

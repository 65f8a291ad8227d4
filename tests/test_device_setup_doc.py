"""docs/device-setup.md shows the real `device setup --dry-run` output for Android 13 and 14.

Each block after a `<!-- dry-run: API NN -->` marker must equal what the command prints on the
adb double's fresh emulator of that API level (tests/support/dryrun.py): a change to setup,
to the canaries or to Frida's version changes the output, and then the page is updated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.dryrun import dry_run

DOC = Path(__file__).resolve().parents[1] / "docs" / "device-setup.md"


def block_after(marker: str) -> str:
    lines = DOC.read_text("utf-8").splitlines()
    start = lines.index(marker) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block) + "\n"


@pytest.mark.parametrize("sdk", [33, 34])
def test_the_page_shows_the_real_dry_run(tmp_path, monkeypatch, sdk):
    shown = block_after(f"<!-- dry-run: API {sdk} -->")
    assert shown.startswith("$ piiaudit device setup --dry-run")
    assert dry_run(sdk, tmp_path, monkeypatch) == shown


def test_the_page_starts_with_the_one_command_and_keeps_the_manual_steps_in_the_appendix():
    text = DOC.read_text("utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0] == "The one command"
    assert headings[-1].startswith("Appendix")
    first_block = re.search(r"^    (piiaudit .+)$", text, re.M).group(1)
    assert first_block.startswith("piiaudit device setup ")
    manual = text.index("## Appendix")
    for by_hand in ("adb shell iptables -A OUTPUT", "mount -t tmpfs tmpfs /system/etc/security/cacerts\n", "unxz "):
        assert text.index(by_hand) > manual, by_hand

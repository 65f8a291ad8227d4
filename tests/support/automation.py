"""The UI automation's rows written into a recording of the demo, as the consent driver writes them.

`add_automation(session_dir, answer)` writes `ui_actions` and `screens` rows (session schema 6)
and their captures (real PNGs of a phone-sized screen, drawn with Pillow) into a copy of a demo
recording, timed around the hooks' own events of the consent path: the privacy dialog
(dialog_shown), the tap the hooks saw (click), the runtime permission prompt
(permission_request). The automation's tap is sent a moment before the hooks see the click,
as it is on a device. Each write goes through SessionStore.write (the writes counter goes up,
as the driver's writes do), so the session is "written since its manifest" until the next
analysis writes the manifest again.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from piiaudit.store import SessionStore

WIDTH, HEIGHT = 1080, 2400
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def png(title: str, buttons: tuple[str, ...] = (), *, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """A screen as a PNG: a title, a dialog box and its buttons (Chinese where the font has it)."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    img = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype(FONT, 56)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((0, 0, w, 160), fill=(33, 99, 170))
    draw.text((40, 40), title, fill=(255, 255, 255), font=font)
    if buttons:
        draw.rectangle((80, h // 3, w - 80, h * 2 // 3), fill=(255, 255, 255), outline=(120, 120, 120), width=4)
        for i, label in enumerate(buttons):
            x0 = 120 + i * (w - 240) // len(buttons)
            draw.rectangle((x0, h * 2 // 3 - 200, x0 + (w - 320) // len(buttons), h * 2 // 3 - 60),
                           fill=(46, 139, 58) if i == len(buttons) - 1 else (200, 200, 200))
            draw.text((x0 + 30, h * 2 // 3 - 170), label, fill=(0, 0, 0), font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@dataclass
class Automation:
    """What was written: action ids by purpose, capture rows (file, id, ts, cause, action_id)."""

    actions: dict[str, int] = field(default_factory=dict)
    action_ts: dict[str, float] = field(default_factory=dict)
    screens: list[dict] = field(default_factory=list)

    def files(self, cause: str | None = None) -> list[str]:
        return [s["file"] for s in self.screens if cause is None or s["cause"] == cause]


def _one(store: SessionStore, sql: str, args: tuple = ()) -> dict:
    rows = store.rows(sql, args)
    assert rows, f"no row: {sql} {args}"
    return rows[0]


def strip_automation(session_dir: Path) -> Path:
    """A recording as the tester tapping would leave it: the demo's own UI automation (its
    ui_actions, screens, captures and consent marks) taken out, and the manifest written again."""
    from piiaudit import manifest

    store = SessionStore(session_dir, create=False)
    try:
        with store.conn:
            store.conn.execute("DELETE FROM ui_actions")
            store.conn.execute("DELETE FROM screens")
            store.conn.execute("DELETE FROM consent_marks WHERE source = 'automation'")
        shutil.rmtree(Path(session_dir) / "screens", ignore_errors=True)
        manifest.write(store)
    finally:
        store.close()
    return Path(session_dir)


def add_automation(session_dir: Path, answer: str = "accept") -> Automation:
    """The automation's consent path (`answer`: accept | decline), a permission prompt allowed, one
    explore tap, one refused tap on 支付, and a capture at the end, written into `session_dir` in
    place of the recording's own (strip_automation), so each test knows every row."""
    strip_automation(session_dir)
    store = SessionStore(session_dir, create=False)
    out = Automation()
    try:
        dialog = _one(store, "SELECT id, ts FROM events WHERE kind = 'dialog_shown' ORDER BY ts LIMIT 1")
        clicks = store.rows("SELECT id, ts, value, data FROM events WHERE kind = 'click' ORDER BY ts")
        perm = store.rows("SELECT id, ts FROM events WHERE kind = 'permission_request' ORDER BY ts LIMIT 1")
        (Path(session_dir) / "screens").mkdir(exist_ok=True)
        n = 0
        actions, screens = [], []

        def shot(ts: float, cause: str, title: str, buttons: tuple[str, ...] = (), *, action: str | None = None,
                 event_id: int | None = None) -> None:
            nonlocal n
            n += 1
            data = png(title, buttons)
            name = f"screens/{n:04d}-{cause}.png"
            (Path(session_dir) / name).write_bytes(data)
            row = {"id": n, "ts": ts, "file": name, "sha256": hashlib.sha256(data).hexdigest(), "kind": "png",
                   "width": WIDTH, "height": HEIGHT, "cause": cause,
                   "action_id": out.actions.get(action) if action else None, "event_id": event_id}
            screens.append(row)

        def act(key: str, ts: float, purpose: str, text: str | None, *, action: str = "tap", xy=(540, 1500),
                cls: str = "android.widget.Button", rid: str | None = None, detail: dict | None = None) -> None:
            aid = len(actions) + 1
            out.actions[key], out.action_ts[key] = aid, ts
            actions.append({"id": aid, "ts": ts, "action": action, "x": xy[0] if action == "tap" else None,
                            "y": xy[1] if action == "tap" else None, "target_text": text, "target_class": cls,
                            "target_id": rid, "purpose": purpose, "source": "automation",
                            "detail": json.dumps(detail or {}, ensure_ascii=False)})

        label = "同意" if answer == "accept" else "不同意"
        tap = next((c for c in clicks if label in (c["value"] or "") + (c["data"] or "")), clicks[0])
        gap = max(tap["ts"] - dialog["ts"], 0.01)   # the dialog first seen, then the capture before the tap
        shot(dialog["ts"] + gap / 4, "dialog", "隐私政策 Privacy", ("不同意", "同意"))
        purpose = "consent_accept" if answer == "accept" else "consent_decline"
        act("consent", tap["ts"] - gap / 8, purpose, label, xy=(800 if answer == "accept" else 280, 1400),
            detail={"by": "text", "matched": label, "dialog": "隐私政策"})
        shot(dialog["ts"] + gap / 2, "before_tap", "隐私政策 Privacy", ("不同意", "同意"), action="consent")
        shot(tap["ts"] + min(0.4, gap / 2), "after_tap", "首页 Home" if answer == "accept" else "您需要同意后才能继续",
             () if answer == "accept" else ("退出", "同意"), action="consent")
        if answer == "decline":
            exit_tap = next((c for c in clicks if c["ts"] > tap["ts"]), None)
            if exit_tap is not None:
                second_gap = max(exit_tap["ts"] - tap["ts"], 0.01)
                act("second", exit_tap["ts"] - second_gap / 8, "consent_second_prompt", "退出", xy=(280, 1400),
                    detail={"by": "text", "matched": "退出", "dialog": "您需要同意后才能继续"})
                shot(exit_tap["ts"] - second_gap / 4, "before_tap", "您需要同意后才能继续", ("退出", "同意"), action="second")
        if perm:
            p = perm[0]
            shot(p["ts"] + 0.1, "permission_prompt", "允许访问位置信息？", ("拒绝", "仅在使用中允许"), event_id=p["id"])
            act("permission", p["ts"] + 0.3, "permission_allow", "仅在使用该应用时允许", xy=(540, 1900),
                rid="com.android.permissioncontroller:id/permission_allow_foreground_only_button",
                detail={"policy": "allow"})
            shot(p["ts"] + 0.5, "after_tap", "附近门店 Nearby", action="permission")
        last = max([tap["ts"], *(p["ts"] for p in perm)]) + 1.0
        act("explore", last, "explore", "我的", xy=(900, 2300), cls="android.widget.TextView")
        shot(last - 0.05, "before_tap", "首页 Home", action="explore")
        act("refused", last + 0.5, "refused_unsafe", "立即支付", action="none",
            detail={"refused": "支付", "why": "pays"})
        shot(last + 1.0, "end", "我的 Me")
        store.write({"ui_actions": actions})
        store.write({"screens": screens})
        out.screens = screens
        return out
    finally:
        store.close()

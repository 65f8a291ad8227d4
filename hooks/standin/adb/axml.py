"""Android's binary XML (an APK's AndroidManifest.xml), read as far as a package manager needs it.

`manifest_facts(apk_path)` -> {"package", "split", "version_code", "permissions"} from the APK's
compiled manifest: the chunk format of AOSP's ResourceTypes.h (a string pool, then start/end
element chunks whose attributes point into the pool). Raises ValueError with the reason a
package manager would give when the file is not an APK. Standard library only: the adb double
runs without site-packages.
"""
from __future__ import annotations

import struct
import zipfile

RES_STRING_POOL = 0x0001
RES_XML = 0x0003
RES_XML_START_ELEMENT = 0x0102
UTF8_FLAG = 0x100
TYPE_STRING = 0x03


def _strings(data: bytes, at: int) -> list[str]:
    _, header_size, _ = struct.unpack_from("<HHI", data, at)
    count, _styles, flags, strings_start, _ = struct.unpack_from("<IIIII", data, at + 8)
    offsets = struct.unpack_from(f"<{count}I", data, at + header_size)
    base = at + strings_start
    out = []
    for off in offsets:
        p = base + off
        if flags & UTF8_FLAG:
            n = data[p]
            p += 2 if n & 0x80 else 1              # UTF-16 length, skipped
            n = data[p]
            if n & 0x80:
                n = ((n & 0x7F) << 8) | data[p + 1]
                p += 1
            p += 1
            out.append(data[p:p + n].decode("utf-8", "replace"))
        else:
            n = struct.unpack_from("<H", data, p)[0]
            if n & 0x8000:
                n = ((n & 0x7FFF) << 16) | struct.unpack_from("<H", data, p + 2)[0]
                p += 2
            p += 2
            out.append(data[p:p + 2 * n].decode("utf-16-le", "replace"))
    return out


def elements(data: bytes) -> list[tuple[str, dict[str, object]]]:
    """(element name, {attribute name: str or int}) in document order."""
    kind, header_size, size = struct.unpack_from("<HHI", data, 0)
    if kind != RES_XML:
        raise ValueError("not a binary XML file")
    strings: list[str] = []
    out = []
    at = header_size
    while at + 8 <= min(size, len(data)):
        ctype, _, csize = struct.unpack_from("<HHI", data, at)
        if csize < 8:
            raise ValueError("damaged binary XML chunk")
        if ctype == RES_STRING_POOL:
            strings = _strings(data, at)
        elif ctype == RES_XML_START_ELEMENT:
            body = at + 16
            _ns, name, attr_start, attr_size, attr_count = struct.unpack_from("<iiHHH", data, body)
            attrs: dict[str, object] = {}
            for i in range(attr_count):
                a = body + attr_start + i * attr_size
                _ans, aname, raw, _vsize, _res0, vtype, vdata = struct.unpack_from("<iiiHBBI", data, a)
                if raw >= 0:
                    attrs[strings[aname]] = strings[raw]
                elif vtype == TYPE_STRING:
                    attrs[strings[aname]] = strings[vdata]
                else:
                    attrs[strings[aname]] = vdata
            out.append((strings[name], attrs))
        at += csize
    return out


def manifest_facts(path: str) -> dict:
    try:
        with zipfile.ZipFile(path) as z:
            data = z.read("AndroidManifest.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise ValueError(f"INSTALL_PARSE_FAILED_NOT_APK: Failed to parse {path}: {e}") from None
    try:
        found = elements(data)
    except (ValueError, struct.error, IndexError) as e:
        raise ValueError(f"INSTALL_PARSE_FAILED_BAD_MANIFEST: {e}") from None
    manifest = next((attrs for name, attrs in found if name == "manifest"), None)
    if not manifest or not manifest.get("package"):
        raise ValueError("INSTALL_PARSE_FAILED_BAD_MANIFEST: <manifest> has no package")
    return {"package": str(manifest["package"]), "split": manifest.get("split"),
            "version_code": str(manifest.get("versionCode", "")),
            "permissions": sorted({str(a["name"]) for n, a in found if n == "uses-permission" and a.get("name")})}

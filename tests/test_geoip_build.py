"""scripts/build_geoip.py: the npm package's CSV ranges become the shipped sorted arrays.

Built here from a small package made in the test (the real one is 14 MB): gaps between
ranges become "no country", neighbours of one country merge, IPv6 is searched as 16-byte
big-endian strings, and the provenance file records the package, its licence and hashes.
"""

import hashlib
import importlib.util
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import yaml

from piiaudit import geoip

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_geoip.py"


def _tgz(path: Path, v4: str, v6: str) -> bytes:
    files = {"package/package.json": json.dumps({"name": "@ip-location-db/dbip-country", "version": "9.9.9",
                                                  "repository": {"url": "git+https://example.invalid/x.git"}}),
             "package/DBIP-LICENSE": "licensed under a Creative Commons Attribution 4.0 International License.",
             "package/dbip-country-ipv4-num.csv": v4, "package/dbip-country-ipv6-num.csv": v6}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_the_build_closes_gaps_merges_neighbours_and_records_provenance(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_geoip", SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    monkeypatch.setattr(build, "OUT", tmp_path / "out")
    v4 = "16777216,16777471,AU\n16777472,16778239,CN\n16778240,16779263,CN\n16781312,16785407,HK\n"
    hk6 = int.from_bytes(bytes.fromhex("24000000" + "00" * 12), "big")
    v6 = f"{hk6},{hk6 + (1 << 96) - 1},HK\n"
    raw = _tgz(tmp_path / "pkg.tgz", v4, v6)
    build.main(tmp_path / "pkg.tgz")

    with np.load(tmp_path / "out" / "dbip-country.npz") as z:
        db = geoip.CountryDB(z["countries"], z["v4_start"], z["v4_country"], z["v6_start"], z["v6_country"], {})
        codes = [str(db.countries[i]) for i in z["v4_country"]]
    # 0.0.0.0 (gap), 1.0.0.0 AU, 1.0.1.0 CN (two rows merged), 1.0.8.0 (gap), 1.0.16.0 HK, then the gap to the end
    assert codes == ["", "AU", "CN", "", "HK", ""]
    import ipaddress
    look = lambda a: db.lookup(ipaddress.ip_address(a))  # noqa: E731
    assert [look(a) for a in ("1.0.0.9", "1.0.2.1", "1.0.5.1", "1.0.9.1", "1.0.16.3", "9.9.9.9")] == [
        "AU", "CN", "CN", None, "HK", None]
    assert look("2400::1") == "HK" and look("2401::1") is None and look("2001:db8::1") is None

    meta = yaml.safe_load((tmp_path / "out" / "dbip-country.yaml").read_text("utf-8"))
    assert meta["package"] == "@ip-location-db/dbip-country@9.9.9 (npm)"
    assert meta["licence"].startswith("CC BY 4.0") and "Creative Commons" in meta["licence_text"]
    assert meta["tarball_sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["files"]["dbip-country-ipv4-num.csv"]["rows"] == 4
    assert meta["ranges"] == {"ipv4": 6, "ipv6": 3}

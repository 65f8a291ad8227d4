"""Build piiaudit/data/geoip/ from the npm package @ip-location-db/dbip-country.

    npm pack @ip-location-db/dbip-country        # a .tgz in the current directory
    python scripts/build_geoip.py ip-location-db-dbip-country-<version>.tgz

Reads the package's `dbip-country-ipv4-num.csv` and `dbip-country-ipv6-num.csv` (inclusive
ranges, ISO 3166-1 alpha-2 codes), closes the gaps between ranges with "no country",
merges neighbours of the same country and writes

- `dbip-country.npz`: the range starts (IPv4 as uint32, IPv6 as 16 big-endian bytes, which
  sort as the numbers do) and one country index per range (piiaudit.geoip reads it);
- `dbip-country.yaml`: where it came from: the package, its version, its licence text, the
  SHA-256 of the tarball and of both CSV files, the row counts before and after merging.

The data is DB-IP's "IP to Country Lite" under CC BY 4.0: shipped with attribution
(docs/crossborder.md). Nothing here touches the network.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "piiaudit" / "data" / "geoip"
FILES = {4: "package/dbip-country-ipv4-num.csv", 6: "package/dbip-country-ipv6-num.csv"}
BITS = {4: 32, 6: 128}


def _ranges(text: str, bits: int) -> tuple[list[int], list[str], int]:
    """Starts and codes with every gap closed by '' (no country), neighbours merged."""
    starts: list[int] = []
    codes: list[str] = []
    expected = 0
    rows = 0
    for first, last, code in csv.reader(io.StringIO(text)):
        rows += 1
        a, b = int(first), int(last)
        if a < expected:
            raise SystemExit(f"ranges overlap or are not sorted at {first}")
        if a > expected:
            starts.append(expected)
            codes.append("")
        starts.append(a)
        codes.append(code.strip().upper())
        expected = b + 1
    if expected < 1 << bits:
        starts.append(expected)
        codes.append("")
    merged_s: list[int] = []
    merged_c: list[str] = []
    for s, c in zip(starts, codes):
        if merged_c and merged_c[-1] == c:
            continue
        merged_s.append(s)
        merged_c.append(c)
    return merged_s, merged_c, rows


def main(tgz: Path) -> None:
    raw = tgz.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        package = json.loads(tar.extractfile("package/package.json").read())
        licence = tar.extractfile("package/DBIP-LICENSE").read().decode("utf-8")
        texts = {v: tar.extractfile(name).read() for v, name in FILES.items()}
    built = {v: _ranges(texts[v].decode("ascii"), BITS[v]) for v in FILES}
    countries = sorted({c for _, cs, _ in built.values() for c in cs})   # '' first: index 0 is no country
    index = {c: i for i, c in enumerate(countries)}
    s4, c4, _ = built[4]
    s6, c6, _ = built[6]
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT / "dbip-country.npz",
        countries=np.array(countries, dtype="U2"),
        v4_start=np.array(s4, dtype=">u4").astype("uint32"),
        v4_country=np.array([index[c] for c in c4], dtype="uint8"),
        v6_start=np.array([s.to_bytes(16, "big") for s in s6], dtype="S16"),
        v6_country=np.array([index[c] for c in c6], dtype="uint8"),
    )
    meta = {
        "name": "DB-IP IP to Country Lite",
        "package": f"{package['name']}@{package['version']} (npm)",
        "repository": package.get("repository", {}).get("url"),
        "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "attribution": "IP Geolocation by DB-IP (https://db-ip.com)",
        "licence_text": licence.strip(),
        "tarball_sha256": hashlib.sha256(raw).hexdigest(),
        "files": {FILES[v].split("/")[-1]: {"sha256": hashlib.sha256(texts[v]).hexdigest(), "rows": built[v][2]}
                  for v in FILES},
        "ranges": {"ipv4": len(s4), "ipv6": len(s6)},
        "countries": len(countries) - 1,
        "built": dt.date.today().isoformat(),
    }
    lines = ["# Where piiaudit/data/geoip/dbip-country.npz came from (scripts/build_geoip.py wrote this).\n"]
    import yaml
    (OUT / "dbip-country.yaml").write_text(
        "".join(lines) + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100), "utf-8")
    print(f"{OUT / 'dbip-country.npz'}: {len(s4)} IPv4 and {len(s6)} IPv6 ranges, {len(countries) - 1} countries")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))

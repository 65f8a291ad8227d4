"""The country of an IP address, offline: DB-IP's IP to Country Lite, shipped with piiaudit.

`piiaudit/data/geoip/dbip-country.npz` holds the range starts of the database in two sorted
arrays (IPv4 as uint32, IPv6 as 16 big-endian bytes, which sort as the numbers do) and one
country index per range; `dbip-country.yaml` beside it records the npm package and version
it was built from, its licence (CC BY 4.0, attribution: "IP Geolocation by DB-IP") and the
SHA-256 of the files (scripts/build_geoip.py builds both). A lookup is a binary search
(numpy.searchsorted) over the starts: no network, no DNS, ever.

`country(address)` answers one address; `countries(addresses)` a Series of them at once
(each distinct address looked up once). An address that is not an IP address, or that is
private, loopback, link-local or otherwise not routed on the Internet, has no country
(None): the database says nothing about it, and we do not guess.

Mainland China is "CN"; Hong Kong, Macao and Taiwan have codes of their own (HK, MO, TW),
which is what PIPL chapter 3 needs (`OUTSIDE_MAINLAND`: see docs/crossborder.md).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from piiaudit.yamlfile import load_file

DATA = Path(__file__).parent / "data" / "geoip"
DB_FILE = DATA / "dbip-country.npz"
META_FILE = DATA / "dbip-country.yaml"
MAINLAND = "CN"
SEPARATE_REGIONS = ("HK", "MO", "TW")   # outside mainland China for cross-border rules


@dataclass(frozen=True)
class CountryDB:
    countries: np.ndarray      # index -> ISO 3166-1 alpha-2 ('' = no country)
    v4_start: np.ndarray       # uint32, sorted
    v4_country: np.ndarray     # uint8
    v6_start: np.ndarray       # S16, sorted
    v6_country: np.ndarray     # uint8
    meta: dict[str, Any]

    def lookup(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        if ip.version == 4:
            i = int(np.searchsorted(self.v4_start, np.uint32(int(ip)), side="right")) - 1
            code = self.countries[self.v4_country[i]]
        else:
            i = int(np.searchsorted(self.v6_start, np.bytes_(ip.packed), side="right")) - 1
            code = self.countries[self.v6_country[i]]
        return str(code) or None

    @property
    def source(self) -> str:
        """One line naming the data and its licence, for every output that shows a country."""
        return f"{self.meta.get('name')}, {self.meta.get('package')}, {self.meta.get('licence')}: " \
               f"{self.meta.get('attribution')}"


@functools.lru_cache(maxsize=1)
def database() -> CountryDB:
    """The shipped database, read once per process."""
    with np.load(DB_FILE, allow_pickle=False) as z:
        db = CountryDB(z["countries"], z["v4_start"], z["v4_country"], z["v6_start"], z["v6_country"],
                       load_file(META_FILE) or {})
    return db


def routable(address: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address as an IP address if it is one that is routed on the Internet, else None."""
    if not isinstance(address, str) or not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return None
    return ip


def country(address: Any) -> str | None:
    """ISO 3166-1 alpha-2 code of a routed IP address; None for anything else."""
    ip = routable(address)
    return database().lookup(ip) if ip is not None else None


def countries(addresses: pd.Series) -> pd.Series:
    """`country` of every address of a Series (each distinct address looked up once)."""
    distinct = addresses.dropna().unique()
    return addresses.map({a: country(a) for a in distinct}).astype("object")


def outside_mainland(code: str | None) -> bool:
    """A country code outside mainland China (HK, MO and TW count as outside)."""
    return isinstance(code, str) and bool(code) and code != MAINLAND

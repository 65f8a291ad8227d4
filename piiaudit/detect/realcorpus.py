"""The real corpus: captures of real SDK traffic, labelled by hand, as a `Corpus`.

    piiaudit corpus --corpus real

The captures and their labels live in piiaudit/data/corpus/real (README.md there says where
each capture comes from and under which licence; labels.yaml holds the labels). `load()`
reads each capture entry by entry into mitmproxy flows (piiaudit.harflow: the destination
is the URL's host, the recorded IP its peer) and checks the labels against them before
anything is measured, so a label cannot point at a request that is not there:

- each capture is the file the labels were written for (its SHA-256);
- every entry of a capture is labelled exactly once, by its index, and the method and URL
  (without the query) the label gives are the entry's;
- every value a label names is the profile's value of that PII type, every PII type is in
  the vocabulary, every location has the shape of a hit location (docs/detection.md);
- every host a capture reaches has its party, and only those hosts do.

The labels are exhaustive: a request lists every device value it carries at every place,
so each sample is scored strictly (a known-value hit at a place no label names is a false
positive). Values whose PII type is argued rather than shown by the capture are marked
`certain: false` in the profile's `why`; `Corpus.notes` names them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from piiaudit import sdks, vocab
from piiaudit.detect.corpus import FIRST_PARTY, Capture, Corpus, Label, Sample
from piiaudit.flowrow import destination
from piiaudit.harflow import to_flow
from piiaudit.profile import from_dict
from piiaudit.yamlfile import YamlError, load_file

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "corpus" / "real"
LABELS = "labels.yaml"
LOCATION_PREFIXES = ("url:path", "query:", "header:", "cookie:", "body:", "ws:")
UNATTRIBUTED = "unattributed:"


class RealCorpusError(ValueError):
    """Labels that do not fit their captures, in one line naming the capture and entry."""


@dataclass
class HostLabel:
    party: str
    reason: str


def _label(raw: dict, where: str, profile_values: dict[str, list[str]]) -> Label:
    for key in ("type", "value", "location", "encoding", "reason"):
        if not raw.get(key):
            raise RealCorpusError(f"{where}: a label needs '{key}'")
    pii_type, value, location = raw["type"], str(raw["value"]), raw["location"]
    if not vocab.is_known(pii_type):
        raise RealCorpusError(f"{where}: {pii_type!r} is not a PII type of the vocabulary")
    if value not in profile_values.get(pii_type, ()):
        raise RealCorpusError(f"{where}: {value!r} is not the profile's {pii_type}")
    if not location.startswith(LOCATION_PREFIXES):
        raise RealCorpusError(f"{where}: {location!r} is not a hit location (docs/detection.md)")
    return Label(pii_type, value, raw["encoding"], location, raw["reason"])


def _party(raw: object, host: str) -> HostLabel:
    if not isinstance(raw, dict) or not raw.get("party") or not raw.get("reason"):
        raise RealCorpusError(f"hosts.{host}: needs a party and a reason")
    party = raw["party"]
    if party != FIRST_PARTY and not party.startswith(UNATTRIBUTED):
        if party not in sdks.catalog():
            raise RealCorpusError(f"hosts.{host}: {party!r} is no SDK id of piiaudit/data/sdks.yaml, "
                                  f"nor {FIRST_PARTY} or {UNATTRIBUTED}<domain>")
    return HostLabel(party, raw["reason"])


def _entries(path: Path, sha256: str) -> list[dict]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RealCorpusError(f"{path.name}: cannot read the capture ({e.strerror})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RealCorpusError(f"{path.name}: not the file the labels were written for (SHA-256 differs)")
    return json.loads(data.decode("utf-8-sig"))["log"]["entries"]


def load(directory: Path | str = CORPUS_DIR) -> Corpus:
    """The real corpus of `directory`; raises RealCorpusError when a label does not fit."""
    directory = Path(directory)
    try:
        doc = load_file(directory / LABELS)
    except (OSError, YamlError) as e:
        raise RealCorpusError(f"{directory / LABELS}: {e}") from None
    # the labels' profile also gives `why` (a reason per value); the profile proper is the rest
    profile = from_dict({k: v for k, v in doc["profile"].items() if k != "why"}, str(directory / LABELS))
    why = doc["profile"].get("why") or {}
    if set(why) != set(profile.values):
        raise RealCorpusError("profile.why: one reason per profile value, no more")
    party_of = {h: _party(raw, h) for h, raw in (doc.get("hosts") or {}).items()}
    samples: list[Sample] = []
    captures: list[Capture] = []
    reached: set[str] = set()
    for cap in doc["captures"]:
        name = cap["file"]
        entries = _entries(directory / name, cap["sha256"])
        labelled = {r["entry"]: r for r in cap["requests"]}
        if len(labelled) != len(cap["requests"]) or set(labelled) != set(range(len(entries))):
            raise RealCorpusError(f"{name}: every entry 0..{len(entries) - 1} is labelled once "
                                  f"(labelled: {sorted(labelled)})")
        for i, entry in enumerate(entries):
            where = f"{name}#{i}"
            req = labelled[i]
            method, _, url = req["request"].partition(" ")
            parts = urlsplit(entry["request"]["url"])
            if (method, url) != (entry["request"]["method"], f"{parts.scheme}://{parts.netloc}{parts.path}"):
                raise RealCorpusError(f"{where}: labelled as {req['request']!r}, the entry is "
                                      f"{entry['request']['method']} {entry['request']['url'][:80]}")
            if not req.get("reason"):
                raise RealCorpusError(f"{where}: a request needs its reason")
            flow = to_flow(entry)
            host = destination(flow)
            if host not in party_of:
                raise RealCorpusError(f"{where}: host {host} has no party under hosts")
            reached.add(host)
            labels = [_label(v, f"{where}", profile.values) for v in req["values"]]
            samples.append(Sample(flow, party_of[host].party, labels, [], party_of[host].party,
                                  capture=name, exhaustive=True, name=where))
        captures.append(Capture(name, cap["app_package"], tuple(cap.get("first_party_hosts") or ()),
                                cap["consent"]["place"]))
    if set(party_of) != reached:
        raise RealCorpusError(f"hosts: {sorted(set(party_of) - reached)} reached by no capture")
    argued = sorted(t for t, w in why.items() if not w.get("certain"))
    n_labels = sum(len(s.labels) for s in samples)
    n_argued = sum(1 for s in samples for lab in s.labels if lab.pii_type in argued)
    notes = [f"{len(samples)} requests of {len(captures)} capture(s) in {_shown(directory)}, "
             f"{n_labels} hand labels of {len(profile.values)} device values, {len(party_of)} hosts",
             "labels: " + (f"{n_argued} on a value whose type is argued, not shown ({', '.join(argued)})"
                           if argued else "every value's type shown by the capture")]
    return Corpus("real", profile, samples, captures, notes)


def _shown(directory: Path) -> str:
    try:
        return str(directory.relative_to(CORPUS_DIR.parents[3]))
    except ValueError:
        return str(directory)

"""The findings' integer shortcuts give what the frame operations they replace gave: the links
of a rule's rows (joined on folded integer keys) equal the merges' on every rule of a
synthetic session, and a finding's first evidence rows (one numpy lexsort) are those of the
stable three-key sort and groupby head, NaN times included."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import consent as consent_mod
from analysis import findings as F
from analysis.detections import REGISTRY, NotApplicable
from analysis.load import load_session
from analysis.prepare import prepare
from analysis.rules import load_catalog
from analysis.scope import load as load_scope
from tests.support.samples import demo_scope_path, write_synthetic


def test_links_on_folded_keys_equal_the_merges_on_every_rule(tmp_path):
    write_synthetic(tmp_path / "s", n_flows=3000, n_events=3000)
    session = load_session(tmp_path / "s")
    ctx = prepare(session, consent_mod.decide(session.events, session.marks), load_scope(demo_scope_path()))
    compared = 0
    for rule in (r for r in load_catalog().rules if r.enabled):
        try:
            rows = REGISTRY[rule.detection].fn(ctx, rule.params)
        except NotApplicable:
            continue
        if rows.empty:
            continue
        ev = rows.reindex(columns=F.EVIDENCE_COLUMNS).reset_index(drop=True)
        ev = ev.assign(event_id=ev["event_id"].astype("Int64"), flow_id=ev["flow_id"].astype("str"))
        ev = ev.assign(gid=F._group_numbers(ev, list(rule.params.get("group_by") or REGISTRY[rule.detection].group_by)))
        fast = F._own_links(ev, ctx.links)
        lk = ctx.links.astype({"event_id": "Int64", "flow_id": "str", "hit_id": "Int64", "pii_type": "str"})
        merged = F._own_links_merged(ev, lk, (ev["event_id"].notna() & ev["hit_id"].isna()).to_numpy())
        key = ["gid", "hit_id"]
        pd.testing.assert_frame_equal(fast.sort_values(key).reset_index(drop=True)[sorted(fast.columns)],
                                      merged.sort_values(key).reset_index(drop=True)[sorted(merged.columns)])
        compared += len(fast) > 0
    assert compared >= 3   # rules whose rows have links (reads and sends) were compared


def test_first_rows_by_lexsort_are_those_of_the_stable_sort():
    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(0, 400))
        gid, order = rng.integers(0, 6, n), rng.integers(0, 6, n)
        ts = rng.choice([0.0, 1.0, 2.5, np.nan, -0.0, 3.0], n)
        index = pd.Index(rng.permutation(2000)[:n])
        expected = (pd.DataFrame({"gid": gid, "_order": order, "ts": ts}, index=index)
                    .sort_values(["gid", "_order", "ts"], kind="stable").groupby("gid").head(F.MAX_LINKS_IN_DETAIL).index)
        assert list(F._first_by_order(index, gid, order, ts)) == list(expected)

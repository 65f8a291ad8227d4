"""Reads linked to the flows that carried their value."""

from __future__ import annotations

import pandas as pd

from analysis.linking import hash_values, link_reads_to_flows
from piiaudit.values import value_sha256

AID = "9774d56d682e549c"


def _reads(*rows):
    frame = pd.DataFrame(rows, columns=["event_id", "ts", "pii_type", "value", "sdk", "api", "clock_error_ms"])
    return frame.assign(value_sha256=hash_values(frame["value"]))


def _sent(*rows):
    return pd.DataFrame(rows, columns=["hit_id", "flow_id", "ts", "host", "host_sdk", "pii_type", "value_sha256",
                                       "source", "location", "encoding"])


def test_value_link_prefers_the_sdk_owning_the_host_and_the_latest_read():
    reads = _reads(
        (1, 10.0, "android_id", AID, "jpush", "Settings$Secure.getString", 0.0),
        (2, 11.0, "android_id", AID, None, "Settings$Secure.getString", 0.0),       # the app reads it too
        (3, 12.0, "android_id", AID, "jpush", "Settings$Secure.getString", 0.0),
    )
    sent = _sent(
        (100, "f1", 13.0, "stats.jpush.cn", "jpush", "android_id", value_sha256(AID), "known_value", "query:aid", "plain"),
        (101, "f2", 13.5, "api.shop.example", None, "android_id", value_sha256(AID), "known_value", "header:x", "base64"),
    )
    links = link_reads_to_flows(reads, sent).set_index("hit_id")
    assert links.loc[100, "event_id"] == 3 and links.loc[100, "reader_sdk"] == "jpush"
    assert links.loc[101, "event_id"] == 3   # latest read of the value, whoever read it
    assert (links["match"] == "value").all()


def test_a_flow_before_the_read_is_not_linked_beyond_the_clock_error():
    reads = _reads((1, 10.0, "imei", "867530912345673", "umeng", "getImei", 5.0))
    sent = _sent(
        (1, "early", 9.0, "ulogs.umeng.com", "umeng", "imei", value_sha256("867530912345673"), "known_value", "q", "md5"),
        (2, "within", 9.997, "ulogs.umeng.com", "umeng", "imei", value_sha256("867530912345673"), "known_value", "q", "md5"),
    )
    links = link_reads_to_flows(reads, sent)
    assert links["flow_id"].tolist() == ["within"]


def test_different_values_are_not_linked_but_locations_link_by_type():
    reads = _reads((1, 1.0, "imei", "111111111111111", "umeng", "getImei", 0.0),
                   (2, 1.0, "location", "39.9,116.4", None, "getLastKnownLocation", 0.0))
    sent = _sent(
        (1, "f1", 2.0, "ulogs.umeng.com", "umeng", "imei", value_sha256("999999999999999"), "known_value", "q", "plain"),
        (2, "f2", 2.0, "api.shop.example", None, "location", value_sha256("39.90000,116.40000"), "known_value",
         "query:lat+lng", "plain"),
    )
    links = link_reads_to_flows(reads, sent)
    assert links[["flow_id", "event_id", "match"]].values.tolist() == [["f2", 2, "type"]]


def test_empty_inputs():
    assert link_reads_to_flows(_reads(), _sent()).empty

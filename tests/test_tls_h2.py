"""HTTP/2 seen below TLS: the plaintext of a real HTTP/2 exchange (python-h2 as client and as
server, the bytes each side wrote captured as the agent would report them) becomes one flow
per stream, request and response, scanned like a proxied flow; hostile frames give one error
per connection and never a crash."""

import base64

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

from hooks import h2_plaintext
from hooks.h2_plaintext import H2Connection, H2Error
from hooks.tls_flows import TlsFlowRecorder
from piiaudit import profile
from piiaudit.detect import Detector
from piiaudit.store import SessionStore
from piiaudit.writer import SessionWriter

IMEI = "867530912345673"


def exchange(requests, *, pad=0, big_header=0, respond=True, table=None):
    """Run a real HTTP/2 conversation in memory; the chunks in the order they travelled as
    ("w", bytes) for what the client wrote and ("r", bytes) for what it read."""
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding=None))
    client.initiate_connection()
    if table is not None:  # the client lets the server's HPACK encoder use a larger table
        client.update_settings({h2.settings.SettingCodes.HEADER_TABLE_SIZE: table})
    server.initiate_connection()
    chunks = []

    def pump():
        moved = True
        while moved:
            moved = False
            out = client.data_to_send()
            if out:
                chunks.append(("w", out))
                for event in server.receive_data(out):
                    on_server(event)
                moved = True
            back = server.data_to_send()
            if back:
                chunks.append(("r", back))
                client.receive_data(back)
                moved = True

    bodies = {}

    def on_server(event):
        if isinstance(event, h2.events.DataReceived):
            bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
            server.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        if isinstance(event, h2.events.StreamEnded) and respond:
            body = b'{"ok":true,"stream":%d}' % event.stream_id
            server.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/json")])
            server.send_data(event.stream_id, body, end_stream=True, pad_length=pad or None)

    pump()
    for i, (method, path, body) in enumerate(requests):
        sid = client.get_next_available_stream_id()
        headers = [(":method", method), (":path", path), (":scheme", "https"), (":authority", "api.example.cn"),
                   ("user-agent", "okhttp/4.12.0")]
        if big_header:
            headers.append(("x-blob", "b" * big_header))
        client.send_headers(sid, headers, end_stream=body is None)
        if body is not None:
            client.send_data(sid, body, end_stream=True, pad_length=pad or None)
        pump()
    return chunks


def rows(chunks, ssl_ptr="0x7f00", pid=42, truncate_at=None):
    out = []
    for i, (direction, data) in enumerate(chunks):
        out.append({"kind": "tls_write" if direction == "w" else "tls_read", "pid": pid, "ts": 1000.0 + i,
                    "data": {"ssl_ptr": ssl_ptr, "peer": "127.0.0.1:8443", "bytes_b64": base64.b64encode(data).decode(),
                             "truncated": truncate_at == i}})
    return out


@pytest.fixture
def recorder(tmp_path):
    store = SessionStore(tmp_path)
    writer = SessionWriter(SessionStore(tmp_path), component="hooks", max_seconds=60, max_rows=1000)
    rec = TlsFlowRecorder(writer, Detector(profile.from_dict({"values": {"imei": IMEI}})))
    yield rec, store, writer
    writer.close()


def test_each_stream_of_a_real_http2_exchange_becomes_a_flow_with_its_response(recorder):
    rec, store, writer = recorder
    chunks = exchange([("GET", f"/v1/config?imei={IMEI}", None),
                       ("POST", "/v1/report", f'{{"device":{{"imei":"{IMEI}"}}}}'.encode())])
    assert chunks[0][1].startswith(h2_plaintext.PREFACE)
    ids = [rec.record(r) for r in rows(chunks)]
    writer.flush()
    flows = store.rows("SELECT * FROM flows ORDER BY url")
    assert [(f["method"], f["url"], f["status"], f["capture"]) for f in flows] == [
        ("GET", f"https://api.example.cn/v1/config?imei={IMEI}", 200, "tls-hook"),
        ("POST", "https://api.example.cn/v1/report", 200, "tls-hook"),
    ]
    assert {i for i in ids if i is not None} == {f["id"] for f in flows}
    hits = store.rows("SELECT f.method, h.location FROM pii_hits h JOIN flows f ON f.id = h.flow_id WHERE h.pii_type = 'imei'")
    assert {(h["method"], h["location"].split(":")[0]) for h in hits} == {("GET", "query"), ("POST", "body")}
    assert all(f["response_sha256"] and f["capped"] is None for f in flows)


def test_padding_continuation_and_a_missing_response(recorder):
    rec, store, writer = recorder
    # a header block larger than the default 16 KiB frame: HEADERS + CONTINUATION; padded DATA
    chunks = exchange([("POST", "/u", f"imei={IMEI}".encode())], pad=17, big_header=40000, respond=False)
    raw = b"".join(d for w, d in chunks if w == "w")
    frame_types = []
    view = raw[len(h2_plaintext.PREFACE):]
    while view:
        length = int.from_bytes(view[:3], "big")
        frame_types.append(view[3])
        view = view[9 + length:]
    assert h2_plaintext.CONTINUATION in frame_types and h2_plaintext.DATA in frame_types
    for r in rows(chunks):
        assert rec.record(r) is None  # no response yet
    assert rec.flush() == 1
    writer.flush()
    (flow,) = store.rows("SELECT * FROM flows")
    assert flow["method"] == "POST" and flow["status"] is None
    (hit,) = store.rows("SELECT location FROM pii_hits WHERE pii_type = 'imei'")
    assert hit["location"].startswith("body")


def test_plaintext_cut_by_the_agent_keeps_the_streams_seen_and_stops(recorder):
    rec, store, writer = recorder
    chunks = exchange([("GET", f"/a?imei={IMEI}", None)], respond=False)
    chunks.append(("w", b"\x00\x10\x00\x00\x01\x00\x00\x00\x03" + b"x" * 100))  # a later write the agent cut
    for r in rows(chunks, truncate_at=len(chunks) - 1):
        rec.record(r)
    assert rec.h2 == {}
    writer.flush()
    (flow,) = store.rows("SELECT url, capped FROM flows")
    assert flow["capped"] == "tls_write" and IMEI in flow["url"]


@pytest.mark.parametrize("hostile, needle", [
    (b"\x00\x00\x05\x01\x05\x00\x00\x00\x01" + b"\xff\xff\xff\xff\xff", "HPACK"),            # bad HPACK block
    (b"\x00\x00\x02\x00\x08\x00\x00\x00\x01" + b"\x09\x00", "padding"),                      # pad longer than frame
    (b"\x00\x00\x01\x01\x00\x00\x00\x00\x01\x82" + b"\x00\x00\x00\x00\x00\x00\x00\x00\x00", "CONTINUATION"),
    (b"\x00\x00\x01\x09\x04\x00\x00\x00\x07\x82", "CONTINUATION without"),
    (b"\x00\x00\x01\x01\x04\x00\x00\x00\x00\x82", "stream 0"),
])
def test_a_hostile_frame_gives_one_clear_error_and_the_connection_is_dropped(recorder, hostile, needle):
    rec, store, writer = recorder
    preface = h2_plaintext.PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    good = rows([("w", preface)])[0]
    bad = rows([("w", hostile)])[0]
    rec.record(good)
    with pytest.raises(H2Error, match=needle):
        rec.record(bad)
    assert rec.h2 == {}
    assert rec.record(bad) is None  # later chunks of that connection: ignored, no second error


def test_sizes_are_bounded():
    conn = H2Connection()
    conn.feed(h2_plaintext.PREFACE, outbound=True)
    with pytest.raises(H2Error, match="a frame of 16777215 bytes"):  # announced 16 MiB: not buffered
        conn.feed(b"\xff\xff\xff\x00\x00\x00\x00\x00\x01" + b"\0" * 1000, outbound=True)
    assert conn.feed(b"more", outbound=True) == []  # broken: ignored, no second error
    conn = H2Connection()
    block = b"\x00\x40\x00\x01\x00\x00\x00\x00\x01" + b"\x00" * 0x4000  # HEADERS, no END_HEADERS
    cont = b"\x00\x40\x00\x09\x00\x00\x00\x00\x01" + b"\x00" * 0x4000
    with pytest.raises(H2Error, match="header block over"):
        conn.feed(h2_plaintext.PREFACE + block + cont * 4, outbound=True)
    message = h2_plaintext.Message()
    message.add_body(b"x" * (h2_plaintext.MAX_BODY + 10))
    assert len(message.body) == h2_plaintext.MAX_BODY and message.body_len == h2_plaintext.MAX_BODY + 10 and message.capped
    conn = H2Connection()
    from hpack import Encoder
    enc = Encoder()
    frames = b""
    for sid in range(1, 2 * (h2_plaintext.MAX_STREAMS + 2), 2):
        block = enc.encode([(":method", "GET"), (":path", "/"), (":scheme", "https"), (":authority", "a")])
        frames += len(block).to_bytes(3, "big") + b"\x01\x04" + sid.to_bytes(4, "big") + block
    with pytest.raises(H2Error, match="open streams"):
        conn.feed(h2_plaintext.PREFACE + frames, outbound=True)


def test_http1_over_the_same_recorder_is_unchanged(recorder):
    rec, store, writer = recorder
    row = rows([("w", f"GET /?imei={IMEI} HTTP/1.1\r\nHost: h.example\r\n\r\n".encode())])[0]
    assert rec.record(row) is not None
    assert rec.record({**row, "kind": "tls_read"}) is None
    writer.flush()
    assert [f["url"] for f in store.rows("SELECT url FROM flows")] == [f"https://h.example:8443/?imei={IMEI}"]


def test_the_header_table_size_a_side_announces_is_honoured(recorder):
    """The JDK's client announces a 16 KiB table; the server's encoder then resizes its table
    past HPACK's default 4 KiB, which a decoder kept at the default rejects."""
    rec, store, writer = recorder
    chunks = exchange([("GET", f"/t?imei={IMEI}", None)], table=16384)
    server_bytes = b"".join(d for w, d in chunks if w == "r")
    for r in rows(chunks):
        rec.record(r)
    writer.flush()
    (flow,) = store.rows("SELECT status FROM flows")
    assert flow["status"] == 200
    assert b"\x3f\xe1\x7f" in server_bytes  # the server did resize its table to 16384
    resize = b"\x00\x00\x03\x01\x04\x00\x00\x00\x01" + b"\x3f\xe1\x7f"
    conn = H2Connection()
    conn.feed(h2_plaintext.PREFACE, outbound=True)  # the client announced no larger table
    with pytest.raises(H2Error, match="HPACK"):
        conn.feed(resize, outbound=False)

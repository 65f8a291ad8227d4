"""Inside the encryption: the crypto hooks record what an SDK encrypts, hashes, MACs and
Base64-encodes (the plaintext, bounded) and what came out, on the real JDK classes, without
changing any result. The program is tests/java/src/com/example/fixture/CryptoMain.java."""

import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hooks import hook_table
from tests.support import java_fixtures as fixtures

IMEI = "867530912345673"
KEY, IV = b"0123456789abcdef", bytes(16)
UPLOAD = f'{{"imei":"{IMEI}","sdk":"fixture"}}'.encode()
# The program's own SDK codec (PayloadCodec) hooked as an encoding primitive, like the Base64 rows.
SDK_CODEC_ROW = {"id": "fixture.sdk_codec", "class": "com.example.fixture.PayloadCodec", "method": "encodeToString",
                 "overloads": [["byte[]", "int"]], "min_api": 1, "kind": "crypto", "pii_type": None, "permission": None,
                 "visibility": "public", "describe": "crypto.encode", "guard": "crypto"}


def aes_cbc(data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    fx = fixtures.build()
    return fixtures.run_hooked(tmp_path_factory.mktemp("crypto"), fx.argv("CryptoMain"),
                               hook_table=[*hook_table.load(), SDK_CODEC_ROW])


def crypto(run, op):
    return [e for e in run.events("crypto") if e["data"]["op"] == op]


def printed(run, label):
    for line in run.runner.output.splitlines():
        if line.startswith(label + " "):
            return line[len(label) + 1:]
    raise AssertionError(f"{label!r} not in the program's output:\n{run.runner.output}")


def test_the_program_got_the_same_results_as_without_hooks(run):
    assert run.status == 0 and run.store.rows("SELECT message FROM errors") == []
    assert printed(run, "upload") == base64.b64encode(aes_cbc(UPLOAD)).decode()
    assert printed(run, "decrypted") == UPLOAD.decode()
    assert printed(run, "md5") == hashlib.md5(IMEI.encode()).hexdigest()
    assert printed(run, "hmac") == hmac.new(KEY, b"device=" + IMEI.encode(), hashlib.sha256).hexdigest()
    assert printed(run, "android-base64") == base64.b64encode(IMEI.encode()).decode()
    assert printed(run, "sdk-base64") == base64.b64encode(IMEI.encode()).decode()
    assert printed(run, "in-place") == aes_cbc(b"in-place:" + IMEI.encode()).hex()
    assert printed(run, "bytebuffer") == aes_cbc(b"bytebuffer:" + IMEI.encode()).hex()


def test_the_encrypted_upload_shows_its_plaintext_and_its_ciphertext(run):
    event = crypto(run, "encrypt")[0]
    data = event["data"]
    assert event["value"] == UPLOAD.decode() and IMEI in event["value"]
    assert event["api"] == "javax.crypto.Cipher.doFinal(byte[])"
    assert (data["algorithm"], data["transformation"]) == ("AES", "AES/CBC/PKCS5Padding")
    assert base64.b64decode(data["input_b64"]) == UPLOAD and data["input_len"] == len(UPLOAD)
    # The ciphertext the analysis looks for in traffic: the bytes the app sent, Base64-encoded.
    assert base64.b64decode(data["output_b64"]) == aes_cbc(UPLOAD) and data["output_len"] == 48
    assert data["truncated"] is False
    assert event["stack"].split("\n")[0].startswith("com.example.fixture.CryptoMain.main(")


def test_the_base64_of_the_ciphertext_is_recorded_once(run):
    encodes = crypto(run, "encode")
    outer = [e for e in encodes if e["api"] == "java.util.Base64$Encoder.encodeToString(byte[])"]
    assert len(outer) == 1
    assert base64.b64decode(outer[0]["data"]["input_b64"]) == aes_cbc(UPLOAD)
    assert base64.b64decode(outer[0]["data"]["output_b64"]).decode() == base64.b64encode(aes_cbc(UPLOAD)).decode()


def test_update_steps_join_into_one_operation(run):
    two_step = [e for e in crypto(run, "encrypt") if "step" in (e["value"] or "")]
    assert [e["value"] for e in two_step] == ['{"step":"one","imei":"two"}']
    assert base64.b64decode(two_step[0]["data"]["output_b64"]) == aes_cbc(b'{"step":"one","imei":"two"}')


def test_a_decryption_reports_its_output_as_the_plaintext(run):
    (event,) = crypto(run, "decrypt")
    assert event["value"] == UPLOAD.decode()
    assert base64.b64decode(event["data"]["input_b64"]) == aes_cbc(UPLOAD)


def test_a_digest_is_reported_once_however_often_it_is_computed(run):
    (md5,) = crypto(run, "digest")
    assert md5["value"] == IMEI and md5["data"]["algorithm"] == "MD5"
    assert base64.b64decode(md5["data"]["output_b64"]) == hashlib.md5(IMEI.encode()).digest()


def test_a_mac_joins_its_update_and_final_input(run):
    (mac,) = crypto(run, "mac")
    assert mac["value"] == "device=" + IMEI and mac["data"]["algorithm"] == "HmacSHA256"
    assert base64.b64decode(mac["data"]["output_b64"]) == hmac.new(KEY, b"device=" + IMEI.encode(), hashlib.sha256).digest()


def test_nested_primitives_are_not_reported_twice(run):
    # android.util.Base64.encodeToString -> encode: one event, the outermost.
    android = [e for e in crypto(run, "encode") if e["data"]["transformation"] == "android.util.Base64"]
    assert [e["api"] for e in android] == ["android.util.Base64.encodeToString(byte[], int)"]
    # An SDK's codec -> java.util.Base64$Encoder.encode inside it: one event, the SDK's call.
    sdk = [e for e in crypto(run, "encode") if e["data"]["hook"] == SDK_CODEC_ROW["id"]]
    assert [e["api"] for e in sdk] == ["com.example.fixture.PayloadCodec.encodeToString(byte[], int)"]
    assert sdk[0]["stack"].split("\n")[0].startswith("com.example.fixture.CryptoMain.main(")
    inside = [e for e in crypto(run, "encode") if e["value"] == IMEI and e["id"] not in (android[0]["id"], sdk[0]["id"])]
    assert inside == []


def test_in_place_and_bytebuffer_encryption_keep_the_plaintext(run):
    values = [e["value"] for e in crypto(run, "encrypt")]
    assert "in-place:" + IMEI in values and "bytebuffer:" + IMEI in values
    in_place = next(e for e in crypto(run, "encrypt") if e["value"] == "in-place:" + IMEI)
    assert base64.b64decode(in_place["data"]["output_b64"]) == aes_cbc(b"in-place:" + IMEI.encode())


def test_large_payloads_are_bounded_and_flagged(run):
    big = next(e for e in crypto(run, "encrypt") if e["data"]["input_len"] == 10 * 1024)
    assert big["data"]["truncated"] is True
    assert len(base64.b64decode(big["data"]["input_b64"])) == 4096
    assert len(base64.b64decode(big["data"]["output_b64"])) == 4096 and big["data"]["output_len"] == 10256

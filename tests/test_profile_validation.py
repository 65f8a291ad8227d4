"""Device profiles are checked like scope files: a wrong file is one line naming it and the
problem, before anything is recorded; never a silent "0 PII hits", never a traceback.

Checked: the encoding (UTF-8), the size, YAML aliases (a bomb fails at once, in little
memory), unknown or misspelled keys (with a suggestion) and the type of every part.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from mitmproxy import io as mio

from commands.cli import cli
from piiaudit import profile
from tests.support.flows import make_flow
from tests.support.mitmdump import SCRIPT, mitmdump_exe

IMEI = "867530912345673"


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "values:\n  clipboard: x\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, message", [
    ('device: "a string"\nvalues: {imei: "1"}\n', "device: expected a mapping of device facts"),
    ("device: [a, b]\n", "device: expected a mapping"),
    ("device: {model: {name: x}}\n", "device.model: expected a scalar"),
    ('value:\n  imei: "1"\n', "unknown key 'value'; did you mean 'values'?"),
    ('devices: {model: x}\n', "unknown key 'devices'; did you mean 'device'?"),
    ('values:\n  andriod_id: "9774d56d682e549c"\n', "unknown PII type 'andriod_id' under 'values'; did you mean android_id?"),
    ("values:\n  imei: {number: 1}\n", "values.imei: expected a value (text or a whole number)"),
    ("values:\n  imei: true\n", "values.imei: expected a value"),
    ("values:\n  imei: 86753091234.5673\n", "values.imei: 86753091234.5673 is a number with a fraction"),
    ("values:\n  imei: [\"1\", [2]]\n", "values.imei: expected a value"),
    ("values:\n  location: {lat: 39.9, lng: 116.4, alt: 3}\n", "values.location: unknown key 'alt'"),
    ("values:\n  location: {lat: .nan, lng: 116.4}\n", "lat/lng must be finite numbers"),
    ("values:\n  location: {lat: true, lng: 116.4}\n", "lat/lng must be numbers"),
    ("- imei\n", "a device profile is a mapping"),
])
def test_a_wrong_profile_names_the_file_and_the_problem(tmp_path, text, message):
    path = tmp_path / "device.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(profile.ProfileError) as err:
        profile.load(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_good_profiles_still_load(tmp_path):
    path = tmp_path / "device.yaml"
    path.write_text(textwrap.dedent(f"""\
        # a profile with every shape a value may take
        device: {{model: Pixel 7, android: 14, serial: emulator-5554, rooted: true}}
        values:
          imei: {IMEI}
          android_id: ["9774d56d682e549c", "0000111122223333"]
          location: [{{lat: 39.9, lng: 116.4}}, {{lat: -33.8, lng: 151.2}}]
          clipboard: ""
        """), "utf-8")
    p = profile.load(path)
    assert p.values["imei"] == [IMEI] and len(p.values["android_id"]) == 2 and len(p.locations) == 2
    assert "clipboard" not in p.values and p.device["android"] == 14


def test_a_profile_larger_than_the_cap_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:
        f.write("values:\n  clipboard: |\n")
        f.write(("    " + "x" * 1000 + "\n") * (profile.MAX_BYTES // 1000 + 10))
    with pytest.raises(profile.ProfileError, match=rf"^{path}: larger than {profile.MAX_BYTES // 1024 ** 2} MB"):
        profile.load(path)


def test_an_alias_bomb_profile_fails_fast_in_little_memory(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("device: {model: x}\nvalues:\n  clipboard: &c [" + ", ".join(["canary"] * 10) + "]\n"
                    + "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i > 1 else '*c'] * 10)}]\n"
                              for i in range(1, 10)), "utf-8")
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(billion_laughs(), "utf-8")
    probe = textwrap.dedent("""\
        import resource, sys, time
        from piiaudit import profile
        for path in sys.argv[1:]:
            started = time.perf_counter()
            try:
                profile.load(path)
            except profile.ProfileError as e:
                print(f"{time.perf_counter() - started:.3f} {e}")
        # this process's own peak (VmHWM); ru_maxrss would carry over the forking parent's
        try:
            with open("/proc/self/status") as f:
                print(next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")))
        except OSError:
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """)
    done = subprocess.run([sys.executable, "-c", probe, str(bomb), str(laughs)], capture_output=True, text=True,
                          timeout=30, cwd=Path(__file__).parents[1])
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stdout + done.stderr
    for line in lines[:2]:
        seconds, message = line.split(" ", 1)
        assert float(seconds) < 0.5 and "aliases expand this document" in message
    assert int(lines[2]) < 200 * 1024          # peak resident set under 200 MB (KiB), interpreter included


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "one.mitm"
    with path.open("wb") as fo:
        mio.FlowWriter(fo).add(make_flow(f"https://api.example.com/r?imei={IMEI}"))
    return path


@pytest.mark.parametrize("text", ['device: "a string"\nvalues: {imei: "%s"}\n' % IMEI,
                                  'value:\n  imei: "%s"\n' % IMEI,
                                  b'device: {model: "Pixel \xff"}\nvalues: {imei: "1"}\n'])
def test_replay_with_a_wrong_profile_is_one_line_and_writes_nothing(tmp_path, capture, text):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = CliRunner().invoke(cli, ["replay", str(capture), "--session", str(tmp_path / "s"), "--profile", str(bad)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {bad}: "), result.output
    assert not (tmp_path / "s").exists()        # refused before a session was created


@pytest.mark.parametrize("text", ['device: "a string"\n', b"values: {imei: \"\xff\"}\n"])
def test_mitmdump_with_a_wrong_profile_says_one_line(tmp_path, capture, text):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    done = subprocess.run([mitmdump_exe(), "-n", "-r", str(capture), "-s", str(SCRIPT),
                           "--set", f"piiaudit_session={tmp_path / 's'}", "--set", f"piiaudit_profile={bad}"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "Traceback" not in out, out
    problem = [line for line in out.splitlines() if f"{bad}: " in line]
    assert len(problem) == 1 and "piiaudit_profile" in problem[0], out

"""One YAML loader (piiaudit.yamlfile) for every file piiaudit reads: clear one-line errors, hostile files refused."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from analysis import rules, scope
from hooks import hook_table
from piiaudit import profile
from piiaudit.yamlfile import MAX_VALUES, YamlError, load_bytes, load_file, load_text

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("piiaudit", "addon", "hooks", "analysis", "commands")


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_naming_the_line():
    started = time.perf_counter()
    with pytest.raises(YamlError) as err:
        load_text(billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    message = str(err.value)
    assert message.startswith("bomb.yaml: line 6: ") and f"more than {MAX_VALUES:,} values" in message
    assert "\n" not in message


def test_an_alias_inside_itself_is_refused():
    with pytest.raises(YamlError, match=r"t.yaml: line 1: an alias refers to a node that contains it"):
        load_text("a: &x [1, *x]\n", "t.yaml")


def test_ordinary_aliases_still_work():
    assert load_text(billion_laughs(levels=3), "t.yaml")["l3"][0][0][0] == ["lol"] * 10
    table = load_file(REPO / "hooks" / "data" / "hook_table.yaml")   # shares params with &anchors
    shared = [r["params"] for r in table["targets"] if r["id"].startswith("consent.pref_") and "params" in r]
    assert len(shared) > 3 and all(p == shared[0] for p in shared)


def test_text_that_is_not_utf8_gives_one_line_with_the_byte():
    with pytest.raises(YamlError) as err:
        load_bytes("app: 演示".encode("gb18030"), "scope.yaml")
    assert str(err.value) == "scope.yaml: not UTF-8 text (byte 0xd1 at offset 5); save the file as UTF-8"


@pytest.mark.parametrize("text, says", [
    ("app: [unclosed\n", "t.yaml: not valid YAML: line 2, column 1: did not find expected ',' or ']' "
                         "(while parsing a flow sequence started at line 1)"),
    ("a: 1\n b: 2\n", "t.yaml: not valid YAML: line 2, column 3: mapping values are not allowed in this context"),
    ("x: !!python/object/apply:os.system [ls]\n", "t.yaml: not valid YAML: line 1, column 4: could not determine "
                                                  "a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
])
def test_syntax_errors_name_the_file_the_line_and_what_was_expected(text, says):
    with pytest.raises(YamlError) as err:
        load_text(text, "t.yaml")
    assert str(err.value) == says


def test_a_byte_order_mark_and_an_empty_file_are_fine():
    assert load_bytes("\ufeffa: 1\n".encode(), "t.yaml") == {"a": 1}
    assert load_bytes(b"", "t.yaml") is None


@pytest.mark.parametrize("load, error", [
    (scope.load, scope.ScopeError), (rules.load_catalog, rules.RulesError), (profile.load, profile.ProfileError),
    (hook_table.load, hook_table.HookTableError),
])
def test_every_reader_refuses_a_bomb_and_bad_bytes_with_the_loaders_message(tmp_path, load, error):
    path = tmp_path / "f.yaml"
    path.write_text(billion_laughs())
    with pytest.raises(error, match=rf"^{path}: line 6: aliases expand"):
        load(path)
    path.write_bytes(b"\xff\xfe: 1")
    with pytest.raises(error, match=rf"^{path}: not UTF-8 text \(byte 0xff at offset 0\)"):
        load(path)


def test_no_other_module_parses_yaml():
    """yaml.load / safe_load / compose only in piiaudit/yamlfile.py (writing YAML is fine anywhere)."""
    readers = {"load", "safe_load", "load_all", "safe_load_all", "full_load", "unsafe_load", "compose", "parse"}
    found = []
    for path in sorted(p for floor in PRODUCT for p in (REPO / floor).rglob("*.py") if "node_modules" not in p.parts):
        if path == REPO / "piiaudit" / "yamlfile.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in readers and isinstance(node.value, ast.Name)
                    and node.value.id == "yaml"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} yaml.{node.attr}")
    assert found == []

"""Reading YAML: every file piiaudit reads (catalogs, scope, profiles, hook tables) comes through here.

The safe loader only (libyaml's when present). Problems are one-line messages that name
the file, the line and column, and what was expected:

    scope.yaml: not valid YAML: line 3, column 9: expected ',' or ']', but got '<stream end>'
    (while parsing a flow sequence started at line 3)

Hostile files are refused before anything is built from them: a file that is not a
regular file or is larger than its reader allows (`read_file`), text that is not UTF-8,
and aliases that expand a small file into a huge document ("billion laughs") or
into itself. The expansion is counted on libyaml's node graph, where an alias is a shared
node, so a bomb is refused after reading its few hundred nodes, not after expanding them.
"""

from __future__ import annotations

import os
import stat
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Far above any file piiaudit reads (the hook table, the largest, expands to about 10^4
# values) and far below what the code that walks a document can take in reasonable time.
MAX_VALUES = 200_000
# Far above any file piiaudit reads (the SDK catalog, the largest, is 140 KB).
MAX_FILE_BYTES = 16 * 1024 ** 2


class YamlError(ValueError):
    """A YAML file that cannot be used; the message is one line naming the file and the place."""


def load_text(text: str, source: str) -> Any:
    """The document in `text` (None when empty); `source` names it in error messages."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text:   # no alias without an asterisk: most files skip the count
            _check_expansion(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        raise YamlError(f"{source}: not valid YAML: {_where(e)}") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{source}: not valid YAML: {' '.join(str(e).split())}") from None
    finally:
        loader.dispose()


def load_bytes(data: bytes, source: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise YamlError(f"{source}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                        "save the file as UTF-8") from None
    return load_text(text, source)


def read_file(path: Path | str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. A device, pipe or socket (a
    `scope.yaml` linked to /dev/zero, a FIFO) and a larger file are refused (YamlError)
    before they are read; OSError (no such file, a directory, ...) passes through for the
    caller to word."""
    path = Path(path)
    st = os.stat(path)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise YamlError(f"{path}: not a regular file (a device, pipe or socket); refused")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlError(f"{path}: larger than {_size(max_bytes)}; refused (is this the right file?)")
    return data


def load_file(path: Path | str, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The document in a file (read_file's limits); OSError passes through for the caller to word."""
    return load_bytes(read_file(path, max_bytes), str(path))


def _size(n: int) -> str:
    return f"{n // 1024 ** 2} MB" if n >= 1024 ** 2 else f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"


def load_resource(package: str, name: str) -> Any:
    """A YAML file shipped inside a package, e.g. ("piiaudit", "data/sdks.yaml")."""
    return load_bytes(resources.files(package).joinpath(name).read_bytes(), f"{package}/{name}")


def _where(e: yaml.MarkedYAMLError) -> str:
    mark = e.problem_mark or e.context_mark
    place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = " ".join(str(e.problem or "").split())
    context = ""
    if e.context:
        started = (f" started at line {e.context_mark.line + 1}"
                   if e.context_mark and mark and e.context_mark.line != mark.line else "")
        context = f" ({' '.join(e.context.split())}{started})"
    return f"{place}{what}{context}"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand it beyond MAX_VALUES nodes, or into itself.

    Each distinct node is visited once; its expanded size is 1 plus its children's,
    counted with repetition, which is what building the document would produce.
    """
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] > MAX_VALUES:
                raise YamlError(
                    f"{source}: line {node.start_mark.line + 1}: aliases expand this document to more than "
                    f"{MAX_VALUES:,} values; refused (an alias bomb?)")
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise YamlError(f"{source}: line {node.start_mark.line + 1}: an alias refers to a node that "
                            "contains it; refused")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)

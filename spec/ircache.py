"""The lowered program (spec.ir) across runs: a spec file's Program kept in the per-user
cache (mmcheck.spec.cache), so that a run of a spec it has loaded before reads the IR
back instead of parsing, checking and lowering the spec and the prelude again.

An entry is keyed by the sha256 of the spec's file name as given, the working folder
(both decide the file names in locations and where includes are found), the file's
text, the constants, whether symbolic constants are allowed, and the code of the
language (every file of this package, the prelude and the grammar included, and
lark's) and where it is installed: a change to any gives another key. The files the
spec includes are named in the entry with the sha256 of their text, checked on
reading: an included file that changed, or a name that resolves to a file where none
was, makes the entry stale, and the spec is loaded again. Only a spec that loaded
without an error is stored (the language reports errors, never warnings), so a spec
with errors is parsed on every run and reports them as before.

The IR is stored as JSON data: a table of nodes, each a class of the IR (or a Loc) and
its fields in order, a node's fields naming earlier nodes by their index (so the
subexpressions that the lowering shares stay shared, and no cycle can be written).
Decoding checks every field against its annotation in spec.ir (an int is an int, an
expression a node of an expression class, a tuple a list of the item's kind) and builds
the dataclasses; nothing is unpickled or run. An entry that does not decode (damaged,
written by anything else) is ignored and replaced.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmcheck.spec import cache, ir
from mmcheck.spec.errors import Loc, SpecError, read_text, register_source

KIND = "ir"
FORMAT = "1"

_CLASSES: dict[str, type] = {
    c.__name__: c
    for c in [*vars(ir).values(), Loc]
    if isinstance(c, type) and dataclasses.is_dataclass(c)
}


class Undecodable(ValueError):
    """A value that does not fit the field it is read into (or written from)."""


class _Writer:
    """The node table being written: each node once, after the nodes it names."""

    def __init__(self) -> None:
        self.nodes: list[list[Any]] = []
        self.index: dict[int, int] = {}  # id of an IR object: its node
        self.locs: dict[Loc, int] = {}  # equal locations share a node
        self.keep: list[object] = []  # what `index` names stays alive

    def ref(self, x: Any) -> int:
        seen = self.locs if type(x) is Loc else self.index
        k = x if type(x) is Loc else id(x)
        found = seen.get(k)
        if found is None:
            name = type(x).__name__
            node = [name] + [enc(getattr(x, f), self) for f, (enc, _) in _fields(name)]
            found = seen[k] = len(self.nodes)
            self.nodes.append(node)
            self.keep.append(x)
        return found


Enc = Callable[[Any, _Writer], Any]
Dec = Callable[[Any, list[Any]], Any]


def _exact(t: type) -> tuple[Enc, Dec]:
    def check(x: Any, _: object = None) -> Any:
        if type(x) is not t:
            raise Undecodable(f"{t.__name__} expected")
        return x

    return check, check


def _nodes(classes: tuple[type, ...], optional: bool) -> tuple[Enc, Dec]:
    """A field holding an object of one of `classes` (or None, if `optional`)."""

    def enc(x: Any, w: _Writer) -> Any:
        if x is None and optional:
            return None
        if type(x) not in classes:
            raise Undecodable(f"{type(x).__name__} where a node is expected")
        return w.ref(x)

    def dec(v: Any, nodes: list[Any]) -> Any:
        if v is None and optional:
            return None
        if type(v) is not int or not 0 <= v < len(nodes) or type(nodes[v]) not in classes:
            raise Undecodable("not a node of the expected class")
        return nodes[v]

    return enc, dec


def _optional(inner: tuple[Enc, Dec]) -> tuple[Enc, Dec]:
    enc, dec = inner
    return (
        lambda x, w: None if x is None else enc(x, w),
        lambda v, nodes: None if v is None else dec(v, nodes),
    )


def _sequence(item: tuple[Enc, Dec], make: Callable[[list[Any]], Any]) -> tuple[Enc, Dec]:
    """A tuple of any length (or a frozenset: `make`) of one kind of item."""
    enc, dec = item

    def decode(v: Any, nodes: list[Any]) -> Any:
        if type(v) is not list:
            raise Undecodable("a list expected")
        return make([dec(x, nodes) for x in v])

    if make is frozenset:  # sorted: the entry does not depend on a set's order
        return lambda x, w: [enc(y, w) for y in sorted(x)], decode
    return lambda x, w: [enc(y, w) for y in x], decode


def _record(items: list[tuple[Enc, Dec]]) -> tuple[Enc, Dec]:
    """A tuple of fixed length, an item of its own kind at each place."""

    def enc(x: Any, w: _Writer) -> Any:
        if type(x) is not tuple or len(x) != len(items):
            raise Undecodable("a tuple of the wrong length")
        return [e(y, w) for (e, _), y in zip(items, x, strict=True)]

    def dec(v: Any, nodes: list[Any]) -> Any:
        if type(v) is not list or len(v) != len(items):
            raise Undecodable("a list of the wrong length")
        return tuple(d(y, nodes) for (_, d), y in zip(items, v, strict=True))

    return enc, dec


def _codec(t: Any) -> tuple[Enc, Dec]:
    """How a field annotated `t` (the annotations spec.ir uses) is written and read."""
    if t in (int, str, bool):
        return _exact(t)
    if isinstance(t, type) and dataclasses.is_dataclass(t):
        return _nodes((t,), optional=False)
    args = typing.get_args(t)
    origin = typing.get_origin(t)
    if origin in (types.UnionType, typing.Union):
        rest = tuple(a for a in args if a is not types.NoneType)
        optional = len(rest) < len(args)
        if all(dataclasses.is_dataclass(a) for a in rest):
            return _nodes(rest, optional)
        if len(rest) == 1 and optional:
            return _optional(_codec(rest[0]))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(_codec(args[0]), tuple)
    if origin is tuple:
        return _record([_codec(a) for a in args])
    if origin is frozenset:
        return _sequence(_codec(args[0]), frozenset)
    raise TypeError(f"no codec for {t!r}")


@functools.cache
def _fields(name: str) -> list[tuple[str, tuple[Enc, Dec]]]:
    """The fields of an IR class that make its value (not Program's lookup tables)."""
    cls = _CLASSES[name]
    hints = typing.get_type_hints(cls)
    return [(f.name, _codec(hints[f.name])) for f in dataclasses.fields(cls) if f.compare]


def encode(program: ir.Program) -> list[list[Any]]:
    """The program as a node table (JSON data), the program its last node. Raises
    Undecodable where a field holds what its annotation does not allow."""
    w = _Writer()
    w.ref(program)
    return w.nodes


def canonical(program: ir.Program) -> str:
    """The program as text that a program equal to it shares, whether lowered or read
    back (its repr shows each frozenset in the order its hash table holds it, which
    depends on how the set was built)."""
    try:
        return json.dumps(encode(program), separators=(",", ":"))
    except (Undecodable, RecursionError):
        return repr(program)


def decode(table: Any) -> ir.Program:
    """The program of a node table; Undecodable for anything `encode` does not write."""
    if type(table) is not list or not table:
        raise Undecodable("a list of nodes expected")
    nodes: list[Any] = []
    for node in table:
        if type(node) is not list or not node or type(node[0]) is not str:
            raise Undecodable("a node expected")
        if node[0] not in _CLASSES:
            raise Undecodable(f"{node[0]!r} is no class of the IR")
        fields = _fields(node[0])
        if len(node) != len(fields) + 1:
            raise Undecodable(f"{node[0]} with {len(node) - 1} fields")
        values = {f: dec(v, nodes) for (f, (_, dec)), v in zip(fields, node[1:], strict=True)}
        nodes.append(_CLASSES[node[0]](**values))
    if type(nodes[-1]) is not ir.Program:
        raise Undecodable("the last node is not a program")
    return nodes[-1]


# --------------------------------------------------------------------------- the entries


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def _language() -> str:
    """The sha256 of the code that makes a Program from a spec's text: this package's
    files (the prelude and the grammar too) and lark's (the parser it runs), and where
    the package is (locations in the prelude name its path)."""
    here = Path(__file__).parent
    files = sorted(p for p in here.iterdir() if p.suffix in (".py", ".mms", ".lark"))
    lark = importlib.util.find_spec("lark")
    if lark is not None and lark.origin is not None:
        files.append(Path(lark.origin))
    return cache.key(str(here), *(p.name for p in files), *(p.read_bytes() for p in files))


@dataclasses.dataclass(frozen=True)
class Query:
    """One load of a spec file: its entry's key, and the file's text that it hashes."""

    file: str
    text: str
    entry: str


def query(file: str, consts: dict[str, Any], symbolic: bool) -> Query | None:
    """The cache query for loading `file`; None where it cannot be read (the load
    reports why)."""
    try:
        text = read_text(Path(file), file)
    except (OSError, SpecError):
        return None
    given = repr(sorted((k, type(v).__name__, repr(v)) for k, v in consts.items()))
    entry = cache.key(KIND, FORMAT, _language(), file, os.getcwd(), text, given, repr(symbolic))
    return Query(file, text, entry)


def lookup(q: Query) -> ir.Program | None:
    """The program stored for the query, if its included files are as they were."""
    payload = cache.read(KIND, q.entry)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        sources = _current(data["files"], data["absent"])
        program = decode(data["program"])
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    if sources is None:
        return None
    for shown, text in sources:  # as parsing them would (error messages quote them)
        register_source(shown, text)
    return program


def _current(files: Any, absent: Any) -> list[tuple[str, str]] | None:
    """(name shown, text) of each file the entry read, None if one changed or if a path
    that was not there now is."""
    if type(files) is not list or type(absent) is not list:
        raise Undecodable("files expected")
    out = []
    for path, shown, digest in files:
        if not all(type(x) is str for x in (path, shown, digest)):
            raise Undecodable("a file's path, name and digest expected")
        try:
            text = read_text(Path(path), shown)
        except (OSError, SpecError):
            return None
        if _sha(text) != digest:
            return None
        out.append((shown, text))
    if any(Path(p).exists() for p in absent):
        return None
    return out


def store(
    q: Query, program: ir.Program, files: list[tuple[str, str, str]], absent: list[str]
) -> None:
    """Store the program loaded for the query: `files` are (path, name shown, text) of
    every file the load read, `absent` the paths it found missing. Nothing is stored if
    the spec's file changed while it loaded, or if the program does not encode."""
    if not any(shown == q.file and text == q.text for _, shown, text in files):
        return
    try:
        table = encode(program)
    except (Undecodable, RecursionError):
        return
    data = {
        "files": [[path, shown, _sha(text)] for path, shown, text in files],
        "absent": absent,
        "program": table,
    }
    cache.write(KIND, q.entry, json.dumps(data, separators=(",", ":")).encode())

"""A per-user cache of what runs derive and need again: the parser's tables, the vector
back end's generated kernels. Nothing in it is needed: an entry missing, unreadable or
damaged is computed again, and the run is the same.

Where: $MMCHECK_CACHE_DIR if set, else $XDG_CACHE_HOME/mmcheck, else ~/.cache/mmcheck;
one folder a kind of entry, one file an entry, named by its key: the sha256 of
everything the entry derives from (`key`), so a changed input never meets a stale entry.

Safety:
  - concurrent runs: an entry is written whole to a temporary file in its folder and
    renamed into place (atomic on POSIX), so a reader sees the old file, the new one or
    none, never a partial one; two writers of one key write the same bytes;
  - damage: a file holds the sha256 of its key and payload before the payload; one
    whose digest does not match (truncated, corrupt, or copied from another key) is
    ignored, and the next write replaces it;
  - trust: the cache is used only where the folder and the file are this user's and
    nobody else may write them (as ssh treats ~/.ssh), not through symbolic links; what
    is read is data the caller validates (explorer.vector.cache checks a kernel's source
    against the grammar of what the generator writes before running it), never
    unpickled or run as it stands.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import lark

ENV = "MMCHECK_CACHE_DIR"
_MAGIC = b"mmcheck-cache/1 "
_DIGEST = 64  # hex characters of a sha256


def directory() -> Path:
    """The cache folder this run would use (it may not exist yet)."""
    given = os.environ.get(ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mmcheck"


def key(*parts: str | bytes) -> str:
    """The sha256 (hex) of the parts, each length-prefixed so that no two lists of
    parts run together into the same bytes."""
    h = hashlib.sha256()
    for p in parts:
        data = p.encode() if isinstance(p, str) else p
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _private(st: os.stat_result, kind: int) -> bool:
    """Of this kind (folder or file), this user's, and writable by nobody else."""
    return (
        stat.S_IFMT(st.st_mode) == kind
        and st.st_uid == os.getuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _folder(kind: str, create: bool) -> Path | None:
    """The folder of one kind of entry, if usable (created where asked)."""
    root = directory()
    folder = root / kind
    try:
        if create:  # the root too with mode 0700, whatever the umask gives its parents
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        for d in (root, folder):
            if not _private(os.lstat(d), stat.S_IFDIR):
                return None
    except OSError:
        return None
    return folder


def _digest(entry: str, payload: bytes) -> bytes:
    return key(entry, payload).encode()


def read(kind: str, entry: str) -> bytes | None:
    """The payload stored under `entry` (a key), or None where there is none to trust."""
    folder = _folder(kind, create=False)
    if folder is None:
        return None
    try:
        fd = os.open(folder / entry, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            if not _private(os.fstat(fd), stat.S_IFREG):
                return None
            data = f.read()
        except OSError:
            return None
    head = len(_MAGIC) + _DIGEST + 1
    if not data.startswith(_MAGIC) or len(data) < head:
        return None
    payload = data[head:]
    if data[len(_MAGIC) : head - 1] != _digest(entry, payload):
        return None
    return payload


def write(kind: str, entry: str, payload: bytes) -> None:
    """Store `payload` under `entry`, atomically; silently nothing where the cache
    cannot be written (a read-only home, a full disk)."""
    folder = _folder(kind, create=True)
    if folder is None:
        return
    data = _MAGIC + _digest(entry, payload) + b"\n" + payload
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / entry)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# Lark options that are objects of ours, not data: given again when the tables are loaded
_LIVE_OPTIONS = ("lexer_callbacks", "postlex")


def lark_parser(grammar: str, **options: Any) -> lark.Lark:
    """`lark.Lark(grammar, **options)`, its LALR tables from the cache where an earlier
    run computed them (building them is most of a small check's start-up: about a
    second; loading them, a few hundredths). The tables are stored as JSON, which
    lark's own deserialiser turns back into its classes; nothing is unpickled."""
    import lark  # here: a run whose program is read back (spec.ircache) parses nothing
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    live = {k: v for k, v in options.items() if k in _LIVE_OPTIONS}
    fixed = sorted((k, v) for k, v in options.items() if k not in live)
    # what of the live options the tables depend on: the terminals named
    uses = (
        sorted(live.get("lexer_callbacks", {})),
        getattr(live.get("postlex"), "always_accept", ()),
    )
    entry = key("lark", lark.__version__, grammar, repr(fixed), repr(uses))
    payload = read("parser", entry)
    if payload is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            data = json.loads(payload, object_hook=_from_json)
            return lark.Lark._load_from_dict(data["data"], data["memo"], **live)
    parser = lark.Lark(grammar, **options)
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LIVE_OPTIONS}
    write("parser", entry, json.dumps(_to_json({"data": data, "memo": memo})).encode())
    return parser


def _to_json(x: Any) -> Any:
    """lark's serialised tables as JSON: a dict with other keys than strings (states and
    memo entries are numbered) as {"#pairs": [[key, value], ...]}."""
    if isinstance(x, dict):
        if all(isinstance(k, str) for k in x):
            return {k: _to_json(v) for k, v in x.items()}
        return {"#pairs": [[_to_json(k), _to_json(v)] for k, v in x.items()]}
    if isinstance(x, list | tuple):
        return [_to_json(v) for v in x]
    if x is None or isinstance(x, str | int | float):
        return x
    raise TypeError(f"lark table entry of type {type(x).__name__}")


def _from_json(d: dict) -> Any:
    if "#pairs" in d:
        return {(tuple(k) if isinstance(k, list) else k): v for k, v in d["#pairs"]}
    return d

"""The mmcheck spec language: `load` a spec file (or text) into the IR (spec.ir)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mmcheck.spec import ir, ircache
from mmcheck.spec.errors import SpecErrors, source_of

if TYPE_CHECKING:
    from mmcheck.spec.checker import ConstValue


def load(
    source: str | os.PathLike,
    consts: dict[str, ConstValue] | None = None,
    *,
    symbolic: bool = False,
    text: str | None = None,
    cache: bool = True,
) -> ir.Program:
    """Parse, check and lower a spec. `source` is a path (os.PathLike, or a str ending in
    ".mms" without a newline) or the spec text. `consts` overrides constants (ints, bools,
    or command-line strings; "?" leaves one symbolic, with symbolic=True). `text`, if
    given, is read in place of the file's own (locations still name the file).
    A spec file read from disk is lowered once: later loads read the program back from
    the per-user cache (spec.ircache) unless `cache` is False.
    Raises spec.errors.SpecErrors with every error found."""
    file, own = source_of(source)
    consts = dict(consts or {})
    query = None
    if cache and own is None and text is None:
        query = ircache.query(file, consts, symbolic)
        found = ircache.lookup(query) if query is not None else None
        if found is not None:
            return found
    # the parser, checker and lowering are imported only where a spec is lowered: a load
    # that the cache answers does not pay for importing them
    from mmcheck.spec.loader import Loader

    text = own if text is None else text
    loader = Loader()
    program = _lower(file, loader.load(file, text), consts, symbolic)
    if query is not None:
        ircache.store(query, program, loader.read, loader.absent)
    return program


def _lower(file: str, decls: list, consts: dict[str, ConstValue], symbolic: bool) -> ir.Program:
    from mmcheck.spec.checker import Env
    from mmcheck.spec.lower import lower

    env = Env(file, decls, consts, symbolic)
    program = lower(env)
    if env.errors:
        raise SpecErrors(env.errors)
    return program


def program(
    source_or_program: ir.Program | str | os.PathLike,
    consts: dict[str, ConstValue] | None = None,
    *,
    symbolic: bool = False,
    cache: bool = True,
) -> ir.Program:
    """A Program as given, or `load`ed from a spec path or text."""
    if isinstance(source_or_program, ir.Program):
        return source_or_program
    return load(source_or_program, consts, symbolic=symbolic, cache=cache)


__all__ = ["load", "program"]

"""The mmcheck spec language: `load` a spec file (or text) into the IR (spec.ir)."""

from __future__ import annotations

import os

from mmcheck.spec import ir
from mmcheck.spec.checker import ConstValue, Env
from mmcheck.spec.errors import SpecErrors
from mmcheck.spec.loader import Loader, source_of
from mmcheck.spec.lower import lower


def load(
    source: str | os.PathLike,
    consts: dict[str, ConstValue] | None = None,
    *,
    symbolic: bool = False,
    text: str | None = None,
) -> ir.Program:
    """Parse, check and lower a spec. `source` is a path (os.PathLike, or a str ending in
    ".mms" without a newline) or the spec text. `consts` overrides constants (ints, bools,
    or command-line strings; "?" leaves one symbolic, with symbolic=True). `text`, if
    given, is read in place of the file's own (locations still name the file).
    Raises spec.errors.SpecErrors with every error found."""
    file, own = source_of(source)
    text = own if text is None else text
    decls = Loader().load(file, text)
    env = Env(file, decls, dict(consts or {}), symbolic)
    program = lower(env)
    if env.errors:
        raise SpecErrors(env.errors)
    return program


def program(
    source_or_program: ir.Program | str | os.PathLike,
    consts: dict[str, ConstValue] | None = None,
    *,
    symbolic: bool = False,
) -> ir.Program:
    """A Program as given, or `load`ed from a spec path or text."""
    if isinstance(source_or_program, ir.Program):
        return source_or_program
    return load(source_or_program, consts, symbolic=symbolic)


__all__ = ["load", "program"]

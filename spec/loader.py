"""Reading spec files: the prelude and `include` resolution (relative paths, cycles)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from mmcheck.spec import ast
from mmcheck.spec.checker import PRELUDE
from mmcheck.spec.errors import STRING_FILE, Loc, SpecError, SpecErrors, read_text, source_of
from mmcheck.spec.parser import parse

# the source of a spec given as a path or as text, and reading it, live in spec.errors
# (a load the IR cache answers needs them, and not the parser)
__all__ = ["STRING_FILE", "Loader", "parse_or_collect", "read_text", "source_of"]


class Loader:
    def __init__(self) -> None:
        self.errors: list[SpecError] = []
        self.done: set[Path] = set()
        self.decls: list[ast.Decl] = []
        # what the load read, for spec.ircache: (path, name shown, text) of each file,
        # and each path found missing where an include falls back to NAME.mms
        self.read: list[tuple[str, str, str]] = []
        self.absent: list[str] = []

    def load(self, file: str, text: str | None) -> list[ast.Decl]:
        """Every declaration of the spec, its includes expanded in place, prelude first."""
        self.file(PRELUDE, str(PRELUDE), None, [])
        if text is None:
            path = Path(file)
            try:
                text = read_text(path, file)
            except OSError as e:
                raise SpecErrors(
                    [SpecError(Loc(file, 1, 1), f"cannot read {file}: {e.strerror or e}")]
                ) from None
            except SpecError as e:
                raise SpecErrors([e]) from None
            self.file(path, file, text, [])
        else:  # a file's text in place of its own still includes from beside the file
            base = Path.cwd() if file == STRING_FILE else Path(file).parent
            self.module(parse_or_collect(self, text, file), base, [file])
        if self.errors:
            raise SpecErrors(self.errors)
        return self.decls

    def file(self, path: Path, shown: str, text: str | None, stack: list[str]) -> None:
        key = path.resolve()
        if key in self.done:
            return
        self.done.add(key)
        if text is None:
            text = path.read_text(encoding="utf-8")
        self.read.append((str(path), shown, text))
        module = parse_or_collect(self, text, shown)
        if module is not None:
            self.module(module, path.parent, stack + [str(key)])

    def module(self, module: ast.Module | None, base: Path, stack: list[str]) -> None:
        if module is None:
            return
        for d in module.decls:
            if isinstance(d, ast.Include):
                self.include(d, base, stack)
            else:
                self.decls.append(d)

    def include(self, d: ast.Include, base: Path, stack: list[str]) -> None:
        if d.path == "prelude":
            return  # always included
        path = base / d.path
        if not path.exists() and not path.suffix:
            self.absent.append(str(path))
            path = path.with_suffix(".mms")
        shown = os.path.relpath(path) if not Path(d.loc.file).is_absolute() else str(path)
        try:  # read first: the reason it cannot be (a symlink loop, a FIFO) is the error
            text = read_text(path, shown)
        except OSError as e:
            why = "no such file" if e.errno == errno.ENOENT else e.strerror
            self.errors.append(SpecError(d.loc, f'cannot include "{d.path}": {why} ({path})'))
            return
        except SpecError as e:
            self.errors.append(e)
            return
        key = str(path.resolve())
        if key in stack:
            cycle = " -> ".join(Path(s).name for s in stack[stack.index(key) :] + [key])
            self.errors.append(SpecError(d.loc, f"include cycle: {cycle}"))
            return
        self.file(path, shown, text, stack)


def parse_or_collect(loader: Loader, text: str, file: str) -> ast.Module | None:
    try:
        return parse(text, file)
    except SpecErrors as e:
        loader.errors.extend(e.errors)
        return None

"""Reading specs: paths and text, includes (relative, once each), the prelude."""

from __future__ import annotations

from pathlib import Path

import pytest

import spec
from spec.errors import SpecErrors
from spec.ir_print import expr


def test_relative_includes_are_read_once(tmp_path: Path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "page.mms").write_text(
        'include "types"\nvar page : Page = { count: 1, locked: false }\n'
    )
    (tmp_path / "lib" / "types.mms").write_text(
        "type Page = record { count: 0..3, locked: bool }\n"
    )
    main = tmp_path / "main.mms"
    main.write_text(
        'include "lib/page.mms"\ninclude "lib/types.mms"\ninclude "prelude"\n'
        "process p {\na: get_page(page)\n}\n"
    )
    for source in (main, str(main)):
        p = spec.load(source)
        assert [v.name for v in p.vars] == ["page.count", "page.locked", "p.pc"]
        assert p.name == "main"


def test_text_source_and_spec_name():
    p = spec.load("spec Tiny\nvar x : bool = true\n")
    assert (p.name, p.file) == ("Tiny", "<string>")


def test_prelude_primitive_can_be_redefined():
    p = spec.load(
        "var n : 0..3 = 0\nmacro get_page(p) { p := p + 2 }\nprocess q {\na: get_page(n)\n}\n"
    )
    (a,) = p.actions
    assert expr(a.updates[0].value) == "n + 2"


def test_other_duplicates_of_prelude_names_are_errors():
    with pytest.raises(SpecErrors, match="duplicate definition of 'get_page'"):
        spec.load("macro get_page(p) { skip }\nmacro get_page(p) { skip }\n")

"""Reading specs: paths and text, includes (relative, once each), the prelude."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmcheck import spec
from mmcheck.cli import main
from mmcheck.spec import errors
from mmcheck.spec.errors import SpecErrors
from mmcheck.spec.ir_print import expr


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


def test_text_in_place_of_a_file_includes_from_beside_the_file(tmp_path: Path, monkeypatch):
    # as prove --infer loads a spec with candidate lemmas appended to its text
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "types.mms").write_text("type Flag = bool\n")
    main = tmp_path / "main.mms"
    main.write_text('include "lib/types"\nvar f : Flag = true\n')
    monkeypatch.chdir(tmp_path / "lib")  # not where the include is found
    p = spec.load(main, text=main.read_text() + "invariant F: f\n")
    assert [i.name for i in p.invariants] == ["F"]


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


def load_error(source: str | Path) -> str:
    with pytest.raises(SpecErrors) as info:
        spec.load(source if isinstance(source, str) else Path(source))
    (e,) = info.value.errors
    return e.format()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d, "is a directory"),
        (lambda d: Path("/dev/zero"), "not a regular file (a character device)"),
        (lambda d: os.mkfifo(d / "f.mms") or d / "f.mms", "not a regular file (a FIFO)"),
    ],
    ids=["directory", "device", "fifo"],
)
def test_a_spec_that_is_not_a_regular_file_is_refused(tmp_path: Path, make, reason):
    path = make(tmp_path)
    assert load_error(path) == f"{path}:1:1: error: cannot read {path}: {reason}"
    assert main(["typecheck", str(path)]) == 2


def test_a_spec_file_is_read_up_to_a_size(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(errors, "MAX_SOURCE_BYTES", 100)
    big = tmp_path / "big.mms"
    big.write_text("var x : bool = true\n#" + "-" * 79 + "\n")  # 101 bytes
    assert load_error(big).endswith(
        f"cannot read {big}: more than 100 bytes, the most a spec may have"
    )
    (tmp_path / "main.mms").write_text('var y : bool = true\ninclude "big"\n')
    assert load_error(tmp_path / "main.mms").startswith(
        f'{tmp_path / "main.mms"}:2:1: error: cannot include "big": more than 100 bytes, the most a spec may have'
    )
    big.write_text("var x : bool = true\n#" + "-" * 78 + "\n")  # 100 bytes
    assert len(spec.load(big).vars) == 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: None, "no such file"),
        (lambda d: (d / "inc.mms").mkdir(), "is a directory"),
        (lambda d: (d / "inc.mms").symlink_to(d / "inc.mms"), "Too many levels of symbolic links"),
        (
            lambda d: (d / "inc.mms").symlink_to("/dev/zero"),
            "not a regular file (a character device)",
        ),
        (lambda d: os.mkfifo(d / "inc.mms"), "not a regular file (a FIFO)"),
    ],
    ids=["missing", "directory", "symlink-loop", "device", "fifo"],
)
def test_include_errors_say_why(tmp_path: Path, make, reason):
    make(tmp_path)
    main_spec = tmp_path / "main.mms"
    main_spec.write_text('include "inc"\n')
    first = load_error(main_spec).splitlines()[0]
    assert (
        first == f'{main_spec}:1:1: error: cannot include "inc": {reason} ({tmp_path / "inc.mms"})'
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_include_of_an_unreadable_file(tmp_path: Path):
    (tmp_path / "inc.mms").write_text("var x : bool = true\n")
    (tmp_path / "inc.mms").chmod(0)
    (tmp_path / "main.mms").write_text('include "inc"\n')
    assert 'cannot include "inc": Permission denied' in load_error(tmp_path / "main.mms")


def test_every_verb_reads_a_path_as_a_file(tmp_path: Path, capsys):
    path = tmp_path / "spec.txt"  # not named .mms: still a file, not spec text
    path.write_text("var x : bool = true\ninvariant I: x\n")
    for verb in ("typecheck", "ir", "translate"):
        assert main([verb, str(path)]) == 0, verb
    assert main(["prove", str(path)]) == 0
    assert main(["bmc", str(path), "--depth", "1"]) == 0

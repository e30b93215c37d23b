"""docs/races/README.md's table of every race per kernel says what the specs' `expect`
lines say, and lists every spec of the library.

Each row names a spec and the constants of one of its `expect` lines, and gives that
line's verdict, shortest trace or state count in `mmcheck test`'s words; `mmcheck test`
(tests/explorer/reference and the back ends' library tests) checks the lines, so the
table cannot drift from what the explorers find."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mmcheck.explorer import expect

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "spec" / "models"
PAGE = ROOT / "docs" / "races" / "README.md"
HEADING = "## Every race, per kernel"
COLUMNS = ["race", "kernel", "fix", "spec", "setting", "result"]


def rows() -> list[tuple[int, dict[str, str]]]:
    """The table under HEADING: each row's line number and its cells by column."""
    lines = PAGE.read_text().splitlines()
    start = lines.index(HEADING)
    table: list[tuple[int, list[str]]] = []
    for n, line in enumerate(lines[start + 1 :], start + 2):
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append((n, [c.strip() for c in line.strip().strip("|").split("|")]))
    header = [c.lower() for c in table[0][1]]
    assert header == COLUMNS, f"{PAGE.name}:{table[0][0]}: columns {header}"
    return [(n, dict(zip(COLUMNS, cells, strict=True))) for n, cells in table[2:]]


ROWS = rows()


def unquote(cell: str) -> str:
    return cell.strip("`")


def said(base, e) -> tuple[str, str]:
    """An expect line as a row gives it: its constants, and its result without covers."""
    return expect.describe_consts(base, e.consts), expect.describe_expect(replace(e, covers=()))


@pytest.mark.parametrize(("line", "row"), ROWS, ids=[f"line{n}" for n, _ in ROWS])
def test_row_is_an_expect_line_of_its_spec(line, row):
    path = MODELS / unquote(row["spec"])
    assert path.is_file(), f"line {line}: no spec {row['spec']}"
    base = expect.load_defaults(path)
    lines = [said(base, e) for e in base.expects]
    got = (unquote(row["setting"]), row["result"])
    assert got in lines, f"line {line}: {got} is not an expect line of {path.name}: {lines}"


def test_every_library_spec_has_a_row():
    listed = {unquote(r["spec"]) for _, r in ROWS}
    assert {p.name for p in MODELS.glob("*.mms")} <= listed

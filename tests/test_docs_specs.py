"""Every spec the docs show as a whole spec loads.

A fenced block opened with ```` ```mms ```` is a whole spec: it is written to a file and
loaded (parsed, checked, lowered) with its default constants, so that a page cannot show
a spec mmcheck refuses. Fragments (a statement, a declaration out of context) are fenced
without the tag. The commands run on such specs are docs transcripts
(tests/test_docs_transcripts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import mmcheck

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def specs(page: Path) -> list[tuple[int, str]]:
    """The ```mms blocks of a page: the opening fence's line (1-based) and the text."""
    out: list[tuple[int, str]] = []
    start: int | None = None
    body: list[str] = []
    for n, line in enumerate(page.read_text().splitlines(), 1):
        if start is None:
            if line.strip() == "```mms":
                start, body = n, []
        elif line.startswith("```"):
            out.append((start, "".join(s + "\n" for s in body)))
            start = None
        else:
            body.append(line)
    return out


ALL = [(page, line, text) for page in PAGES for line, text in specs(page)]


@pytest.mark.parametrize(
    ("page", "line", "text"), ALL, ids=[f"{p.relative_to(ROOT)}:{n}" for p, n, _ in ALL]
)
def test_spec_block_loads(page: Path, line: int, text: str, tmp_path: Path) -> None:
    path = tmp_path / f"{page.stem}_{line}.mms"
    path.write_text(text)
    program = mmcheck.load(str(path))
    assert program.vars, f"{page.relative_to(ROOT)}:{line}: a spec with nothing to check"


def test_the_pages_that_show_whole_specs_have_them() -> None:
    pages = {p.name for p, _, _ in ALL}
    assert {"coming-from-tla.md"} <= pages
    assert len(ALL) >= 2


def test_a_spec_block_that_does_not_load_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Text.\n```mms\nvar x : 0..3 = 4\n```\n")
    ((line, text),) = specs(page)
    with pytest.raises(mmcheck.spec.errors.SpecErrors):
        test_spec_block_loads(page, line, text, tmp_path)

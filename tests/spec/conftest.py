"""Helpers for the language tests: write a spec to a temporary file and run a verb."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck.cli import main


@pytest.fixture
def run_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """run_cli(text, *args, name="spec.mms") -> (exit status, stdout, stderr)."""

    def run(text: str, *args: str, name: str = "spec.mms", verb: str = "typecheck"):
        path = tmp_path / name
        path.write_text(text)
        rc = main([verb, str(path), *args])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run

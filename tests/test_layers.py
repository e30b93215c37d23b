"""The layers import one way, checked on the source with `ast`, and the wheel installs
one import name.

mmcheck.spec is the bottom: it imports nothing of the other packages. mmcheck.explorer
sits on it: its core imports no numpy, numba or z3 and none of the back ends; the
output formats read results and the IR; the vector workers never import the engine;
nothing in the explorer imports the prover; Ray is imported by its back end only (the
vector back end's partitioned search knows no transport but its workers).
mmcheck.invariants (z3) sits on top, using the spec, the explorer's core and formats,
and the public `check`.
"""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the folders of the repository and the import name each installs as (pyproject.toml)
PACKAGES = {
    "mmcheck": "mmcheck",
    "spec": "mmcheck.spec",
    "explorer": "mmcheck.explorer",
    "invariants": "mmcheck.invariants",
}
HEAVY = ("numpy", "numba", "z3")
SCHEMAS = ("common", "check", "test", "prove", "bmc")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function; `from P import m`
    counts as P.m where P is a package of ours (it may name a submodule)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports are not used: the rules below assume so
                raise AssertionError(f"{path}: relative import")
            mod = node.module or ""
            out.add(mod)
            if mod == "mmcheck" or mod.startswith("mmcheck."):
                out.update(f"{mod}.{a.name}" for a in node.names)
    return out


SOURCES = {
    module_name(p): imports(p) for folder in PACKAGES for p in sorted((ROOT / folder).rglob("*.py"))
}


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def offenders(module_prefix: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return sorted(
        (mod, imp)
        for mod, imps in SOURCES.items()
        if within(mod, module_prefix)
        for imp in imps
        if within(imp, *forbidden)
    )


def test_every_source_file_is_seen():
    assert {
        "mmcheck.spec.ir",
        "mmcheck.explorer.core.search",
        "mmcheck.explorer.vector.workers",
        "mmcheck.invariants.prove",
        "mmcheck.cli",
    } <= set(SOURCES)


def test_no_top_level_name_but_mmcheck():
    """Every import of our code goes through `mmcheck.` (a bare `spec` would be another
    project's package, or this folder by accident of the working directory)."""
    assert [
        (m, i)
        for m, imps in SOURCES.items()
        for i in imps
        if within(i, "spec", "explorer", "invariants")
    ] == []


def test_spec_imports_nothing_of_the_other_packages():
    assert (
        offenders("mmcheck.spec", ("mmcheck.explorer", "mmcheck.invariants", "mmcheck.cli", *HEAVY))
        == []
    )


def test_the_core_is_light_and_names_no_back_end():
    assert (
        offenders(
            "mmcheck.explorer.core",
            (
                *HEAVY,
                "mmcheck.explorer.tuple",
                "mmcheck.explorer.vector",
                "mmcheck.explorer.report",
                "mmcheck.explorer.reference",
                "mmcheck.explorer.ray",
                "ray",
                "mmcheck.invariants",
                "mmcheck.cli",
            ),
        )
        == []
    )


def test_the_explorer_never_imports_the_prover():
    assert offenders("mmcheck.explorer", ("mmcheck.invariants", "z3", "mmcheck.cli")) == []


def test_output_formats_read_results_and_the_ir_only():
    assert (
        offenders(
            "mmcheck.explorer.report",
            (
                *HEAVY,
                "mmcheck.explorer.tuple",
                "mmcheck.explorer.vector",
                "mmcheck.explorer.reference",
            ),
        )
        == []
    )


def test_back_ends_do_not_import_each_other_or_the_verbs():
    commands = ("mmcheck.explorer.commands", "mmcheck.explorer.expect")
    assert (
        offenders(
            "mmcheck.explorer.tuple",
            (
                "mmcheck.explorer.vector",
                "numpy",
                "numba",
                "mmcheck.explorer.reference",
                "mmcheck.explorer.ray",
                *commands,
            ),
        )
        == []
    )
    assert (
        offenders(
            "mmcheck.explorer.vector",
            ("mmcheck.explorer.reference", "mmcheck.explorer.ray", "ray", *commands),
        )
        == []
    )
    assert (
        offenders(
            "mmcheck.explorer.reference",
            (
                "mmcheck.explorer.tuple",
                "mmcheck.explorer.vector",
                "mmcheck.explorer.ray",
                *commands,
            ),
        )
        == []
    )
    # the reference's brute force is the oracle of the fair-cycle search: it shares none
    assert offenders("mmcheck.explorer.reference", ("mmcheck.explorer.liveness",)) == []
    # the Ray back end is the vector back end's partitioned search with actors as owners
    assert offenders("mmcheck.explorer.ray", ("mmcheck.explorer.reference", *commands)) == []


def test_the_exports_read_the_ir_and_the_tuple_back_ends_initial_states_only():
    """TLA+ and Promela are written from the IR; the tuple back end lists the initial
    states (the same as every back end's)."""
    assert (
        offenders(
            "mmcheck.explorer.export",
            (
                *HEAVY,
                "mmcheck.explorer.vector",
                "mmcheck.explorer.reference",
                "mmcheck.explorer.ray",
                "mmcheck.explorer.commands",
                "mmcheck.explorer.expect",
            ),
        )
        == []
    )
    assert {
        i
        for m, imps in SOURCES.items()
        if within(m, "mmcheck.explorer.export")
        for i in imps
        if within(i, "mmcheck.explorer.tuple")
    } == {"mmcheck.explorer.tuple.translate", "mmcheck.explorer.tuple.translate.compile_model"}


def test_liveness_reads_the_core_and_the_ir_only():
    """The fair-cycle search and its observer sit above the core, below the back ends
    that check properties."""
    assert (
        offenders(
            "mmcheck.explorer.liveness",
            (
                "mmcheck.explorer.tuple",
                "mmcheck.explorer.vector",
                "mmcheck.explorer.reference",
                "mmcheck.explorer.ray",
                "mmcheck.explorer.report",
                "mmcheck.explorer.commands",
                "mmcheck.invariants",
                "numba",
                "z3",
            ),
        )
        == []
    )


def test_the_workers_never_import_the_engine():
    assert offenders("mmcheck.explorer.vector.workers", ("mmcheck.explorer.vector.engine",)) == []


def test_the_prover_uses_the_explorer_through_its_core_formats_and_check():
    internals = (
        "mmcheck.explorer.tuple.bfs",
        "mmcheck.explorer.tuple.simulate",
        "mmcheck.explorer.vector",
        "mmcheck.explorer.reference",
        "mmcheck.explorer.commands",
        "mmcheck.cli",
    )
    assert offenders("mmcheck.invariants", internals) == []


def test_the_dispatcher_names_no_verb_module():
    """The packages register their verbs (entry points): mmcheck.cli imports none of them."""
    assert [i for i in SOURCES["mmcheck.cli"] if i.endswith(".commands")] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the sources")
def test_the_wheel_installs_only_mmcheck(tmp_path):
    """Build the wheel from the tracked sources and list what it puts at the top of
    site-packages: `mmcheck` and its metadata, nothing else."""
    files = subprocess.run(
        ["git", "ls-files", "pyproject.toml", "README.md", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for f in files:
        (tmp_path / "src" / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, tmp_path / "src" / f)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(tmp_path / "src"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"mmcheck"}
    assert {
        "mmcheck/spec/grammar.lark",
        "mmcheck/spec/prelude.mms",
        "mmcheck/explorer/vector/workers.py",
        "mmcheck/explorer/export/tla.py",
        "mmcheck/invariants/prove.py",
        # the JSON Schemas of --json (mmcheck.schema reads them from the package)
        *(f"mmcheck/explorer/report/schemas/{n}.json" for n in SCHEMAS),
    } <= set(names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[mmcheck.verbs]" in text and "mmcheck = mmcheck.cli:main" in text

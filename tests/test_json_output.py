"""The --json documents of check, test, prove and bmc: real runs' output validated
against the JSON Schemas the package ships (mmcheck.schema), the errors as documents of
the same format, the documents the Python API gives equal to the verbs', and the schemas
strict enough to refuse a mutilated document."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

import mmcheck
from mmcheck.cli import main
from mmcheck.explorer import commands as explorer_commands
from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.report.schema import FORMATS, schema

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "specs"
SPINLOCK = str(SPECS / "tutorial_spinlock.mms")
COVERS = str(SPECS / "cover_spinlock.mms")
RUNTIME = str(SPECS / "runtime_errors.mms")
REFCOUNT = str(SPECS / "refcount.mms")
NONLINEAR = str(SPECS / "refcount_nonlinear.mms")
TIMES = ("seconds", "elapsed", "wall", "states_per_second")


def validator(verb: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(verb))


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    """The verb run with --json: its status and its document, validated against the
    verb's schema; nothing on stderr but warnings."""
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert all(line.startswith("warning: ") for line in err.splitlines()), err
    doc = json.loads(out)
    validator(argv[0]).validate(doc)
    assert doc["format"] == FORMATS[argv[0]]
    return code, doc


def untimed(doc: object) -> object:
    """The document without its timings, which differ between two runs."""
    if isinstance(doc, dict):
        return {k: untimed(v) for k, v in doc.items() if k not in TIMES}
    if isinstance(doc, list):
        return [untimed(v) for v in doc]
    return doc


@pytest.mark.parametrize("verb", sorted(FORMATS))
def test_each_schema_is_a_draft_2020_12_schema_of_its_format(verb):
    s = schema(verb)
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["properties"]["format"] == {"const": FORMATS[verb]}
    assert mmcheck.schema(verb) == s and mmcheck.schema(verb) is not s  # a copy each call


def test_a_verb_without_a_format_is_refused():
    with pytest.raises(ValueError, match="no JSON format for 'graph'"):
        schema("graph")


# --------------------------------------------------------------------------- check


def test_check_holds_violated_and_incomplete(capsys):
    code, doc = run_json(["check", SPINLOCK, "-D", "FIXED=true"], capsys)
    assert (code, doc["verdict"], doc["violation"]) == (0, "holds", None)
    assert (doc["stats"]["distinct"], doc["consts"]) == (24, {"CPUS": 2, "FIXED": True})
    assert [e["met"] for e in doc["expectations"]] == [True]

    code, doc = run_json(["check", SPINLOCK], capsys)
    v = doc["violation"]
    assert (code, doc["verdict"], v["kind"], v["name"], v["length"]) == (
        1,
        "violated",
        "invariant",
        "MutualExclusion",
        6,
    )
    assert len(v["trace"]["states"]) == 7 and v["failed"] is None

    code, doc = run_json(["check", SPINLOCK, "--max-states", "5"], capsys)
    assert (code, doc["verdict"], doc["violation"]) == (3, "incomplete", None)
    assert doc["reason"] == "max states 5 reached" and doc["expectations"] == []


def test_the_check_document_is_the_apis(capsys):
    _, doc = run_json(["check", SPINLOCK], capsys)
    api = mmcheck.check(SPINLOCK).to_dict()
    validator("check").validate(api)
    assert untimed(api) == untimed(doc)


def test_check_with_coverage_covers_and_a_failed_step(capsys):
    code, doc = run_json(["check", COVERS, "-D", "FIXED=true", "--coverage"], capsys)
    assert code == 0 and doc["coverage"] and doc["branches"] is not None
    reached = {c["name"]: c["length"] for c in doc["covers"] if c["reached"]}
    assert set(reached) == {"Entered", "Handover", "AllDone"}
    assert all(c["trace"] is None for c in doc["covers"] if not c["reached"])

    code, doc = run_json(["check", RUNTIME, "-D", "ERR=3"], capsys)
    v = doc["violation"]
    assert (code, v["kind"], v["length"], v["failed"]["action"]) == (1, "div", 3, "fail")


# --------------------------------------------------------------------------- test


def test_test_on_a_directory(tmp_path, capsys):
    shutil.copy(SPINLOCK, tmp_path)
    shutil.copy(RUNTIME, tmp_path)
    (tmp_path / "noexpect.mms").write_text("spec N\nvar x: 0..1 = 0\ninvariant I: x == 0\n")
    code, doc = run_json(["test", str(tmp_path)], capsys)
    assert code == 0
    assert doc["summary"] == {
        "cases": 5,
        "specs": 3,
        "passed": 5,
        "failed": 0,
        "errors": 0,
        "not_run": 0,
    }
    assert doc["unchecked"] == [str(tmp_path / "noexpect.mms")]
    assert doc["interrupted"] is None
    first = doc["cases"][0]
    assert (first["consts"], first["expected"], first["got"], first["met"]) == (
        "ERR=1",
        "fails range in 3 steps",
        "fails range in 3 steps",
        True,
    )


def test_test_reports_a_failed_case_and_a_spec_that_does_not_load(tmp_path, capsys):
    text = Path(SPINLOCK).read_text().replace("in 6 steps", "in 5 steps")
    (tmp_path / "wrong.mms").write_text(text)
    (tmp_path / "broken.mms").write_text("spec B\nvar x: 0..1 = 0\naction a { x := 1 }\n")
    code, doc = run_json(["test", str(tmp_path)], capsys)
    assert code == 2  # a spec error outranks a failed case, as without --json
    assert {k: doc["summary"][k] for k in ("passed", "failed", "errors")} == {
        "passed": 1,
        "failed": 1,
        "errors": 1,
    }
    broken = next(c for c in doc["cases"] if c["error"])
    assert broken["spec"].endswith("broken.mms") and "broken.mms:3:" in broken["error"]
    failed = next(c for c in doc["cases"] if not c["met"] and not c["error"])
    assert (failed["expected"], failed["got"]) == (
        "violates MutualExclusion in 5 steps",
        "violates MutualExclusion in 6 steps",
    )


def test_the_suites_document_is_the_apis(tmp_path, capsys):
    shutil.copy(SPINLOCK, tmp_path)
    _, doc = run_json(["test", str(tmp_path)], capsys)
    run = expect.run_all([str(tmp_path)], lambda line: None, CheckOptions())
    assert untimed(run.to_dict()) == untimed(doc)


# --------------------------------------------------------------------------- prove


def test_prove_proved(capsys):
    code, doc = run_json(["prove", REFCOUNT], capsys)
    assert (code, doc["status"], doc["fallback"]) == (0, "proved", None)
    assert {q["status"] for q in doc["queries"]} == {"proved"}
    assert all(q["cti"] is None and q["sizes"] is None for q in doc["queries"])
    assert untimed(doc) == untimed(mmcheck.prove(REFCOUNT).to_dict())


def test_prove_refuted_gives_each_cti_as_a_trace(capsys):
    code, doc = run_json(["prove", REFCOUNT, "--inv", "MappedHasRef", "-D", "PTES=?"], capsys)
    assert (code, doc["status"]) == (1, "CTI")
    assert doc["consts"] == {"PTES": "?", "PINS": 1, "UNLESS_ZERO": True}
    ctis = [q for q in doc["queries"] if q["status"] == "CTI"]
    assert ctis and all(q["cti"]["trace"]["states"] for q in ctis)
    zap = next(q for q in ctis if (q["invariant"], q["action"]) == ("MappedHasRef", "zap"))
    assert zap["cti"]["name"] == "MappedHasRef" and len(zap["cti"]["trace"]["states"]) == 2
    assert zap["cti"]["length"] == 1 and zap["sizes"]["PTES"] >= 1
    error_row = next(q for q in ctis if q["invariant"] == "(no runtime error)")
    assert error_row["cti"]["failed"]["action"] == error_row["action"]
    assert all(set(q["sizes"]) == {"PTES"} for q in ctis)


def test_prove_check_cti_says_which_ctis_are_real(capsys):
    argv = ["prove", REFCOUNT, "-D", "UNLESS_ZERO=false", "--inv", "Balanced", "--check-cti"]
    code, doc = run_json(argv, capsys)
    fault = next(
        q for q in doc["queries"] if (q["invariant"], q["action"]) == ("Balanced", "fault")
    )
    real = fault["real"]
    assert (code, fault["reachability"]) == (1, "reachable")
    assert (real["name"], real["length"], len(real["trace"]["states"])) == ("Balanced", 5, 6)

    code, doc = run_json(["prove", REFCOUNT, "--inv", "MappedHasRef", "--check-cti"], capsys)
    zap = next(
        q for q in doc["queries"] if (q["invariant"], q["action"]) == ("MappedHasRef", "zap")
    )
    assert (code, zap["reachability"], zap["real"]) == (1, "unreachable", None)


def test_prove_unknown_falls_back_and_the_fallback_is_a_proof_too(capsys):
    argv = ["prove", NONLINEAR, "-D", "NR=?", "-D", "MAPS=?", "--inv", "Sqrt2", "--timeout", "1"]
    code, doc = run_json(argv, capsys)
    assert (code, doc["status"]) == (3, "timeout")
    assert doc["fallback"]["status"] == "proved"
    assert doc["consts"]["NR"] == doc["consts"]["MAPS"] == "?"
    assert {n: doc["fallback"]["consts"][n] for n in ("MAPS", "NR")} == {"MAPS": 2, "NR": 4}
    assert "the spec's defaults" in doc["fallback_reason"]


# --------------------------------------------------------------------------- bmc


def test_bmc_violated_and_bounded(capsys):
    code, doc = run_json(["bmc", SPINLOCK, "--depth", "8"], capsys)
    assert (code, doc["verdict"], doc["depth"], doc["ended_at_depth"]) == (1, "violated", 8, 6)
    assert doc["violation"]["name"] == "MutualExclusion" and doc["violation"]["length"] == 6
    program = mmcheck.load(SPINLOCK)
    api = mmcheck.bmc_json(program, mmcheck.bmc(program, depth=8), 8)
    for d in (api, doc):  # z3 may choose another trace of the same length
        d["violation"].pop("trace")
    assert untimed(api) == untimed(doc)

    code, doc = run_json(["bmc", SPINLOCK, "-D", "FIXED=true", "--depth", "4"], capsys)
    assert (code, doc["verdict"], doc["ended_at_depth"], doc["violation"]) == (
        0,
        "bounded",
        4,
        None,
    )


@pytest.mark.parametrize("verb", [["check"], ["prove"], ["bmc", "--depth", "3"]])
def test_out_takes_the_document(tmp_path, capsys, verb):
    target = tmp_path / "result.json"
    code = main([verb[0], SPINLOCK, *verb[1:], "--json", "--out", str(target)])
    out, _ = capsys.readouterr()
    assert out == ""
    doc = json.loads(target.read_text())
    validator(verb[0]).validate(doc)
    assert doc["format"] == FORMATS[verb[0]] and code in (0, 1)


# --------------------------------------------------------------------------- errors


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str], status: int) -> dict:
    code, doc = run_json(argv, capsys)
    assert code == status
    assert set(doc) == {"format", "error"}
    return doc["error"]


@pytest.mark.parametrize("verb", ["check", "prove", "bmc"])  # test: a case's error
def test_a_spec_error_is_a_document_of_the_verbs_format(tmp_path, capsys, verb):
    bad = tmp_path / "bad.mms"
    bad.write_text("spec Bad\nvar x: 0..3 = 0\naction a { x := y }\n")
    extra = {"bmc": ["--depth", "2"]}.get(verb, [])
    error = error_of([verb, str(bad), *extra], capsys, 2)
    assert error["kind"] == "spec"
    (e,) = error["errors"]
    assert (e["file"], e["line"], e["col"]) == (str(bad), 3, 14)
    assert e["source"] == "action a { x := y }" and e["message"].startswith("unexpected ':='")
    assert error["message"].startswith(f"{bad}:3:14: error: unexpected ':='")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "mmcheck check: error: the following arguments are required: FILE"),
        (["check", SPINLOCK, "--max-states", "0"], "expected a whole number >= 1, got 0"),
        (["check", SPINLOCK, "--bogus"], "unrecognized arguments: --bogus"),
        (["check", SPINLOCK, "--inv", "Nope"], "unknown invariant 'Nope'"),
        (["test", "no/such/dir"], "mmcheck test: error: no/such/dir: no such file or directory"),
        (["prove", SPINLOCK, "--inv", "Nope"], "no invariant named Nope"),
        (["bmc", SPINLOCK], "the following arguments are required: --depth"),
    ],
)
def test_a_usage_error_is_a_document(capsys, argv, message):
    error = error_of(argv, capsys, 2)
    assert error["kind"] == "usage" and message in error["message"] and error["errors"] == []


def test_without_json_errors_stay_text_on_stderr(capsys):
    assert main(["check", SPINLOCK, "--inv", "Nope"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("mmcheck check: error: unknown invariant 'Nope'")
    with pytest.raises(SystemExit) as stop:  # argparse's own way
        main(["check", "--max-states", "0", SPINLOCK])
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: mmcheck check")


@pytest.mark.parametrize(
    ("fault", "kind"), [(MemoryError, "out of memory"), (KeyboardInterrupt, "interrupted")]
)
@pytest.mark.parametrize("verb", ["check", "prove"])
def test_out_of_memory_or_interrupted_before_a_result(monkeypatch, capsys, fault, kind, verb):
    def fail(*args: object, **kwargs: object) -> None:
        raise fault

    if verb == "check":
        monkeypatch.setattr(explorer_commands, "load_spec", fail)
    else:
        monkeypatch.setattr("mmcheck.invariants.commands.prove", fail)
    error = error_of([verb, SPINLOCK], capsys, 3)
    assert error == {"kind": kind, "message": f"mmcheck {verb}: {kind}", "errors": []}


# --------------------------------------------------------------------------- strictness


def mutilations(doc: dict) -> list[dict]:
    """Copies of a check document each broken one way a reader would trip on."""
    out = []
    for change in (
        lambda d: d.pop("verdict"),
        lambda d: d.update(verdict="fine"),
        lambda d: d.update(format="mmcheck-check/1"),  # the previous version
        lambda d: d.update(surprise=1),
        lambda d: d["stats"].update(distinct="24"),
        lambda d: d["violation"].pop("trace"),
        lambda d: d["violation"]["trace"]["states"][1]["#meta"].update(index=-1),
        lambda d: d.update(error={"kind": "usage", "message": "", "errors": []}),
    ):
        broken = copy.deepcopy(doc)
        change(broken)
        out.append(broken)
    return out


def test_a_mutilated_document_fails_validation(capsys):
    _, doc = run_json(["check", SPINLOCK], capsys)
    v = validator("check")
    for broken in mutilations(doc):
        assert not v.is_valid(broken), broken
    assert not validator("bmc").is_valid(doc)  # another verb's document is not one

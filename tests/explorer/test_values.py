"""The values of a trace's states in the Python API (`result.trace[i].values`): plain
Python as the spec writes it, the same from every back end, and the same as the
reference interpreter's own values of each state (which share no code with the slot
layout); `Result.consts`, `repr`, `_repr_html_` and `to_dict` (what `check --json`
prints)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import mmcheck
from mmcheck.explorer.core.result import Step
from mmcheck.explorer.core.values import Record, state_values
from mmcheck.explorer.reference.bfs import explore
from mmcheck.explorer.reference.machine import Reference
from mmcheck.explorer.reference.values import NONE, Frozen, Ref, Seq, Some

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
import specgen  # noqa: E402 - a helper module beside the tests, not a package

SPECS = ROOT / "tests" / "specs"
MIGRATE = ROOT / "spec" / "models" / "migrate_page.mms"


# ------------------------------------------------------------------ the oracle


def _plain(ref: Reference, v: Any) -> Any:
    """A reference interpreter's value as plain Python (explorer.reference.values)."""
    if isinstance(v, bool | int | str) or v is None:
        return v
    if v is NONE:
        return None
    if isinstance(v, Some):
        return _plain(ref, v.value)
    if isinstance(v, Ref):
        return v.index
    if isinstance(v, tuple):  # a lock's holder
        return ref.instance_name(v)
    if isinstance(v, Seq):
        return [_plain(ref, x) for x in v.items]
    if isinstance(v, frozenset):
        return frozenset(_frozen(_plain(ref, x)) for x in v)
    assert isinstance(v, Frozen), v
    if all(isinstance(k, str) for k in v.d):  # a record
        return {k: _plain(ref, x) for k, x in v.d.items()}
    return {
        (_key(ref, k[0]) if len(k) == 1 else tuple(_key(ref, i) for i in k)): _plain(ref, x)
        for k, x in v.d.items()
    }


def _key(ref: Reference, i: Any) -> Any:
    """An index value of a map: a bool index is 0 or 1 (the IR gives a map over bool no
    value names, and Python's False == 0 alike)."""
    return int(i) if isinstance(i, bool) else _plain(ref, i)


def _frozen(x: Any) -> Any:
    return frozenset((k, _frozen(v)) for k, v in x.items()) if isinstance(x, Mapping) else x


def oracle(ref: Reference, state: tuple) -> dict[str, Any]:
    """The state as the reference interpreter holds it, grouped as Step.values groups:
    a pool's `allocated` beside its fields, a process's pc and locals in one dict."""
    out: dict[str, Any] = {}
    for key, v in ref.thaw(state).items():
        value = _plain(ref, v)
        if isinstance(key, str) and "." in key:  # `Page.allocated`, beside Page's fields
            head, _, field = key.partition(".")
            if not all(isinstance(x, dict) for x in out[head].values()):
                out[key] = value  # a pool of scalars: a value of its own
                continue
            for k, x in value.items():
                out[head][k][field] = x
        elif isinstance(key, str):
            out[key] = value
        else:  # ("pc", process, index) or (process, index, local)
            proc, index, name = (key[1], key[2], "pc") if key[0] == "pc" else key
            obj = out.setdefault(proc, {})
            if index is None:
                obj[name] = value
            else:
                obj.setdefault(name, {})[index] = value
    return out


def canon(x: Any) -> Any:
    """Values comparable strictly: each scalar with its type (True is not 1), a set's
    records as frozensets of their items."""
    if isinstance(x, Mapping):
        return ("map", {canon(k): canon(v) for k, v in x.items()})
    if isinstance(x, frozenset):
        return ("set", frozenset(canon(_frozen(e)) for e in x))
    if isinstance(x, list):
        return ("seq", tuple(canon(e) for e in x))
    if isinstance(x, tuple):
        return ("tup", tuple(canon(e) for e in x))
    return (type(x).__name__, x)


# every state a reference exploration reaches: sets, sets of records, sequences, options,
# pools, locks, process sets and their locals, enum-indexed maps
ORACLE_SPECS = [
    ("msgset_commit.mms", {"FIXED": True}),
    ("init_sets_commit.mms", {"FIXED": False}),
    ("init_sets_nested.mms", {}),
    ("seq_waitqueue.mms", {}),
    ("pool_migrate.mms", {}),
    ("option_owner.mms", {"BUG": True}),
    ("option_lookup.mms", {}),
    ("enum_scopes.mms", {}),
    ("with_choice.mms", {}),
    ("lock_misuse.mms", {"BUG": 0}),
    ("local_work.mms", {"LIMIT": 2}),
    ("symmetric_spinlock.mms", {}),
]


@pytest.mark.parametrize(("name", "consts"), ORACLE_SPECS, ids=[n for n, _ in ORACLE_SPECS])
def test_values_are_the_reference_interpreters_in_every_state(name, consts):
    ref = Reference(SPECS / name, consts)
    ex = explore(ref, max_states=3000)
    assert ex.states
    for encoded, state in ex.states.items():
        assert canon(state_values(ref.program, encoded)) == canon(oracle(ref, state)), encoded


def random_spec_agrees(seed: int) -> None:
    """A random spec's states (at most 300 of a bounded exploration) read alike."""
    g = specgen.generate(seed)
    ref = Reference(g.text)
    ex = explore(ref, max_states=800)
    for encoded, state in list(ex.states.items())[:300]:
        assert canon(state_values(ref.program, encoded)) == canon(oracle(ref, state)), (
            seed,
            encoded,
        )


@pytest.mark.parametrize("seed", range(40))
def test_values_of_random_specs_are_the_reference_interpreters(seed):
    random_spec_agrees(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1400))
def test_values_of_random_specs_are_the_reference_interpreters_slow(seed):
    random_spec_agrees(seed)


# ------------------------------------------------------------------ a library model


@pytest.fixture(scope="module")
def migrate() -> mmcheck.Result:
    return mmcheck.check(MIGRATE, {"PATCH6": False}, backend="tuple")


def test_a_library_models_shortest_violation_reads_as_the_spec_writes_it(migrate):
    r = migrate
    assert (
        repr(r)
        == "<Result MigratePage: violated, 479 distinct states, invariant UnusedNewPageReturned in 4 steps>"
    )
    assert [s.action for s in r.trace] == [
        None,
        "zap.zap_pte_range",
        "free_swap.free_swap_and_cache",
        "migrate.get_new_page",
        "migrate.putback_lru_page",
    ]
    first, last = r.trace[0].values, r.trace[-1].values
    assert first["pages"][1] == {
        "count": 3,
        "mapcount": 1,
        "locked": False,
        "dirty": True,
        "mlocked": True,
        "swapcache": True,
        "setup": True,
        "uptodate": True,
        "iso": True,
    }
    assert first["pte"] == {1: "pte_present"} and last["pte"] == {1: "pte_none"}
    assert last["pages"][1]["count"] == 0 and last["pages"][2]["count"] == 0
    assert last["migrate"] == {
        "pc": "Done",
        "rc": "rc_freed",
        "i": 1,
        "was_mapped": False,
        "pass": 1,
    }
    assert last["zap"] == {"pc": {1: "Done"}}
    assert first["ptl"] == {1: None}  # a free lock
    assert first["slot"] == 1 and last["slot"] == 0 and first["old_anon"] is True
    assert list(first) == list(r.trace[-1].values)  # declaration order, every state alike
    # the constants: bools as bools
    assert dict(r.consts)["PATCH6"] is False and dict(r.consts)["PTES"] == 1
    # the covers' witnesses have values too
    assert all(c.trace[-1].values for c in r.covers if c.trace)


def test_values_need_the_program():
    with pytest.raises(ValueError, match="no program"):
        _ = Step(None, (), (0,)).values


def test_sets_sequences_options_and_holders():
    r = mmcheck.check(SPECS / "msgset_commit.mms", {"FIXED": False}, backend="tuple")
    msgs = r.trace[-1].values["msgs"]
    assert isinstance(msgs, frozenset) and msgs
    assert all(isinstance(m, Record) and set(m) == {"kind", "rm"} for m in msgs)
    assert Record({"kind": "commit", "rm": 1}) == {"kind": "commit", "rm": 1}
    r = mmcheck.check(SPECS / "init_sets_commit.mms", {"FIXED": False}, backend="tuple")
    assert all(isinstance(s.values["acked"], frozenset) for s in r.trace)
    r = mmcheck.check(SPECS / "seq_waitqueue.mms", {"CAP": 1}, backend="tuple")
    assert [s.values["waiters"] for s in r.trace] == [[], [], [2]]  # a failed step follows
    r = mmcheck.check(SPECS / "option_owner.mms", {"BUG": True}, backend="tuple")
    owners = [s.values["owner"] for s in r.trace]
    assert owners[0] is None and any(isinstance(o, int) for o in owners)


SAME = [
    ("cover_spinlock.mms", {"FIXED": False}),
    ("msgset_commit.mms", {"FIXED": False}),
    ("seq_waitqueue.mms", {"CAP": 1}),
    ("pool_migrate.mms", {"BUG": True}),
]


@pytest.mark.parametrize(("name", "consts"), SAME, ids=[n for n, _ in SAME])
def test_values_equal_across_back_ends(name, consts):
    """Each back end's trace (they may pick different shortest ones): every state's
    values are the reference interpreter's of the state it encodes to, and so are the
    constants."""
    ref = Reference(SPECS / name, consts)
    states = explore(ref, max_states=5000).states
    got = {}
    for backend in ("tuple", "vector", "reference"):
        r = mmcheck.check(SPECS / name, consts, backend=backend, workers=1)
        assert r.violation is not None and r.trace
        for step in r.trace:
            assert canon(step.values) == canon(oracle(ref, states[step.state])), backend
        got[backend] = canon(dict(r.consts))
        assert canon(consts) == canon({n: v for n, v in r.consts if n in consts})
    assert got["tuple"] == got["vector"] == got["reference"]


# ------------------------------------------------------------------ repr, html, to_dict


def test_repr_and_html_of_a_result_that_holds():
    r = mmcheck.check(SPECS / "tutorial_spinlock.mms", {"FIXED": True}, backend="tuple")
    assert repr(r) == "<Result TutorialSpinlock: holds, 24 distinct states>"
    html = r._repr_html_()
    assert html.startswith("<table>") and "<td style='text-align:left'>holds</td>" in html
    assert "24" in html


def test_to_dict_is_what_check_json_prints(monkeypatch, capsys):
    from mmcheck import cli, explorer

    made: list[mmcheck.Result] = []
    check = explorer.check

    def keep(*args: Any, **kw: Any) -> mmcheck.Result:
        made.append(check(*args, **kw))
        return made[-1]

    monkeypatch.setattr(explorer, "check", keep)
    spec = str(SPECS / "cover_spinlock.mms")
    code = cli.main(["check", spec, "-D", "FIXED=false", "--json", "--backend", "tuple"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 1 and len(made) == 1
    assert made[0].to_dict() == printed
    assert printed["consts"]["FIXED"] is False
    assert printed["expectations"][0]["met"] is True


def test_to_dict_needs_a_result_of_check():
    r = mmcheck.check(SPECS / "diehard.mms", backend="tuple")
    r.writer = None
    with pytest.raises(ValueError, match="mmcheck.check"):
        r.to_dict()

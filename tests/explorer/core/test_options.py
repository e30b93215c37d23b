"""CheckOptions (validated once, immutable, merged with explorer.check's keywords) and the
back-end registry (entry points, looked up by name, light to import)."""

import dataclasses
import subprocess
import sys
from importlib.metadata import EntryPoint, EntryPoints
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core import registry
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, Result, Stats
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
PETERSON = ROOT / "tests" / "specs" / "peterson.mms"


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "field, flag",
    [
        ("time_limit", "--time-limit"),
        ("memory_limit", "--memory-limit"),
        ("max_depth", "--max-depth"),
        ("max_states", "--max-states"),
        ("simulate", "--simulate"),
    ],
)
def test_a_negative_bound_is_refused_by_its_flag(field, flag):
    with pytest.raises(UsageError, match=f"^{flag} must not be negative$"):
        CheckOptions(**{field: -1})


def test_a_negative_walk_length_is_refused():
    with pytest.raises(UsageError, match="^--depth must not be negative$"):
        CheckOptions(simulate=1, depth=-1)


@pytest.mark.parametrize("given", [{"seed": 1}, {"depth": 5}])
def test_seed_and_depth_go_with_simulate(given):
    with pytest.raises(UsageError, match="^--seed and --depth go with --simulate$"):
        CheckOptions(**given)
    assert CheckOptions(simulate=2, **given).simulate == 2


def test_simulate_has_no_max_depth():
    with pytest.raises(UsageError, match="--max-depth is for BFS"):
        CheckOptions(simulate=2, max_depth=3)


def test_any_iterable_of_invariants_becomes_a_tuple():
    assert CheckOptions(invariants=["A", "B"]).invariants == ("A", "B")
    assert CheckOptions(invariants=(n for n in "AB")).invariants == ("A", "B")
    assert CheckOptions().invariants is None


def test_options_are_immutable_and_compare_by_value():
    options = CheckOptions(max_depth=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_depth = 4  # type: ignore[misc]
    assert options == CheckOptions(max_depth=3) and hash(options) == hash(CheckOptions(max_depth=3))


def test_the_defaults_are_those_of_check():
    assert CheckOptions() == CheckOptions(
        invariants=None, deadlock=True, symmetry=True, backend="auto", workers=1, fingerprint=False
    )


# --------------------------------------------------------------------------- check's arguments


def test_keywords_alone_or_over_options():
    assert explorer.check(PETERSON, max_depth=1).reason == "max depth 1 reached"
    options = CheckOptions(max_depth=1)
    assert explorer.check(PETERSON, None, options).reason == "max depth 1 reached"
    assert explorer.check(PETERSON, options=options, max_depth=None).verdict == HOLDS
    assert options.max_depth == 1  # replaced, not changed


def test_keywords_are_validated_with_the_options_they_join():
    with pytest.raises(UsageError, match="--max-depth is for BFS"):
        explorer.check(PETERSON, options=CheckOptions(max_depth=2), simulate=3)


def test_an_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        explorer.check(PETERSON, max_dpth=1)


# --------------------------------------------------------------------------- the registry


def test_the_back_ends_in_order():
    assert registry.names() == ["auto", "tuple", "vector", "reference", "ray"]
    assert [b.name for b in registry.backends()] == registry.names()


def test_an_unknown_back_end():
    with pytest.raises(
        UsageError, match=r"^unknown back end 'x' \(auto, tuple, vector, reference or ray\)$"
    ):
        registry.get("x")
    with pytest.raises(UsageError, match="unknown back end 'x'"):
        explorer.check(PETERSON, backend="x")


@pytest.mark.parametrize(
    "backend, options, message",
    [
        ("tuple", CheckOptions(simulate=2, coverage=True), None),
        ("vector", CheckOptions(simulate=2), "the vector back end explores exhaustively"),
        ("vector", CheckOptions(coverage=True), None),
        ("vector", CheckOptions(coverage=True, workers=None), "records coverage with one worker"),
        ("reference", CheckOptions(fingerprint=True), "does not support --fingerprint"),
        ("reference", CheckOptions(workers=2), "the reference back end runs one worker"),
        ("reference", CheckOptions(workers=None), None),
        ("ray", CheckOptions(simulate=2), "the ray back end explores exhaustively"),
        ("ray", CheckOptions(coverage=True), "the ray back end records no coverage"),
        ("ray", CheckOptions(backend="ray", ray_address="auto", fingerprint=True), None),
    ],
)
def test_what_each_back_end_refuses(backend, options, message):
    refusal = registry.get(backend).refuses(options)
    assert refusal is None if message is None else message in refusal


def test_check_raises_the_refusal_before_loading():
    with pytest.raises(UsageError, match="^the reference back end does not support --coverage$"):
        explorer.check(ROOT / "no such file.mms", backend="reference", coverage=True)


def run_nothing(source, consts, options, limits, initial) -> Result:
    return Result(INCOMPLETE, Stats(), reason=f"ran {options.max_states}")


def test_a_new_back_end_is_one_entry(monkeypatch):
    """Registered like the others, it is looked up, asked and run by explorer.check."""
    refusing = registry.Backend(
        "other",
        "a stub",
        9,
        run_nothing,
        lambda o: "other refuses --fingerprint" if o.fingerprint else None,
    )
    monkeypatch.setitem(sys.modules, "other_backend", type(sys)("other_backend"))
    sys.modules["other_backend"].BACKEND = refusing  # type: ignore[attr-defined]
    points = EntryPoints(
        [
            *registry.entry_points(group=registry.GROUP),
            EntryPoint("other", "other_backend:BACKEND", registry.GROUP),
        ]
    )
    monkeypatch.setattr(registry, "entry_points", lambda group, **kw: points.select(**kw))
    assert registry.names()[-1] == "other"
    assert explorer.check(PETERSON, backend="other", max_states=7).reason == "ran 7"
    with pytest.raises(UsageError, match="^other refuses --fingerprint$"):
        explorer.check(PETERSON, backend="other", fingerprint=True)
    with pytest.raises(UsageError, match=r"\(auto, tuple, vector, reference, ray or other\)"):
        registry.get("x")


def test_options_and_the_registry_import_no_numpy():
    code = (
        "import sys\n"
        "from mmcheck.explorer.core import options, registry\n"
        "import mmcheck.explorer\n"
        "registry.names()\n"
        "registry.get('vector').refuses(options.CheckOptions(coverage=True))\n"
        "print(sorted(m for m in ('numpy', 'numba', 'z3') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"

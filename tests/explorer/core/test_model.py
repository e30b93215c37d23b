"""The Model protocol: the tuple back end's model implements it, and its dependency
matrix (deps) names the slots each action reads and writes."""

from mmcheck import spec
from mmcheck.explorer.core.model import Deps, Model
from mmcheck.explorer.tuple.model import CompiledModel
from mmcheck.explorer.tuple.translate import compile_model

# slots: x 0, y 1, a[1] 2, a[2] 3, busy 4
DEPS = """spec Deps
var x : 0..3 = 0
var y : 0..3 = 0
var a : [1..2] -> 0..1 = [i in 1..2 |-> 0]
var busy : bool = false
action inc
  when x < 3
  x' = x + 1
action copy
  y' = x
action mark(i: 1..2)
  when not busy
  a[i]' = 1
action first
  when a[1] == 1
  busy' = true
terminal busy
"""


def test_deps_pins_each_action():
    model = compile_model(spec.load(DEPS))
    assert isinstance(model, CompiledModel) and Model in CompiledModel.__mro__
    assert [g.action.name for g in model.groups] == ["inc", "copy", "mark", "first"]
    assert model.deps() == (
        Deps(reads=frozenset({0}), writes=frozenset({0})),
        Deps(reads=frozenset({0}), writes=frozenset({1})),
        Deps(reads=frozenset({4}), writes=frozenset({2, 3})),  # a[i]: any slot of a
        Deps(reads=frozenset({2}), writes=frozenset({4})),  # a[1]: its slot alone
    )


def test_generic_members_over_the_primitives():
    model = compile_model(spec.load(DEPS))
    (s0,) = model.init_states()
    assert model.n_edges == 5 and model.decode(3)[1] == (2,)
    steps = model.replay(s0, [0, 2, 4])
    assert [st.action for st in steps] == [None, "inc", "mark", "first"]
    assert steps[2].params == (("i", 1),) and steps[-1].state == (1, 0, 1, 0, 1)
    assert not model.is_deadlock(steps[-1].state) and model.is_deadlock(s0)
    assert model.failed_step(3).params == (("i", 2),)

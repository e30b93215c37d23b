# Initial sets nested inside one another, and in process-local variables: a map of
# records, a record with a map and a set field, a set literal of maps and one of
# sets, and per instance of a process set (one choice per element of each instance).
spec InitSetsNested

type Cpu = 0..1
type Slot = record { busy: bool, owner: Cpu }

var slots : [Cpu] -> Slot in [Cpu -> [busy: bool, owner: {1}]]
var page  : record { flags: [Cpu] -> bool, users: set of Cpu } in [flags: [Cpu -> {false}], users: subset {0, 1}]
var prio  : [Cpu] -> 0..2 in { [c in Cpu |-> c], [c in Cpu |-> 2 - c] }

init card(page.users) == (count c in Cpu: slots[c].busy)
init exists c in Cpu: worker[c].want[0] and not worker[c].mode.fast    # locals: none

process worker[self in Cpu] {
  var want : [0..1] -> bool in [0..1 -> {self == 1}]
  var mode : record { fast: bool, level: 0..1 } in [fast: bool, level: 0..self]
  run:
    if want[0] and want[1] then slots[self].busy := true
}

process single {
  var pick : set of Cpu in { {}, {1}, {1} }
  go:
    pick := pick union {0}
}

invariant Owned: forall c in Cpu: slots[c].owner == 1
invariant Level: forall c in Cpu: worker[c].mode.level <= c
invariant Picked: done(single) => 0 in single.pick

expect holds with 768 states

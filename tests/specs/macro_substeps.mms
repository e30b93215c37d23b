# The spinlock of docs/tutorial.md with its lock word set through macros, for the trace
# formats: a step's effects appear under the macro calls they came from (take_lock()
# then set_locked() in `take`), and the store of the CPU that lost the race,
# `locked := true` on a word already set, appears as a write that left it unchanged.
#
#   FIXED=false: "check, then set" in two steps: both CPUs can see the lock free.
#   FIXED=true:  test_and_set reads and sets the lock word in one atomic step.
#   CHECKED=true: take_lock asserts the word was clear, so the race is an assertion
#                 failure inside the macro.
spec MacroSubsteps

const CPUS = 2
const FIXED = false
const CHECKED = false
type Cpu = 1..CPUS

var locked : bool = false                       # the lock word
var in_cs  : [Cpu] -> bool = [c in Cpu |-> false]
var page   : record { count: 0..3, locked: bool } = { count: 1, locked: false }
var owner  : 0..CPUS = 0                        # who took the lock last

macro set_locked(who) {
  locked := true
  owner := who
}

macro take_lock(who) {
  if CHECKED then assert not locked, "lock word already set"
  set_locked(who)
  get_page(page)                                # a prelude primitive: no sub-step
}

process cpu[self in Cpu] {
  var was : bool = false
spin:
  if FIXED then {
    was := test_and_set(locked)
    if was then goto spin
  } else {
    await not locked
  }
take:
  in_cs[self] := false                          # still out: an unchanged write
  if FIXED then get_page(page) else take_lock(self)
critical:
  in_cs[self] := true
release:
  in_cs[self] := false
  put_page(page)
  locked := false
}

invariant MutualExclusion: (count c in Cpu: in_cs[c]) <= 1
terminal done(cpu)

expect FIXED=false: violates MutualExclusion in 6 steps
expect FIXED=false, CHECKED=true: fails assert in 4 steps
expect FIXED=true: holds with 24 states

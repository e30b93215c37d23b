# A hand-made spinlock for two CPUs: the spec of docs/tutorial.md.
#
#   FIXED=false: "check, then set" in two steps: both CPUs can see the lock free.
#   FIXED=true:  test_and_set reads and sets the lock word in one atomic step.
spec TutorialSpinlock

const CPUS = 2
const FIXED = false
type Cpu = 1..CPUS

var locked : bool = false                       # the lock word
var in_cs  : [Cpu] -> bool = [c in Cpu |-> false]

process cpu[self in Cpu] {
  var was : bool = false
spin:                                           # while (...) cpu_relax();
  if FIXED then {
    was := test_and_set(locked)
    if was then goto spin
  } else {
    await not locked
  }
take:
  if not FIXED then locked := true
critical:
  in_cs[self] := true
release:
  in_cs[self] := false
  locked := false
}

invariant MutualExclusion: (count c in Cpu: in_cs[c]) <= 1
terminal done(cpu)

expect FIXED=false: violates MutualExclusion in 6 steps
expect FIXED=true: holds

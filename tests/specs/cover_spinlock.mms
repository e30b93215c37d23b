# Witness properties (`cover`) on the spinlock of docs/tutorial.md, with symmetric
# CPUs: each cover is reported reached with its shortest trace, or NOT REACHED.
#
#   FIXED=false: both CPUs can get in at once: BothInside is reached, and the
#                invariant that says it cannot is violated first.
#   FIXED=true:  one CPU at a time: Handover (a CPU takes the lock another released)
#                is reached, BothInside is not.
spec CoverSpinlock

const CPUS = 2
const FIXED = false
type Cpu = symmetric 1..CPUS

var locked  : bool = false
var in_cs   : [Cpu] -> bool = [c in Cpu |-> false]
var entries : 0..2 = 0                          # critical sections entered, up to 2

symmetric process cpu[self in Cpu] {
  var was : bool = false
spin:
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
  entries := min(entries + 1, 2)
release:
  in_cs[self] := false
  locked := false
}

invariant MutualExclusion: (count c in Cpu: in_cs[c]) <= 1
terminal done(cpu)

cover Entered: entries >= 1
cover Handover: entries == 2
cover BothInside: forall c in Cpu: in_cs[c]
cover AllDone: done(cpu)

expect FIXED=true: holds with 13 states, covers Entered, Handover, AllDone
expect FIXED=false: violates MutualExclusion in 6 steps, covers Entered

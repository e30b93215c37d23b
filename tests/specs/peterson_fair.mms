# Peterson's lock is starvation-free under weak fairness: a process that raises its flag
# reaches its critical section, since the other can pass it at most once (it gives the
# turn away before it waits again). The same algorithm as peterson.mms, with both
# processes weakly fair (peterson_unfair.mms has no fairness, and the property fails).
spec PetersonFair

type Pid = 1..2

var flag : [Pid] -> bool = [i in Pid |-> false]
var turn : Pid = 1

fair process p[self in Pid] {
set_flag:
  flag[self] := true
set_turn:
  turn := 3 - self
wait:
  await not flag[3 - self] or turn == self
critical:
  skip
release:
  flag[self] := false
  goto set_flag
}

invariant MutualExclusion: not (at(p[1], critical) and at(p[2], critical))

# trying (the flag raised, before the critical section) leads to the critical section
property StarvationFree: at(p[1], set_turn) or at(p[1], wait) leads_to at(p[1], critical)

expect holds with 26 states

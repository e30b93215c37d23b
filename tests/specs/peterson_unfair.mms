# Peterson's lock without fairness: nothing makes a process take a step, so a process
# that has raised its flag may wait forever, the other one stopping anywhere (TLA+'s
# stuttering). peterson_fair.mms is the same with both processes weakly fair.
spec PetersonUnfair

type Pid = 1..2

var flag : [Pid] -> bool = [i in Pid |-> false]
var turn : Pid = 1

process p[self in Pid] {
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

expect violates property StarvationFree (cycle of 1 step)

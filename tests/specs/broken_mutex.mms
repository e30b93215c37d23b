# A mutex that checks the other's flag, then raises its own in a second step:
# both processes can pass the check before either flag is up.
spec BrokenMutex

type Pid = 1..2

var flag : [Pid] -> bool = [i in Pid |-> false]

process p[self in Pid] {
wait:
  await not flag[3 - self]
set_flag:
  flag[self] := true
critical:
  skip
release:
  flag[self] := false
  goto wait
}

invariant MutualExclusion: not (at(p[1], critical) and at(p[2], critical))

expect violates MutualExclusion in 4 steps

# Peterson's filter lock for N processes (Herlihy & Shavit, "The Art of Multiprocessor
# Programming", 2.4): to enter level l a process announces it, makes itself the level's
# victim and waits until no other process is at level l or above, or it is no longer
# the victim. N-1 levels; a process at level N-1 is in its critical section.
# peterson_filter.mms with every process weakly fair and a starvation-freedom property:
# bench/run's liveness row, mmcheck beside TLC on the same property.

spec PetersonFilterLive

const N : 2..8 = 3

type Proc = 1..N

var level : [Proc] -> 0..N - 1 = [p in Proc |-> 0]
var victim : [1..N - 1] -> Proc = [l in 1..N - 1 |-> 1]

fair process p[self in Proc] {
  var l : 1..N - 1 = 1
set_level:
  level[self] := l
set_victim:
  victim[l] := self
wait:
  await (forall k in Proc: k == self or level[k] < l) or victim[l] != self
  if l < N - 1 {
    l := l + 1
    goto set_level
  }
cs:
  skip
leave:
  level[self] := 0
  l := 1
  goto set_level
}

invariant Mutex: forall i in Proc: forall j in Proc: i != j => not (at(p[i], cs) and at(p[j], cs))

# starvation freedom: under weak fairness every process (by symmetry, p[1]) enters its
# critical section again and again
property Starvation: always eventually at(p[1], cs)

expect N=2: holds
expect N=3: holds

# The language sketch of the design brief, in the final syntax.
spec MlockRace

const CPUS = 2                        # overridable: mmcheck check -D CPUS=3
const FIXED = false
type Pte = enum { present, migration, none }
var vm_locked    : bool = true
var page_mlocked : bool = false
var pte          : [1..CPUS] -> Pte = [i in 1..CPUS |-> present]
var refcount     : 0..8 = 3           # page refcount (`count` is a keyword: a quantifier)
lock ptl                              # spinlock: holder tracked, misuse is an error

action freeze(expected: 1..4)         # TLA+-style action: guard, then primed updates
  when refcount == expected
  refcount' = 0

process reclaim {                     # PlusCal-style: each label is one atomic step
check:  lock ptl
        if not vm_locked then { unlock ptl; goto done }
        if not FIXED then unlock ptl  # the race: the lock is dropped before mlock
mlock:  page_mlocked := true
        if FIXED then unlock ptl
done:   skip
}

process munlock {
clear:  vm_locked := false
munlock_page: lock ptl; page_mlocked := false; unlock ptl
}

process fault[i in 1..CPUS] {         # a set of processes; `self` (here also `i`) is the index
touch:  await pte[self] == present; lock ptl; pte[i] := migration; unlock ptl
}

invariant NoLeak: done(reclaim) and done(munlock) => (page_mlocked => vm_locked)
terminal done(reclaim) and done(munlock) and done(fault)

expect FIXED=false: violates NoLeak in 5 steps
expect FIXED=true: holds

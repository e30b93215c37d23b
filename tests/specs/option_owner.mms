// Options of a symmetric type (docs/language.md, "Options" and "Symmetry"): the owner
// of a page lock is a Cpu or none. none is no Cpu, so every permutation of the Cpus
// fixes it, and the reduction still explores one state per permutation. With BUG, a
// cpu drops ownership before it leaves the critical section.
spec option_owner

const BUG = false

type Cpu = symmetric 1..3

var owner : Cpu? = none                 // who holds the lock; none: nobody
var inside : 0..3 = 0                   // cpus in the critical section
var last : Cpu? = none                  // the last owner, kept after it unlocks

process cpu[self in Cpu] {
  lock:
    await owner == none
    owner := self                       // a Cpu stored in a Cpu?: implicitly some
  enter:
    inside := inside + 1
    if BUG then owner := none
  leave:
    inside := inside - 1
    last := owner
    owner := none
    goto lock
}

invariant Exclusive: inside <= 1
invariant OwnedInside: inside == 1 => owner != none

expect BUG=false: holds
expect BUG=true: violates OwnedInside in 2 steps

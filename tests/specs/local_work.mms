# N workers, each doing K steps of private work and then one shared increment. Without
# reduction the interleavings of the private steps multiply: (K+3)^N states. The
# private steps of one worker commute with every step of the others, so partial-order
# reduction (--por) explores a number of states about linear in N*K.
spec LocalWork

const N : 1..8 = 4
const K : 1..8 = 3
const LIMIT : 0..8 = N

type Worker = 1..N

var finished : 0..N = 0

process w[self in Worker] {
  var x : 0..K = 0
work:
  if x < K {
    x := x + 1
    goto work
  }
report:
  assert x == K
  finished := finished + 1
}

invariant Bounded: finished <= LIMIT

expect holds with 1296 states
expect LIMIT=2: violates Bounded in 15 steps

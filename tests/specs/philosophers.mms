# Dining philosophers: each takes its left fork, then its right one. When all hold
# their left fork, nobody can move.
spec Philosophers

const N = 3
type Phil = 0..N-1

lock fork : [Phil]

process phil[self in Phil] {
take_left:
  lock fork[self]
take_right:
  lock fork[(self + 1) % N]
eat:
  unlock fork[(self + 1) % N]
  unlock fork[self]
  goto take_left
}

expect deadlock in 3 steps

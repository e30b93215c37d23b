# Dining philosophers with Dijkstra's resource ordering (each takes the lower-numbered
# of its two forks first), strongly fair: a philosopher whose next fork is free
# infinitely often gets it, so every hungry philosopher eats, and nobody deadlocks.
# philosophers_weak.mms is the same under weak fairness, where one can starve.
spec PhilosophersStrong

const N = 3
type Phil = 0..N-1

lock fork : [Phil]

def left(i) = i
def right(i) = (i + 1) % N
def first(i) = if left(i) < right(i) then left(i) else right(i)
def second(i) = if left(i) < right(i) then right(i) else left(i)

strongly fair process phil[self in Phil] {
take_first:
  lock fork[first(self)]
take_second:
  lock fork[second(self)]
eat:
  unlock fork[second(self)]
  unlock fork[first(self)]
  goto take_first
}

# a hungry philosopher eventually eats
property Eats: at(phil[0], take_first) leads_to at(phil[0], eat)

expect holds with 12 states

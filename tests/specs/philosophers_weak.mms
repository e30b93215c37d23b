# Dining philosophers with Dijkstra's resource ordering: each takes the lower-numbered
# of its two forks first, so the last one takes its right fork (0) first and no cycle of
# waits can form: no deadlock. Under weak fairness a philosopher can still starve: its
# next fork is free only between a neighbour's meals, so the wait is not continuously
# enabled, and weak fairness lets it miss every chance (philosophers_strong.mms: under
# strong fairness it eats). philosophers.mms is the naive order, which deadlocks.
spec PhilosophersWeak

const N = 3
type Phil = 0..N-1

lock fork : [Phil]

def left(i) = i
def right(i) = (i + 1) % N
def first(i) = if left(i) < right(i) then left(i) else right(i)
def second(i) = if left(i) < right(i) then right(i) else left(i)

fair process phil[self in Phil] {
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

expect violates property Eats (cycle of 6 steps)

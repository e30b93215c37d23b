// Quantifiers over sets whose bounds read variables (docs/language.md, "Expressions")
const BUG = false
type Cpu = 1..3
var n : 0..3 = 0
var lo : 1..3 = 1
var pins : [Cpu] -> 0..2 = [c in Cpu |-> 0]
var waiters : set of Cpu = {}
var k : 0..3 = 1

action Grow
  when n < 3
  n' = n + 1
  pins[n + 1]' = 1
  waiters' = waiters union {n + 1}

action Raise
  when lo < n
  lo' = lo + 1

action Probe
  when BUG
  k' = (k + 1) % 4

invariant Pinned: forall i in 1..n: pins[i] == 1
invariant Counted: (count i in 1..n: true) == n and (sum i in lo..n: 1) == max(0, n - lo + 1)
invariant Some: n > 0 => exists i in lo..n: i in waiters
invariant Waiters: forall q in waiters: q <= n
invariant Bools: exists b in bool: b == (n > 1)
invariant Bounded: forall i in 1..pins[k]: i == 1     # pins[k] outside 1..3 when k = 0

terminal n == 3 and lo == 3

expect holds with 7 states
expect BUG=true: fails domain in 3 steps

// `with x in S { ... }`: one transition per element of S (docs/language.md, "Processes")
const BUG = false
type Cpu = 1..3
var waiters : set of Cpu = if BUG then {1, 2} else {1, 3}
var n : 0..3 = 2
var served : 0..3 = 0
type Mode = enum { idle, busy }
var mode : Mode = idle

process server {
pick:
  with q in waiters {               # one transition for q = 1, one for q = 3
    served := q
    waiters := waiters minus {q}
  }
shrink:
  with i in 1..n, up in bool {      # a range whose bound reads the state, and bool
    n := if up then n else i - 1
  }
again:
  either {
    with q in waiters, s in Mode { served := q; mode := s }
  } or {
    skip
  }
}

invariant NotTwo: served != 2
invariant InRange: n <= 2

expect holds with 27 states
expect BUG=true: violates NotTwo in 1 steps

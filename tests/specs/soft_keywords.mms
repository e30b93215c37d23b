// `lock`, `init` and `with` as names (docs/language.md, "Lexical")
var lock : bool = false
var init : 0..2 = 0
var with : [1..2] -> bool = [i in 1..2 |-> false]
init init == 0
lock spin

process p {
take:
  lock spin
  lock := true
  init := init + 1
  with[1] := lock
  with i in 1..2 { with[i] := true }
drop:
  unlock spin
  lock := false
}

action Reset
  when not lock and init == 1
  init' = 2
  with[2]' = false

invariant Held: lock => locked(spin)
invariant Init: init <= 2

expect holds with 6 states

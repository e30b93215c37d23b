// Labels inside `either` branches (docs/language.md, "Processes")
const BUG = false
var pte : 0..2 = 0
var refs : 0..3 = 1
var gave_up : bool = false
lock ptl

process fault {
start:
  either {
    lock ptl
  install:                    # the branch's next step: it runs with ptl held
    pte := 1
    if not BUG then refs := refs + 1
    unlock ptl
  } or {
    gave_up := true           # no label: on to what follows the either, in this step
  }
  assert refs >= 1            # run by `start` (second branch) and by `install`
finish:
  skip
}

process reclaim {
zap:
  lock ptl
  if pte == 1 { pte := 2; refs := refs - 1 }
  unlock ptl
}

invariant MappedHasRef: pte == 1 => refs >= 2
invariant OneWay: not (gave_up and pte != 0 and pte != 2)

expect holds with 14 states
expect BUG=true: violates MappedHasRef in 2 steps

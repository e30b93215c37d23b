# The ignoring problem of partial-order reduction: a spinner's private loop commutes
# with everything, so a reduced expansion could follow it forever and never take the
# writer's step. The cycle proviso (--por) expands the state that closes the loop
# fully, so the violation is found.
spec PorIgnoring

var bad : bool = false

process spinner {
  var x : 0..1 = 0
spin:
  x := 1 - x
  goto spin
}

process writer {
write:
  bad := true
}

invariant NotBad: not bad

expect violates NotBad in 1 steps

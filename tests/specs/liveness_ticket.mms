// Two CPUs take a ticket spinlock: under weak fairness neither starves, as a waiter's
// step stays enabled from the moment its ticket is served until it takes it.
spec liveness_ticket

var next : 0..1 = 0
var serving : 0..1 = 0

fair process cpu[i in 1..2] {
  var my : 0..1 = 0
  take: my := next; next := (next + 1) % 2
  spin: await serving == my
  cs: skip
  release: serving := (serving + 1) % 2; goto take
}

property Progress: always eventually at(cpu[1], cs)
property Served: at(cpu[1], spin) leads_to at(cpu[1], cs)

expect holds with 43 states

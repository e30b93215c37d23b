# TLA+'s TypeOK as an invariant: a map, a record, a set and a map of records, each in
# the set of its values (`[D -> S]`, `[f: S, ...]`, `subset S`), sets narrower than
# the variables' types. With WIDE, Ack writes an owner the type allows and TypeOK does
# not. AllBusy is the state where every slot is busy, owned by its node: reached.
spec TypeOKCompound

const N = 2
const WIDE = false
type Node = 1..N
type Slot = record { busy: bool, owner: 0..3 }

var tokens : [Node] -> 0..3 = [n in Node |-> 0]
var cfg    : record { quorum: 1..N, slack: 0..3 } = {quorum: 1, slack: 0}
var acked  : set of 0..3 = {}
var slots  : [Node] -> Slot = [n in Node |-> {busy: false, owner: 0}]

action Grant(n: Node)
  when tokens[n] < 2 and n notin acked
  tokens' = [tokens except [n] = tokens[n] + 1]

action Ack(n: Node)
  when tokens[n] > 0
  acked' = acked union {n}
  slots' = [slots except [n] = {busy: true, owner: if WIDE then 3 else n}]

action Tune
  when cfg.slack < 2
  cfg' = {cfg except slack = cfg.slack + 1}

action Reset(n: Node)
  when n in acked
  acked' = acked minus {n}
  tokens' = [tokens except [n] = 0]
  slots' = [slots except [n] = {busy: false, owner: 0}]

invariant TypeOK:
  tokens in [Node -> 0..2] and cfg in [slack: 0..2, quorum: 1..N] and acked in subset Node
  and slots in [Node -> [busy: bool, owner: 0..N]]
invariant NotAllBusy: slots notin [Node -> [busy: {true}, owner: Node]]
# a map over another domain, a record of other fields: never members (TLA+)
invariant Others: tokens notin [0..N -> 0..3] and cfg notin [slack: 0..3]

expect WIDE=false: holds with 75 states (invariants TypeOK, Others)
expect WIDE=true: violates TypeOK in 2 steps (invariants TypeOK)
expect WIDE=false: violates NotAllBusy in 4 steps (invariants NotAllBusy)

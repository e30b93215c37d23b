# Atomic commit from any initial votes, as TLA+ writes `vote \in [Node -> BOOLEAN]`:
# each node starts with either vote, the acks already in are any subset of the nodes,
# and the configuration any record of the given field sets. The coordinator commits
# only when every node has acked and all of them voted yes (FIXED); without FIXED, a
# quorum of acks is taken for everyone's.
spec InitSetsCommit

const N = 3
const FIXED = true
type Node = 1..N
type Config = record { quorum: 1..N, slack: 0..2 }

var vote     : [Node] -> bool in [Node -> bool]
var acked    : set of Node in subset Node
var cfg      : Config in [quorum: 2..N, slack: 0..1]
var coord    : record { id: Node, term: 0..2 } in { {id: 1, term: 0}, {id: 2, term: 1} }
var decision : enum { undecided, committed, aborted } = undecided

init card(acked) <= 1                       # at most one ack in flight at the start
init exists n in Node: vote[n]              # someone voted yes
init cfg.slack < cfg.quorum

action Ack(n: Node)
  when decision == undecided and n notin acked
  acked' = acked union {n}

action Commit
  when decision == undecided
  when if FIXED then acked == Node and (forall n in acked: vote[n])
       else card(acked) >= cfg.quorum and (forall n in acked: vote[n])
  decision' = committed

action Abort
  when decision == undecided and (exists n in acked: not vote[n])
  decision' = aborted

terminal decision != undecided
invariant Unanimous: decision == committed => forall n in Node: vote[n]
invariant CoordKnown: coord.term == coord.id - 1

expect FIXED=true: holds with 696 states
expect FIXED=false: violates Unanimous in 2 steps

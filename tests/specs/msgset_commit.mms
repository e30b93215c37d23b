# Two-phase commit over a message set, as TLA+'s TwoPhase writes it: the transaction
# manager and the resource managers talk only through `msgs`, a set of records that
# only grows (a message is never lost or consumed). The manager commits once every
# resource manager said prepared (FIXED); without FIXED, once any one did, so a
# resource manager that aborted on its own meets one that committed.
spec MsgSetCommit

const N = 3
const FIXED = true
type RM = symmetric 1..N
type Kind = enum { prepared, commit, abort }
type Msg = record { kind: Kind, rm: RM }

var rm_state : [RM] -> enum { working, prep, committed, aborted } = [r in RM |-> working]
var tm_done  : bool = false
var msgs     : set of Msg = {}

def votes = { m in msgs | m.kind == prepared }

action Prepare(r: RM)
  when rm_state[r] == working
  rm_state' = [rm_state except [r] = prep]
  msgs' = msgs union {{kind: prepared, rm: r}}

action GiveUp(r: RM)
  when rm_state[r] == working
  rm_state' = [rm_state except [r] = aborted]

action Commit
  when not tm_done and card(votes) >= (if FIXED then N else 1)
  tm_done' = true
  msgs' = msgs union { {kind: commit, rm: r} : r in RM }

action Abort
  when not tm_done
  tm_done' = true
  msgs' = msgs union { {kind: abort, rm: r} : r in RM }

action Receive(r: RM)
  when exists m in msgs: m.rm == r and m.kind != prepared
  when rm_state[r] in {working, prep}
  rm_state' = [rm_state except [r] = if {kind: commit, rm: r} in msgs then committed else aborted]

terminal tm_done and forall r in RM: rm_state[r] in {committed, aborted}

invariant Consistent: not (exists r in RM: rm_state[r] == committed and
                           exists s in RM: rm_state[s] == aborted)

invariant Decided: card({ m.kind : m in msgs } minus {prepared}) <= 1
invariant PreparedSent: forall m in votes: rm_state[m.rm] != working
invariant Counted: (count m in msgs: m.kind == prepared) == card(votes)

expect FIXED=true: holds with 34 states
expect FIXED=false: violates Consistent in 4 steps

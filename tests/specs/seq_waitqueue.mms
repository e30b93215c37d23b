# lock_page's wait queue: a task that finds the page locked queues itself, FIFO, and
# sleeps; unlock_page hands the lock to the first waiter and wakes only it (wake-one).
# With CAP below the number of tasks, the queue overflows: append past its bound is a
# range error. HANDOFF=false wakes the first waiter without checking there is one:
# head of an empty queue is a domain error.
spec SeqWaitQueue

const TASKS = 3
const CAP = 3
const CHECKED = true

type Task = 1..TASKS

var locked : bool = false
var owner : 0..TASKS = 0
var waiters : seq[CAP] of Task = <<>>

process task[t in Task] {
  take:   if not locked then { locked := true; owner := t; goto crit }
          else { waiters := append(waiters, t) }
  sleep:  await owner == t
  crit:   skip
  wake:   if not CHECKED or len(waiters) > 0 {
            owner := head(waiters)
            waiters := tail(waiters)
          } else {
            locked := false
            owner := 0
          }
}

invariant OwnerHoldsTheLock: locked == (owner != 0)
invariant QueuedOnce: forall t in Task: (count w in waiters: w == t) <= 1
invariant OwnerNotQueued: not (owner in waiters)
invariant WaitersSleep: forall w in waiters: at(task[w], sleep) and owner != w
invariant NoWaitersWhenFree: not locked => waiters == <<>>
invariant Fifo: len(waiters) >= 2 => waiters[1] != waiters[2]

expect holds with 83 states
expect CAP=1: fails range in 3 steps
expect CHECKED=false: fails domain in 3 steps

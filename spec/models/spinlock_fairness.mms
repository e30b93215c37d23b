# A CPU spinning for a test-and-set spinlock can starve; one waiting for a ticket
# spinlock cannot. The classic result (weak fairness is not enough for test-and-set,
# a FIFO ticket is), on the kernel's two spinlocks:
#
# - TICKET=false: the test-and-set lock x86 falls back to on a hypervisor, v4.2's
#   virt_spin_lock() (arch/x86/include/asm/qspinlock.h): "On hypervisors without
#   PARAVIRT_SPINLOCKS support we fall back to a Test-and-Set spinlock, because fair
#   locks have horrible lock 'holder' preemption issues."
#       do {
#               while (atomic_read(&lock->val) != 0)
#                       cpu_relax();
#       } while (atomic_cmpxchg(&lock->val, 0, _Q_LOCKED_VAL) != 0);
#   and native_queued_spin_unlock(): "smp_store_release((u8 *)lock, 0);".
# - TICKET=true: ARM's ticket spinlock, arch_spin_lock() of v4.0
#   (arch/arm/include/asm/spinlock.h): ldrex/add/strex take a ticket,
#   "lockval.tickets.next", and bump lock->tickets.next; then
#       while (lockval.tickets.next != lockval.tickets.owner) {
#               wfe();
#               lockval.tickets.owner = ACCESS_ONCE(lock->tickets.owner);
#       }
#   and arch_spin_unlock(): "lock->tickets.owner++; dsb_sev();".
#
# Every CPU takes the lock, runs its critical section and releases it, forever. Each
# CPU is weakly fair (`fair process`): a step that stays enabled is eventually taken,
# so no CPU stops while it can run. The property says that a CPU that starts to take
# the lock gets it. With test-and-set it is violated: the spinning CPU's atomic_read
# and atomic_cmpxchg steps are always enabled (they fail, and loop), and it may run
# them exactly while another CPU holds the lock, again and again. Strong fairness would
# not help: the failing steps are taken, infinitely often. With tickets the waiter's
# ticket is next after the holder's, and no one can take the lock before it: it holds.
#
# Abstractions:
#  - Each step is one atomic access: ldrex/strex (an exclusive pair that retries until
#    it succeeds) is one step, as is atomic_cmpxchg. Memory is sequentially consistent:
#    the barriers (smp_mb, smp_store_release, dsb_sev) and wfe/sev are not modelled;
#    wfe is a spin (its wake-up is the unlock's sev, which only makes it quicker).
#  - Tickets are u16 and wrap at 65536; here they wrap at CPUS + 1: at most CPUS tickets
#    are outstanding, so every modulus above CPUS gives the same behaviour.
#  - The property is stated for CPU 1; the CPUs are alike, so it holds for each.
#
#   mmcheck check spec/models/spinlock_fairness.mms                 # test-and-set: a lasso
#   mmcheck check spec/models/spinlock_fairness.mms -D TICKET=true  # tickets: holds

spec SpinlockFairness

const TICKET = false        # false: virt_spin_lock's test-and-set; true: ARM's tickets
const CPUS : 2..4 = 2

type Cpu = 1..CPUS
type Ticket = 0..CPUS       # u16, wrapping at CPUS + 1 here

var val : bool = false                       # qspinlock->val != 0 (test-and-set)
var next : Ticket = 0                        # lock->tickets.next
var owner : Ticket = 0                       # lock->tickets.owner
var ticket : [Cpu] -> Ticket = [c in Cpu |-> 0]   # lockval.tickets.next of each CPU

fair process cpu[self in Cpu] {
# spin_lock(): virt_spin_lock() or arch_spin_lock()
spin_lock:
  if TICKET {
    # ldrex/add/strex: lockval = lock->slock; lock->tickets.next++
    ticket[self] := next
    next := (next + 1) % (CPUS + 1)
    goto wfe
  }
# "while (atomic_read(&lock->val) != 0) cpu_relax();"
atomic_read:
  if val { goto atomic_read }
# "} while (atomic_cmpxchg(&lock->val, 0, _Q_LOCKED_VAL) != 0);"
atomic_cmpxchg:
  if not cas(val, false, true) { goto atomic_read }
  goto critical
# "while (lockval.tickets.next != lockval.tickets.owner) { wfe(); lockval.tickets.owner =
# ACCESS_ONCE(lock->tickets.owner); }"
wfe:
  if ticket[self] != owner { goto wfe }
critical:
  skip
# spin_unlock(): native_queued_spin_unlock's store of 0, or "lock->tickets.owner++"
spin_unlock:
  if TICKET { owner := (owner + 1) % (CPUS + 1) } else { val := false }
  goto spin_lock
}

def holding(c) = at(cpu[c], critical) or at(cpu[c], spin_unlock)

invariant MutualExclusion: forall c in Cpu, d in Cpu: c != d => not (holding(c) and holding(d))

# CPU 1, once it calls spin_lock(), eventually holds the lock.
property NoStarvation: at(cpu[1], spin_lock) leads_to at(cpu[1], critical)

# test-and-set: CPU 1 starves (the cycle's length is the tuple back end's lasso; see
# tests/test_liveness_models.py); tickets: it cannot
expect violates property NoStarvation
expect TICKET=true: holds with 88 states
expect CPUS=3: violates property NoStarvation
expect TICKET=true, CPUS=3: holds with 1085 states

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# MutualExclusion inductive in both modes, for any number of CPUs (`-D 'CPUS=?'`).
def queued(c) = at(cpu[c], wfe) or holding(c)    # c holds a ticket: waiting or holding
# How far ticket t is past lock->tickets.owner, round the wrap: (t - owner) mod (CPUS + 1),
# written without `%`, which over a symbolic CPUS is nonlinear arithmetic for z3.
def ahead(t) = if t >= owner then t - owner else t + CPUS + 1 - owner

# Test-and-set: val is set exactly while one CPU holds the lock; no CPU is in the ticket
# wait.
lemma TestAndSet:
  not TICKET
    => (count c in Cpu: holding(c)) == (if val then 1 else 0)
       and forall c in Cpu: not at(cpu[c], wfe)
# Tickets: no CPU is in virt_spin_lock()'s loop.
lemma TicketsOnly:
  TICKET => forall c in Cpu: not at(cpu[c], atomic_read) and not at(cpu[c], atomic_cmpxchg)
# The wrap of `next++` and `owner++` (the steps' `% (CPUS + 1)`): the ticket after t is
# t + 1, or 0 after CPUS. Arithmetic, true in every state, but z3 does not find it over
# a symbolic CPUS (a remainder by CPUS + 1 is nonlinear); with it the successors of next
# and owner are linear terms.
lemma TicketWrap:
  forall t in Ticket: (t + 1) % (CPUS + 1) == (if t == CPUS then 0 else t + 1)
# next - owner (round the wrap) is the number of CPUs holding a ticket: taken by
# arch_spin_lock()'s ldrex/strex, not yet given back by arch_spin_unlock()'s owner++.
lemma QueueLength: TICKET => (count c in Cpu: queued(c)) == ahead(next)
# Every ticket held lies in the window owner..next-1.
lemma InWindow: TICKET => forall c in Cpu: queued(c) => ahead(ticket[c]) < ahead(next)
# The holder's ticket is owner: it left the wfe loop on lockval.tickets.next == owner,
# and owner moves only at its own unlock.
lemma HolderOwns: TICKET => forall c in Cpu: holding(c) => ticket[c] == owner
# No two CPUs hold the same ticket (so at most one has owner's, and holds the lock).
lemma DistinctTickets:
  TICKET
    => forall c in Cpu: forall d in Cpu:
         c != d and queued(c) and queued(d) => ticket[c] != ticket[d]

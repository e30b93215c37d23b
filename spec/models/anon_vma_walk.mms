# Two rmap walkers of one anon_vma list, with the trylock-and-retry locking of seed 000:
# can they livelock, as Mel Gorman feared?
#
# Seed 000: Mel Gorman, linux-mm and linux-kernel, 2010-04-22, in "Re: [PATCH 04/14]
# mm,migration: Allow the migration of PageSwapCache pages": "with this approach I
# suspect there is a possibility that two walkers of the same anon_vma list could
# livelock if two locks on the list are held at the same time." The approach, as he
# posted it on 2010-04-26 ("[PATCH 2/2] mm,migration: Prevent rmap_walk_[anon|ksm]
# seeing the wrong VMA information": "a second lock cannot be spinned upon in case of
# deadlock. Instead, the rmap walker tries to take locks of different anon_vma's. If the
# attempt fails, the operation is restarted"), in 2.6.34-rc5's mm/rmap.c rmap_walk_anon:
#     retry:
#         anon_vma = page_anon_vma(page);
#         spin_lock(&anon_vma->lock);
#         list_for_each_entry(avc, &anon_vma->head, same_anon_vma) {
#                 struct vm_area_struct *vma = avc->vma;
#                 if (anon_vma != vma->anon_vma) {
#                         if (!spin_trylock(&vma->anon_vma->lock)) {
#                                 spin_unlock(&anon_vma->lock);
#                                 goto retry;
#                         }
#                 }
#                 address = vma_address(page, vma);
#                 if (anon_vma != vma->anon_vma)
#                         spin_unlock(&vma->anon_vma->lock);
#                 ret = rmap_one(page, vma, address, arg);
#         }
#         spin_unlock(&anon_vma->lock);
# and in mm/mmap.c vma_adjust: "if (vma->anon_vma) spin_lock(&vma->anon_vma->lock);"
# around the updates of vm_start, vm_end and vm_pgoff. What landed instead is
# 012f18004da3 "mm: always lock the root (oldest) anon_vma" (Rik van Riel): every
# anon_vma_lock() is "spin_lock(&anon_vma->root->lock)", one lock, no trylock.
#
# The scenario (as in rmap_vma_adjust.mms): a process faults pages in, so their
# page->mapping is its anon_vma, the root; it forks. With 2.6.34's anon_vma_chain the
# child's vma is on the root's list and on the child's own anon_vma's list, and its
# vma->anon_vma is the child's. So walking the root's list (a page faulted before the
# fork) meets the child's vma, whose anon_vma is not the list's: a second lock, taken by
# trylock. Walking the child's list (a page the child faulted after the fork, or COWed)
# meets only the child's vma: one lock. The walkers: ROOT_WALKERS walks of the root's
# list (migration's try_to_unmap or remove_migration_ptes of different pages, reclaim's
# page_referenced), one walk of the child's list, and the child's mprotect (split_vma ->
# vma_adjust of its vma).
#
# What the model shows (expectations at the end):
# - No livelock between walkers (REPEAT=false): every walk ends. The trylocks follow the
#   anon_vma tree: a vma on anon_vma A's list has A or a descendant of A as its
#   vma->anon_vma, so a walker holding A trylocks only descendants, and a walker of a
#   leaf's list (the child's) never trylocks: it and vma_adjust always finish, and the
#   walks of the root's list, which serialize on the root's lock by spinning, then
#   succeed. "Two locks on the list held at the same time" by two walkers of one list
#   cannot happen: they hold the list's own lock in turn.
# - Starvation (REPEAT=true, the child's walk and mprotect happening again and again):
#   a walk of the root's list may retry forever, each trylock failing while the child's
#   lock is held, even though every process is strongly fair: its failing trylock is
#   always enabled and is taken, so no fairness of the scheduler helps. A lasso.
# - With 012f18004da3's root lock (LOCK_ROOT=true) every walk and vma_adjust spins on
#   the one lock; under strong fairness (which a FIFO ticket spinlock gives: see
#   spinlock_fairness.mms) every walk ends, REPEAT or not.
#
# Abstractions:
#  - Each list is walked in one step per vma that matters: the root's list is the
#    parent's vma (its own anon_vma: no second lock; nothing of it is modelled) and the
#    child's; the child's list is the child's vma. rmap_one (try_to_unmap_one,
#    remove_migration_pte, page_referenced_one) is folded into the vma_address step.
#  - vma_adjust's stores are two steps, vm_start then vm_pgoff, as in
#    rmap_vma_adjust.mms; `adjusting` is true between them, when vma_address would
#    compute a wrong address (seed 000's race).
#  - mmap_sem, the page lock and the pte locks are left out: none of them is held
#    across the anon_vma locks here, so none changes who can take them.
#  - Sequentially consistent: no memory barriers are modelled.

spec AnonVmaWalk

const LOCK_ROOT = false     # false: Mel's trylock and retry; true: 012f18004da3's root lock
const REPEAT = false        # the child's walk and mprotect happen again and again
const ROOT_WALKERS : 1..3 = 2

type Walker = 1..ROOT_WALKERS
type AnonVma = enum { root_av, child_av }

var adjusting : bool = false      # vma_adjust between its stores of vm_start and vm_pgoff
lock anon_vma_lock : [AnonVma]    # each anon_vma's spinlock (anon_vma->lock)

# the lock that locking anon_vma av takes: "spin_lock(&anon_vma->lock)", or with
# 012f18004da3 "spin_lock(&anon_vma->root->lock)"
def lock_of(av) = if LOCK_ROOT then root_av else av

# rmap_walk_anon() of a page faulted before the fork: page_anon_vma(page) is the root's.
strongly fair process walk_root[self in Walker] {
# "retry: anon_vma = page_anon_vma(page); spin_lock(&anon_vma->lock);"; the parent's vma,
# first on the list, is the list's own anon_vma's: no second lock
spin_lock:
  spin_lock(anon_vma_lock[lock_of(root_av)])
# the child's vma: "if (anon_vma != vma->anon_vma) { if
# (!spin_trylock(&vma->anon_vma->lock)) { spin_unlock(&anon_vma->lock); goto retry; } }";
# with the root lock the list is walked under one lock
spin_trylock:
  if not LOCK_ROOT {
    if not trylock(anon_vma_lock[child_av]) {
      spin_unlock(anon_vma_lock[root_av])
      goto spin_lock
    }
  }
# "address = vma_address(page, vma); if (anon_vma != vma->anon_vma)
# spin_unlock(&vma->anon_vma->lock); ret = rmap_one(page, vma, address, arg);"
vma_address:
  assert not adjusting, "vma_address() on a vma that vma_adjust() is changing"
  if not LOCK_ROOT { spin_unlock(anon_vma_lock[child_av]) }
# "spin_unlock(&anon_vma->lock);"
spin_unlock:
  spin_unlock(anon_vma_lock[lock_of(root_av)])
}

# rmap_walk_anon() of a page the child faulted after the fork: page_anon_vma(page) is the
# child's, and the child's vma, the one vma on its list, has it as vma->anon_vma.
strongly fair process walk_child {
spin_lock:
  spin_lock(anon_vma_lock[lock_of(child_av)])
vma_address:
  assert not adjusting, "vma_address() on a vma that vma_adjust() is changing"
spin_unlock:
  spin_unlock(anon_vma_lock[lock_of(child_av)])
  if REPEAT { goto spin_lock }
}

# The child's mprotect: split_vma -> vma_adjust(vma, ...) of its vma (mm/mmap.c), under
# "if (vma->anon_vma) spin_lock(&vma->anon_vma->lock);" (anon_vma_lock(anon_vma) with
# 012f18004da3).
strongly fair process mprotect {
vma_adjust:
  spin_lock(anon_vma_lock[lock_of(child_av)])
  adjusting := true               # "vma->vm_start = start; vma->vm_end = end;"
vma_adjust_pgoff:
  adjusting := false              # "vma->vm_pgoff = pgoff;"
  spin_unlock(anon_vma_lock[lock_of(child_av)])
  if REPEAT { goto vma_adjust }
}

# seed 000's race is gone: no walk computes an address while vma_adjust changes the vma
# (the asserts above); and no walker holds the child's lock but across vma_address
invariant ChildLockHeldOnlyToRead:
  forall w in Walker: holder(anon_vma_lock[child_av]) == walk_root[w]
    => at(walk_root[w], vma_address)

# every walk of the root's list ends
property RootWalksEnd: eventually forall w in Walker: done(walk_root[w])

# no livelock: every walk ends; starvation of a walk of the root's list when the child's
# walk and mprotect repeat; none with the root's lock
expect holds with 136 states
expect REPEAT=true: violates property RootWalksEnd
expect LOCK_ROOT=true: holds with 88 states
expect LOCK_ROOT=true, REPEAT=true: holds with 28 states
expect ROOT_WALKERS=3: holds with 368 states
expect ROOT_WALKERS=3, REPEAT=true: violates property RootWalksEnd
expect ROOT_WALKERS=3, LOCK_ROOT=true, REPEAT=true: holds with 68 states

# A lemma, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which
# makes ChildLockHeldOnlyToRead and vma_address's asserts inductive in every mode, for
# any ROOT_WALKERS (`-D ROOT_WALKERS=?`): each lock is held by the step owners that took
# it, from spin_lock (or the trylock) to spin_unlock, and vma_adjust's window is
# mprotect's, under the child's lock (the root's with 012f18004da3).
def walking_root(w) =
  at(walk_root[w], spin_trylock) or at(walk_root[w], vma_address) or at(walk_root[w], spin_unlock)
lemma LockHolders:
  (forall w in Walker:
     (holder(anon_vma_lock[root_av]) == walk_root[w] <=> walking_root(w))
     and (holder(anon_vma_lock[child_av]) == walk_root[w]
            <=> not LOCK_ROOT and at(walk_root[w], vma_address)))
  and (holder(anon_vma_lock[lock_of(child_av)]) == walk_child
         <=> at(walk_child, vma_address) or at(walk_child, spin_unlock))
  and (holder(anon_vma_lock[lock_of(child_av)]) == mprotect <=> at(mprotect, vma_adjust_pgoff))
  and (not LOCK_ROOT
         => holder(anon_vma_lock[root_av]) != walk_child
            and holder(anon_vma_lock[root_av]) != mprotect)
  and (LOCK_ROOT => not locked(anon_vma_lock[child_av]))
  and (adjusting <=> at(mprotect, vma_adjust_pgoff))

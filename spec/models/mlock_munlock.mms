# Reclaim's try_to_unmap_one sets PageMlocked while munlock or unmap clears it.
#
# Seed 004 (linux-mm, thread of "[PATCH 0/12] mm: page migration cleanups, and a
# little mlock"): [PATCH 2/12] "mm: rmap use pte lock
# not mmap_sem to set PageMlocked" (Hugh Dickins, 2015-10-19 04:50) and Vlastimil Babka's
# reply of 2015-10-19 12:33, which expands Kirill's CPU0/CPU1 race. Kernel: v4.3
# mm/rmap.c try_to_unmap_one, mm/mlock.c munlock_vma_pages_range / __munlock_pagevec /
# mlock_vma_page, mm/memory.c zap_pte_range, mm/mmap.c exit_mmap.
#
# Before the fix, try_to_unmap_one finds the page in a VM_LOCKED vma under the pte lock,
# drops the pte lock, down_read_trylock()s mmap_sem, checks VM_LOCKED again and calls
# mlock_vma_page. The trylock is useless: neither exit_mmap nor truncation holds mmap_sem
# (truncation holds the file's i_mmap_rwsem, which an anonymous page's rmap walk does not
# take). Two races follow:
#  - exit_mmap's munlock_vma_pages_range clears VM_LOCKED and TestClearPageMlocked()s the
#    page between the check and mlock_vma_page; the page stays PageMlocked although no
#    VM_LOCKED vma maps it (Vlastimil: "If not [the last mapper], it stays mlocked").
#  - zap_pte_range (exit_mmap's or truncation's unmap_mapping_range, which removes even
#    anonymous COWs) unmaps the page in that window; mlock_vma_page then marks a page no
#    one maps, and it is freed PageMlocked: "Bad page state (mlocked)".
# The fix calls mlock_vma_page with the pte lock still held: munlock's follow_page_mask
# and zap_pte_range take that pte lock after clearing VM_LOCKED, so either they come
# after the mlock (and undo it), or reclaim sees their effect.
#
# Abstractions:
#  - One page. Vma 1 belongs to the mm being torn down (exit_mmap) or truncated and is
#    VM_LOCKED; vmas 2..VMAS map the same page from other mms (after fork) and are not
#    VM_LOCKED. Each vma has its own pte lock and mmap_sem; a pte either maps the page
#    or not (a swap entry or none: both "not mapped" here). Nothing but reclaim takes
#    mmap_sem, so its down_read_trylock always succeeds: that is why it does not help.
#  - Reclaim has already isolated the page from the LRU (one reference) when the model
#    starts; its rmap walk visits the vmas in any order (the interval tree's order
#    follows addresses the model does not have).
#  - PG_mlocked and PageLRU are flags; the LRU lists themselves, the zone counters and
#    mlock_vma_page's own isolate_lru_page (which fails: reclaim holds the page
#    isolated) are not modelled.
#  - __munlock_pagevec's phase 2 (lock_page, putback, unlock_page) is one step under the
#    page lock. It runs only for a page that phase 1 took off an LRU, so never while
#    reclaim holds the page isolated: Vlastimil's expanded trace shows a phase 2 on CPU0
#    after CPU1's unlock_page, but in v4.3 __munlock_isolate_lru_page fails for that
#    page and __munlock_pagevec only drops its pin.
#  - zap_pte_range drops the pte's page reference at once (the tlb batch is folded in).
#  - Labels carry the kernel's names, underscores included; phase 2 of __munlock_pagevec
#    is the label __munlock_isolated_page.

spec MlockMunlock

const FIXED = false        # true: mlock_vma_page under the pte lock (patch 2/12)
const TRUNCATE = false     # CPU0 is truncation's unmap_mapping_range, not exit_mmap
const VMAS : 1..4 = 2      # vmas mapping the page; only vma 1 is VM_LOCKED
const MLOCKED = false      # PG_mlocked when the model starts. false: mlock() has set
                           # VM_LOCKED but not yet populated the range, so reclaim is the
                           # one to mark the page. true, as in Vlastimil's trace (a fault's
                           # mlock_vma_page after reclaim isolated the page): reachable,
                           # but reclaim then culls the page at page_evictable() and never
                           # reaches try_to_unmap, so there is no race to find

type Vma = 1..VMAS
# count: the mappings, reclaim's isolation and munlock's pagevec reference;
# lru: PageLRU, on an LRU list (not isolated)
type Page = record { count: 0..VMAS + 2, locked: bool, mlocked: bool, lru: bool }

var page : Page = { count: VMAS + 1, locked: false, mlocked: MLOCKED, lru: false }
var vm_locked : [Vma] -> bool = [v in Vma |-> v == 1]
var pte : [Vma] -> bool = [v in Vma |-> true]     # vma v's pte maps the page
lock ptl : [Vma]           # each mm's page table lock
lock mmap_sem : [Vma]      # each mm's mmap_sem: only reclaim's down_read_trylock takes it

def mapcount = count v in Vma: pte[v]
def in_vm_locked_vma = exists v in Vma: pte[v] and vm_locked[v]

# page_remove_rmap (mm/rmap.c), called under the pte lock: the last unmap clears
# PG_mlocked (clear_page_mlock); the pte's reference on the page goes with it.
macro unmap_pte(v) {
  if mapcount == 1 { page.mlocked := false }
  pte[v] := false
  put_page(page)
}

# zap_pte_range (mm/memory.c) on the page's pte in vma v
macro zap_pte(v) {
  spin_lock(ptl[v])
  if pte[v] { unmap_pte(v) }
  spin_unlock(ptl[v])
}

# CPU0 with TRUNCATE=false: exit_mmap -> munlock_vma_pages_all -> munlock_vma_pages_range
# (mm/mlock.c) on vma 1, then unmap_vmas. "mmap_sem is *not* taken" (Kirill's race,
# quoted by Vlastimil).
process exit_mmap {
  var pinned : bool = false    # the page sits in munlock's pagevec, with a reference
# munlock_vma_pages_range: "vma->vm_flags &= ~VM_LOCKED", no lock held
munlock_vma_pages_range:
  await not TRUNCATE
  vm_locked[1] := false
# munlock_vma_pages_range: "page = follow_page_mask(vma, start, FOLL_GET | FOLL_DUMP,
# &page_mask);": follow_page_pte takes the pte lock (pte_offset_map_lock), and with
# FOLL_GET pins a present page (get_page_foll) for the pagevec ("The pin from
# follow_page_mask() prevents them from collapsing by THP"). __munlock_pagevec_fill then
# pins the pages of the following ptes, under the same pte lock: there are none here.
follow_page_mask:
  spin_lock(ptl[1])
  if pte[1] {
    get_page(page)
    pinned := true
  }
  spin_unlock(ptl[1])
# __munlock_pagevec phase 1, under the zone lru_lock only, with neither pte lock nor page
# lock held ("The key problem", Vlastimil): TestClearPageMlocked, then
# __munlock_isolate_lru_page, which fails for a page reclaim has isolated
# (__munlock_isolation_failed): then no phase 2, only the pin is released.
__munlock_pagevec:
  if pinned {
    if page.mlocked and page.lru {
      page.mlocked := false
      page.lru := false
      goto __munlock_isolated_page
    }
    page.mlocked := false
    put_page(page)
    pinned := false
  }
  goto zap_pte_range
# __munlock_pagevec phase 2, for a page phase 1 isolated: lock_page, put it back on an LRU
# (__putback_lru_fast_prepare, or __munlock_isolated_page if PG_mlocked was set again: its
# try_to_munlock can only set PG_mlocked, so it changes nothing here), unlock_page, and
# drop the pin.
__munlock_isolated_page:
  lock_page(page)
  page.lru := true
  unlock_page(page)
  put_page(page)
  pinned := false
# exit_mmap -> unmap_vmas -> zap_pte_range under the pte lock
zap_pte_range:
  zap_pte(1)
}

# CPU1: shrink_page_list on the isolated page: lock it, try_to_unmap, unlock, put back.
# rmap_walk_anon: "anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, pgoff, pgoff)"
# visits the vmas that map the page in the interval tree's order, which follows their
# addresses, not their flags or their mms: the next vma is any one not yet visited, and
# the walk ends (SWAP_AGAIN: the page stays mapped somewhere) after the last.
macro rmap_walk_next() {
  if card(walked) == VMAS {
    goto unlock_page
  } else {
    with w in Vma minus walked {
      v := w
      walked := walked union {w}
    }
    goto try_to_unmap_one
  }
}

process reclaim {
  var v : Vma = 1              # the vma rmap_walk is visiting
  var walked : set of Vma = {} # the vmas it has visited
# shrink_page_list: "if (!trylock_page(page)) goto keep;". Nothing else takes the lock
# of a page that reclaim holds isolated (munlock's phase 2 never runs for it), so the
# trylock cannot fail here, and a blocking lock_page is the same.
trylock_page:
  lock_page(page)
# shrink_page_list: "if (unlikely(!page_evictable(page))) goto cull_mlocked;": a page
# already PG_mlocked is put back on the unevictable list, never unmapped
page_evictable:
  if page.mlocked { goto unlock_page }
  rmap_walk_next()
# try_to_unmap -> rmap_walk -> try_to_unmap_one(vma v): page_check_address takes the pte
# lock. In a VM_LOCKED vma: before the fix, out_mlock drops the pte lock first; after it,
# "Holding pte lock, we do *not* need mmap_sem here". Otherwise the pte is unmapped
# (it becomes a swap entry) and the walk goes on.
try_to_unmap_one:
  spin_lock(ptl[v])
  if pte[v] and vm_locked[v] {
    if FIXED {
      goto mlock_vma_page
    } else {
      spin_unlock(ptl[v])
      goto down_read_trylock
    }
  } else {
    if pte[v] { unmap_pte(v) }
    spin_unlock(ptl[v])
    rmap_walk_next()
  }
# before the fix: "if (down_read_trylock(&vma->vm_mm->mmap_sem)) { if (vma->vm_flags &
# VM_LOCKED) mlock_vma_page(page) ...}"; without it, SWAP_AGAIN and the walk goes on
down_read_trylock:
  if trylock(mmap_sem[v]) {
    if vm_locked[v] { goto mlock_vma_page }
    unlock mmap_sem[v]
  }
  rmap_walk_next()
# mlock_vma_page: TestSetPageMlocked; SWAP_MLOCK stops the walk. Then up_read (before
# the fix) or pte_unmap_unlock (after it).
mlock_vma_page:
  page.mlocked := true
  if FIXED {
    spin_unlock(ptl[v])
  } else {
    unlock mmap_sem[v]
  }
# shrink_page_list: cull_mlocked / keep_locked
unlock_page:
  unlock_page(page)
# putback_lru_page: back on an LRU (the unevictable one if PageMlocked), dropping the
# isolation reference; the last reference frees the page
putback_lru_page:
  page.lru := true
  put_page(page)
}

# With TRUNCATE=true, instead of exit_mmap: truncation's preliminary unmap_mapping_range
# "is supposed to remove even the anonymous COWs of filecache pages" (PATCH 2/12): the
# page is such a COW, shared after fork by private mappings of the file, and
# unmap_mapping_range -> zap_pte_range unmaps it from every vma in turn; vma 1 stays
# VM_LOCKED.
process truncate {
  var t : Vma = 1              # the vma being zapped
# unmap_mapping_range -> unmap_mapping_range_tree -> zap_pte_range on vma t
zap_pte_range:
  await TRUNCATE
  zap_pte(t)
  if t < VMAS {
    t := t + 1
    goto zap_pte_range
  }
}

# Once munlock (or the unmap) and reclaim are done, a page still in use is PageMlocked
# only if a VM_LOCKED vma maps it (Vlastimil: "If not, it stays mlocked").
invariant NoLeak:
  done(reclaim) and (done(exit_mmap) or done(truncate)) and page.count > 0
    => (page.mlocked => in_vm_locked_vma)

# free_pages_check: a page is never freed PageMlocked ("Bad page state (mlocked)").
invariant NoMlockedFree: page.count == 0 => not page.mlocked

# The rmap walk can reach the VM_LOCKED vma after another one, so try_to_unmap_one has
# already unmapped the page there (page_remove_rmap) when it finds VM_LOCKED.
cover LockedVmaNotFirst:
  at(reclaim, try_to_unmap_one) and reclaim.v == 1 and card(reclaim.walked) > 1
# Reclaim's late mlock_vma_page happens: before the fix, after the pte lock is dropped.
cover LateMlock: at(reclaim, mlock_vma_page)
# Munlock's phase 2 runs, once reclaim has put the page back on an LRU.
cover MunlockPhase2: at(exit_mmap, __munlock_isolated_page)

# The unmapper that the TRUNCATE switch leaves out waits at its first step.
terminal done(reclaim) and (if TRUNCATE then done(truncate) else done(exit_mmap))

# Kirill's race as Vlastimil expands it, from the start the kernel can be in (mlock() has
# set VM_LOCKED, the page is not yet PG_mlocked): reclaim marks it, too late; another mm
# still maps the page, so PG_mlocked stays set
expect FIXED=false: violates NoLeak in 11 steps
# with the walk free to visit vma 2 first, reclaim's own unmap there leaves exit_mmap
# the last mapper, and the page is freed PageMlocked with two vmas too
expect FIXED=false: violates NoMlockedFree in 12 steps (invariants NoMlockedFree)
expect FIXED=true: holds with 93 states, covers LockedVmaNotFirst, LateMlock, MunlockPhase2
# The start of Vlastimil's trace, PG_mlocked already set while reclaim holds the page
# isolated (a fault's mlock_vma_page got there first): shrink_page_list culls the page at
# page_evictable() and never calls try_to_unmap, so there is no race, fixed or not
expect FIXED=false, MLOCKED=true: holds with 46 states
expect FIXED=true, MLOCKED=true: holds with 46 states
# exit_mmap as the last mapper: the page lock does not save it ("doesn't page lock prevent
# that one?"): munlock's phase 2, the only step that takes it, never runs for a page that
# reclaim holds isolated, so zap_pte_range can come before the late mlock_vma_page, and
# the page is freed PageMlocked
expect FIXED=false, VMAS=1: violates NoMlockedFree in 11 steps
expect FIXED=true, VMAS=1: holds with 45 states
expect FIXED=false, VMAS=1, MLOCKED=true: holds with 34 states
# truncation of the anonymous COWs: "Bad page state (mlocked)"
expect FIXED=false, TRUNCATE=true: violates NoMlockedFree in 9 steps
expect FIXED=true, TRUNCATE=true: holds with 43 states
expect FIXED=false, TRUNCATE=true, MLOCKED=true: holds with 25 states
# more mms mapping the page, the VM_LOCKED one anywhere in the rmap walk
expect FIXED=false, VMAS=4: violates NoLeak in 11 steps
expect FIXED=true, VMAS=4: holds with 371 states

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# NoLeak and NoMlockedFree inductive with FIXED, in either unmapper and for any VMAS
# (`-D VMAS=?`). They hold in every mode: the last two, which are the fix, say nothing
# without it, and then induction fails only where the leak is left behind (the end of
# the unmap, reclaim's putback).
# The page lock is reclaim's from trylock_page to unlock_page (munlock's phase 2 takes
# it within one step); the page count is the mappings, reclaim's isolation and
# munlock's pin, which is held between follow_page_mask and the end of
# __munlock_pagevec (or of its phase 2).
lemma PageLock:
  page.locked <=> not (at(reclaim, trylock_page) or at(reclaim, putback_lru_page) or done(reclaim))
lemma PageCount:
  page.count == mapcount + (if done(reclaim) then 0 else 1) + (if exit_mmap.pinned then 1 else 0)
lemma Pinned:
  (exit_mmap.pinned => at(exit_mmap, __munlock_pagevec) or at(exit_mmap, __munlock_isolated_page))
  and (at(exit_mmap, __munlock_isolated_page) => exit_mmap.pinned)
# Only reclaim's putback sets PageLRU, so phase 2 runs for a page reclaim is done with,
# and phase 1 has cleared its PG_mlocked.
lemma Phase2:
  (page.lru => done(reclaim))
  and (at(exit_mmap, __munlock_isolated_page) => done(reclaim) and not page.mlocked)
# Only vma 1 is VM_LOCKED, until munlock_vma_pages_range (never, under truncation).
lemma VmLocked: forall w in Vma: vm_locked[w] <=> w == 1 and at(exit_mmap, munlock_vma_pages_range)
# Reclaim holds the visited vma's pte lock (fixed) or mmap_sem (not fixed) between
# try_to_unmap_one and mlock_vma_page, and no other lock across a step.
lemma ReclaimLocks:
  (forall w in Vma:
    (locked(ptl[w]) <=> FIXED and at(reclaim, mlock_vma_page) and w == reclaim.v)
    and (locked(mmap_sem[w]) <=> not FIXED and at(reclaim, mlock_vma_page) and w == reclaim.v)
    and (locked(ptl[w]) or locked(mmap_sem[w]) => holder(ptl[w]) == reclaim
                                                  or holder(mmap_sem[w]) == reclaim))
  and (FIXED => not at(reclaim, down_read_trylock))
# Nothing but reclaim's mlock_vma_page sets PG_mlocked, and reclaim goes on to the walk
# only for a page without it: during the walk the page is not PageMlocked.
lemma WalkUnmlocked:
  at(reclaim, try_to_unmap_one) or at(reclaim, down_read_trylock) or at(reclaim, mlock_vma_page)
    => not page.mlocked
# The unmapper that TRUNCATE leaves out waits at its first step; truncation zaps the
# vmas in order.
lemma OneUnmapper:
  (TRUNCATE => at(exit_mmap, munlock_vma_pages_range))
  and (not TRUNCATE => at(truncate, zap_pte_range) and truncate.t == 1)
lemma Truncated: forall w in Vma: (done(truncate) or w < truncate.t) => not pte[w]
# With MLOCKED, the page was PG_mlocked before reclaim isolated it: only the last unmap
# (clear_page_mlock) or munlock's phase 1, once munlock_vma_pages_range has cleared
# VM_LOCKED, clear it, so a page that is no longer PageMlocked is in no VM_LOCKED vma;
# reclaim's walk, which starts only then (page_evictable), never finds one, and never
# gets to mlock_vma_page.
lemma MlockedFirst:
  MLOCKED
    => (not page.mlocked => not in_vm_locked_vma)
       and not (at(reclaim, down_read_trylock) or at(reclaim, mlock_vma_page))
# The fix: under the pte lock, reclaim marks a page that vma 1 still maps, before munlock
# has pinned it (munlock's follow_page_mask waits for that pte lock); so a PageMlocked
# page is still mapped, and with exit_mmap, munlock is still to clear PG_mlocked.
lemma MlockWindow:
  FIXED and at(reclaim, mlock_vma_page)
    => reclaim.v == 1 and pte[1]
       and (at(exit_mmap, munlock_vma_pages_range) or at(exit_mmap, follow_page_mask))
lemma MlockUndone:
  (FIXED or MLOCKED) and page.mlocked
    => mapcount > 0
       and (not TRUNCATE
            => pte[1] and (at(exit_mmap, munlock_vma_pages_range) or at(exit_mmap, follow_page_mask)
                           or at(exit_mmap, __munlock_pagevec) and exit_mmap.pinned))

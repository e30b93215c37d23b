# remove_migration_ptes' rmap walk races vma_adjust and misses the vma.
#
# Seed 000: Mel Gorman, linux-mm and linux-kernel, 2010-04-23, "Re: [PATCH 04/14]
# mm,migration: Allow the migration of PageSwapCache pages": "The race appears to be
# between vma_adjust changing the details of the VMA while rmap_walk is going on. It
# mistakenly believes the vma no longer spans the address, gets -EFAULT from vma_address
# and doesn't clean up the migration PTE. This is later encountered but the page lock is
# no longer held and it bugs." And why one lock no longer does: "prior to the anon_vma
# changes, there would have been only one anon_vma lock and the fix would be easier -
# just take the lock on anon_vma->lock while the VMAs are being updated."
# Fix that landed: 012f18004da3 "mm: always lock the root (oldest) anon_vma" (Rik van
# Riel; posted as "[PATCH 4/5] always lock the root (oldest) anon_vma", linux-mm,
# 2010-05-12 and 2010-05-26): anon_vma_lock() becomes "spin_lock(&anon_vma->root->lock)"
# and vma_adjust takes it, "which means rmap_walk on pages from any anon_vma in the vma
# is excluded". Kernel (2.6.34, anon_vma_chain): mm/migrate.c unmap_and_move /
# remove_migration_ptes / migration_entry_wait, mm/rmap.c try_to_unmap_anon /
# rmap_walk_anon / vma_address, mm/mmap.c vma_adjust, include/linux/swapops.h
# migration_entry_to_page.
#
# The scenario: a process faults the page in, so page->mapping is its anon_vma (the
# parent's, the root); it forks; the parent writes the page and gets a copy (COW), so the
# page is mapped by the child only. The child's vma is on the parent's anon_vma list
# (anon_vma_chain), but its own vma->anon_vma is the child's anon_vma. The rmap walks
# lock page_anon_vma(page), the parent's; vma_adjust of the child's vma locks (if
# anything) vma->anon_vma, the child's: two locks, no exclusion, until 012f18004da3
# makes both the root's.
#
# Abstractions (docs/races/rmap_vma_adjust.md says what each hides):
#  - Addresses are page numbers 0..3 in the child's mm; the page is at offset INDEX and
#    the child's vma is [0, 4) with vm_pgoff 0, so vma_address = vm_start + INDEX -
#    vm_pgoff. mprotect of [2, 4) splits it (split_vma(mm, vma, 2, 1)) and calls
#    vma_adjust(vma, 2, 4, 2, new): "vma->vm_start = start; ... vma->vm_pgoff = pgoff;"
#    are two stores, and a walk between them computes 5, outside the vma: -EFAULT.
#  - Each rmap walk (try_to_unmap, remove_migration_ptes) is one step under the lock it
#    takes; the pte lock is folded into it. The parent's vma (which no longer maps the
#    page) and split_vma's new vma [0, 2) (vma_address -EFAULT for INDEX) are on the
#    same list and are left out: the walk does nothing there.
#  - The new page is not a separate variable: a pte maps the old page, holds a migration
#    entry for it, or maps the new page. Page references are not modelled.
#  - A faulting thread matters only when it meets a migration entry; it holds the child's
#    mmap_sem for read from the fault until wait_on_page_locked returns, mprotect holds it
#    for write around vma_adjust.
#  - Sequentially consistent: no memory barriers or compiler reordering are modelled.

spec RmapVmaAdjust

const LOCK : 0..2 = 0        # the lock vma_adjust holds while it changes the vma:
                             # 0: none (2.6.34); 1: vma->anon_vma->lock (the child's
                             # anon_vma, as 2.6.33 did); 2: anon_vma_lock(vma->anon_vma)
                             # = the root's lock (012f18004da3)
const FAULTS : 1..3 = 1      # the child's threads faulting on the page's address
const INDEX = 3              # the page's offset (page->index)
const VM_END = 4

type Addr = 0..3
type Thread = symmetric 1..FAULTS     # the faulting threads are interchangeable
type AnonVma = enum { parent_av, child_av }
include "common/rmap_walk.mms"   # Pte and Page; vma_address and remove_migration_pte,
                                 # shared with exec_stack_migrate.mms

var page : Page = { locked: false }                  # the old page
var vm_start : Addr = 0                              # the child's vma
var vm_pgoff : Addr = 0
var pte : [Addr] -> Pte = [a in Addr |-> if a == INDEX then old_page else none]
var moved : bool = false           # move_to_new_page succeeded
var mmap_writer : bool = false     # the child's mmap_sem: held for write (mprotect)
var mmap_readers : 0..FAULTS = 0   # and its readers (faulting threads)
lock anon_vma_lock : [AnonVma]     # each anon_vma's spinlock (anon_vma->lock)

# page_anon_vma(page): the page was faulted in before fork, by the parent
def page_anon_vma = parent_av
# vma->anon_vma of the child's vma: its own, made by anon_vma_fork
def vma_anon_vma = child_av
# anon_vma->root (012f18004da3's series): the oldest anon_vma, the parent's
def root(av) = parent_av
# the lock that locking anon_vma av takes: "spin_lock(&anon_vma->lock)" before the fix,
# "spin_lock(&anon_vma->root->lock)" in anon_vma_lock() with it
def lock_of(av) = if LOCK == 2 then root(av) else av

# vma_address (mm/rmap.c): "address = vma->vm_start + ((pgoff - vma->vm_pgoff) <<
# PAGE_SHIFT); if (unlikely(address < vma->vm_start || address >= vma->vm_end))
# return -EFAULT;"
def address = vma_address(vm_start, vm_pgoff, INDEX)
def in_vma = vma_address_ok(vm_start, VM_END, vm_pgoff, INDEX)

# Migration of the page (compaction or memory hot-remove): unmap_and_move.
process migrate {
# unmap_and_move: "lock_page(page)"
lock_page:
  lock_page(page)
# try_to_unmap(page, TTU_MIGRATION) -> try_to_unmap_anon: "anon_vma =
# page_lock_anon_vma(page)", then for each vma on the list "address = vma_address(page,
# vma); if (address == -EFAULT) continue;" try_to_unmap_one makes the pte a migration entry
try_to_unmap:
  spin_lock(anon_vma_lock[lock_of(page_anon_vma)])
  if in_vma and pte[address] == old_page { pte[address] := migration }
  spin_unlock(anon_vma_lock[lock_of(page_anon_vma)])
# "if (!page_mapped(page)) rc = move_to_new_page(newpage, page, remap_swapcache)": the
# data and the mapping move
move_to_new_page:
  moved := forall a in Addr: pte[a] != old_page
# remove_migration_ptes(page, newpage or page) -> rmap_walk_anon: "anon_vma =
# page_anon_vma(page); ... spin_lock(&anon_vma->lock);" and the same vma_address loop:
# remove_migration_pte points the entry at the new page (the old one if the move failed)
remove_migration_ptes:
  spin_lock(anon_vma_lock[lock_of(page_anon_vma)])
  if in_vma and pte[address] == migration {
    pte[address] := remove_migration_pte(moved)
  }
  spin_unlock(anon_vma_lock[lock_of(page_anon_vma)])
# unmap_and_move: "unlock_page(page)"
unlock_page:
  unlock_page(page)
}

# The child: sys_mprotect(2, 4) -> "down_write(&current->mm->mmap_sem)" -> mprotect_fixup
# -> split_vma(mm, vma, 2, 1) -> vma_adjust(vma, 2, 4, 2, new) (mm/mmap.c).
process mprotect {
# down_write(mmap_sem); with LOCK=2, 012f18004da3's "if (vma->anon_vma && (insert ||
# importer || start != vma->vm_start)) { anon_vma = vma->anon_vma;
# anon_vma_lock(anon_vma); }"; then "vma->vm_start = start; vma->vm_end = end;" (the
# end stays 4)
vma_adjust:
  await not mmap_writer and mmap_readers == 0
  mmap_writer := true
  if LOCK != 0 { spin_lock(anon_vma_lock[lock_of(vma_anon_vma)]) }
  vm_start := 2
# "vma->vm_pgoff = pgoff;", "if (anon_vma) anon_vma_unlock(anon_vma);"; sys_mprotect:
# "up_write(&current->mm->mmap_sem)"
vma_adjust_pgoff:
  vm_pgoff := 2
  if LOCK != 0 { spin_unlock(anon_vma_lock[lock_of(vma_anon_vma)]) }
  mmap_writer := false
}

# A thread of the child touching the page's address: do_page_fault takes mmap_sem for
# read, do_swap_page finds a migration entry and calls migration_entry_wait (mm/migrate.c):
# under the pte lock, "page = migration_entry_to_page(entry);", whose "Any use of
# migration entries may only occur while the corresponding page is locked" is
# "BUG_ON(!PageLocked(p))" (include/linux/swapops.h).
process fault[self in Thread] {
migration_entry_wait:
  await not mmap_writer and pte[INDEX] == migration
  mmap_readers := mmap_readers + 1
  assert page.locked, "BUG_ON(!PageLocked(p)) in migration_entry_to_page"
# migration_entry_wait: "wait_on_page_locked(page)"; the fault returns and drops mmap_sem
# (up_read), and the access faults again
wait_on_page_locked:
  await not page.locked
  mmap_readers := mmap_readers - 1
}

# "doesn't clean up the migration PTE": once migration is done, no migration entry is left.
invariant NoMigrationPteLeft: done(migrate) => forall a in Addr: pte[a] != migration

# The walks never touch a pte but the page's: the address they compute is INDEX or out of
# the vma (in every mode: it is what lets an expectation check the BUG_ON alone).
lemma OnlyThePagesPte: forall a in Addr: a != INDEX => pte[a] == none

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# NoMigrationPteLeft inductive with LOCK=2: the page lock is migration's from lock_page to
# unlock_page; an anon_vma lock is held between steps only by vma_adjust, and only the one
# LOCK says; mmap_sem counts its holders; the vma fields follow vma_adjust's stores; and
# with the root's lock, a migration entry exists only inside migration's window.
lemma LockedByMigration:
  page.locked <=> (at(migrate, try_to_unmap) or at(migrate, move_to_new_page)
                   or at(migrate, remove_migration_ptes) or at(migrate, unlock_page))
lemma AnonVmaLockHeld:
  forall av in AnonVma: locked(anon_vma_lock[av])
    <=> (LOCK != 0 and av == lock_of(vma_anon_vma) and at(mprotect, vma_adjust_pgoff))
lemma AnonVmaLockHolder:
  forall av in AnonVma: locked(anon_vma_lock[av]) => holder(anon_vma_lock[av]) == mprotect
lemma MmapSem:
  (mmap_writer <=> at(mprotect, vma_adjust_pgoff))
    and mmap_readers == (count i in Thread: at(fault[i], wait_on_page_locked))
lemma VmaFields:
  (at(mprotect, vma_adjust) and vm_start == 0 and vm_pgoff == 0)
    or (at(mprotect, vma_adjust_pgoff) and vm_start == 2 and vm_pgoff == 0)
    or (done(mprotect) and vm_start == 2 and vm_pgoff == 2)
lemma EntryInWindow:
  LOCK == 2 and pte[INDEX] == migration
    => at(migrate, move_to_new_page) or at(migrate, remove_migration_ptes)

# A thread that never met a migration entry has nothing to do.
terminal done(migrate) and done(mprotect)
  and forall i in Thread: done(fault[i]) or at(fault[i], migration_entry_wait)

expect LOCK=0: violates NoMigrationPteLeft in 6 steps
expect LOCK=1: violates NoMigrationPteLeft in 6 steps
expect LOCK=2: holds with 29 states
expect LOCK=0, FAULTS=3: violates NoMigrationPteLeft in 6 steps
expect LOCK=1, FAULTS=3: violates NoMigrationPteLeft in 6 steps
expect LOCK=2, FAULTS=3: holds with 57 states
# The symptom: with only a lemma that holds in every mode checked, NoMigrationPteLeft no
# longer stops the search, and a fault meets the leftover entry once the page is unlocked.
expect LOCK=0: fails assert in 8 steps (invariants OnlyThePagesPte)
expect LOCK=1: fails assert in 8 steps (invariants OnlyThePagesPte)
expect LOCK=2: holds with 29 states (invariants OnlyThePagesPte)

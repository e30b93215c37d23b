# remove_migration_ptes' rmap walk races vma_adjust and misses the vma.
#
# Seed 000 (shared/seeds/000_086056b68c16b134.txt): Mel Gorman, 2010-04-23, "Re: [PATCH
# 04/14] mm,migration: Allow the migration of PageSwapCache pages": "The race appears to
# be between vma_adjust changing the details of the VMA while rmap_walk is going on. It
# mistakenly believes the vma no longer spans the address, gets -EFAULT from vma_address
# and doesn't clean up the migration PTE. This is later encountered but the page lock is
# no longer held and it bugs." Fix: "take the lock on anon_vma->lock while the VMAs are
# being updated". Kernel (2.6.34): mm/migrate.c unmap_and_move / remove_migration_ptes /
# migration_entry_wait, mm/rmap.c rmap_walk_anon / vma_address, mm/mmap.c vma_adjust.
#
# Abstractions:
#  - One anonymous page at page offset INDEX, mapped by one vma at address
#    vma_address = vm_start + INDEX - vm_pgoff; addresses are page numbers 0..3 and the
#    vma ends at 4. vma_adjust shrinks the vma to [2, 4) (__split_vma for an mprotect
#    of [0, 2)): "vma->vm_start = start; ... vma->vm_pgoff = pgoff;" are two stores, and
#    an rmap walk between them computes an address outside the vma: -EFAULT.
#  - Each rmap walk (try_to_unmap, remove_migration_ptes) is one step under the
#    anon_vma lock (page_lock_anon_vma); the pte locks are folded into it.
#  - The new page is not a separate variable: a pte maps the old page, holds a migration
#    entry for it, or maps the new page. Page references are not modelled.
#  - A faulting thread only matters when it meets a migration entry: it waits in
#    migration_entry_wait for the page lock (and then finds the pte restored).

spec RmapVmaAdjust

const FIXED = false          # true: vma_adjust holds the anon_vma lock
const FAULTS : 1..3 = 1      # threads faulting on the page's address
const INDEX = 3              # the page's offset in the anon_vma (page->index)
const VM_END = 4

type Addr = 0..3
type Thread = symmetric 1..FAULTS     # the faulting threads are interchangeable
type Pte = enum { none, old_page, migration, new_page }
type Page = record { locked: bool }

var page : Page = { locked: false }                  # the old page
var vm_start : Addr = 0
var vm_pgoff : Addr = 0
var pte : [Addr] -> Pte = [a in Addr |-> if a == INDEX then old_page else none]
var moved : bool = false     # move_to_new_page succeeded
lock anon_vma_lock

# vma_address (mm/rmap.c): -EFAULT unless the address falls inside the vma
def address = vm_start + INDEX - vm_pgoff
def in_vma = address >= vm_start and address < VM_END

# Migration of the page (compaction or memory hot-remove): __unmap_and_move.
process migrate {
# unmap_and_move: lock_page(page)
lock_page:
  lock_page(page)
# try_to_unmap(TTU_MIGRATION) -> rmap_walk_anon -> try_to_unmap_one: the pte becomes a
# migration entry
try_to_unmap:
  spin_lock(anon_vma_lock)
  if in_vma and pte[address] == old_page { pte[address] := migration }
  spin_unlock(anon_vma_lock)
# move_to_new_page, only "if (!page_mapped(page))": the data and the mapping move
move_to_new_page:
  moved := forall a in Addr: pte[a] != old_page
# remove_migration_ptes(old, new) -> rmap_walk_anon -> remove_migration_pte: the entry
# goes back to the new page (or to the old one if the move failed); an address outside
# the vma is skipped (vma_address: -EFAULT)
remove_migration_ptes:
  spin_lock(anon_vma_lock)
  if in_vma and pte[address] == migration {
    pte[address] := if moved then new_page else old_page
  }
  spin_unlock(anon_vma_lock)
# unmap_and_move: unlock_page(page)
unlock_page:
  unlock_page(page)
}

# mprotect of [0, 2) -> __split_vma -> vma_adjust(vma, 2, 4, 2) on the vma that keeps the
# page (mm/mmap.c): before the fix, no lock that rmap_walk takes
process vma_adjust {
# "vma->vm_start = start"
vma_adjust:
  if FIXED { spin_lock(anon_vma_lock) }
  vm_start := 2
# "vma->vm_pgoff = pgoff"
vma_adjust_pgoff:
  vm_pgoff := 2
  if FIXED { spin_unlock(anon_vma_lock) }
}

# A thread touching the page's address: do_swap_page finds a migration entry and calls
# migration_entry_wait (mm/migrate.c), whose migration_entry_to_page() has
# "BUG_ON(!PageLocked(p))"; then it waits on the page lock and retries the fault.
process fault[self in Thread] {
# do_swap_page -> migration_entry_wait: under the pte lock, migration_entry_to_page()
migration_entry_wait:
  await pte[INDEX] == migration
  assert page.locked, "BUG_ON(!PageLocked(p)) in migration_entry_to_page"
# migration_entry_wait: get_page, pte_unmap_unlock, wait_on_page_locked
wait_on_page_locked:
  await not page.locked
}

# "doesn't clean up the migration PTE": once migration is done, no migration entry is left.
invariant NoMigrationPteLeft: done(migrate) => forall a in Addr: pte[a] != migration

# A thread that never met a migration entry has nothing to do.
terminal done(migrate) and done(vma_adjust)
  and forall i in Thread: done(fault[i]) or at(fault[i], migration_entry_wait)

expect FIXED=false: violates NoMigrationPteLeft in 6 steps
expect FIXED=true: holds with 33 states
expect FIXED=false, FAULTS=3: violates NoMigrationPteLeft in 6 steps
expect FIXED=true, FAULTS=3: holds with 72 states

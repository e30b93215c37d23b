# exec moves its temporary stack while migration's rmap walk looks for the stack page.
#
# Commit a8bef8ff6ea1 "mm: migration: avoid race between shift_arg_pages() and
# rmap_walk() during migration by not migrating temporary stacks" (Mel Gorman, 2010;
# posted as "Re: [PATCH 2/2] mm,migration: Fix race between shift_arg_pages and rmap_walk
# by guaranteeing rmap_walk finds PTEs created within the temporary stack", linux-mm,
# 2010-05-10). Its message: "Page migration requires rmap to be able to find all ptes
# mapping a page at all times, otherwise the migration entry can be instantiated, but it
# is possible to leave one behind if the second rmap_walk fails to find the page. If this
# page is later faulted, migration_entry_to_page() will call BUG", with the oops of
# 2.6.34-rc4-mm1: "kernel BUG at include/linux/swapops.h:105!", RIP
# migration_entry_wait, called from page_fault in load_elf_binary (strnlen_user). "There
# is a race between shift_arg_pages and migration that triggers this bug. A temporary
# stack is setup during exec and later moved. If migration moves a page in the temporary
# stack and the VMA is then removed before migration completes, the migration PTE may not
# be found leading to a BUG when the stack is faulted." Mel earlier, 2010-04-27: "there
# is a race in execve where the VMA gets moved (under the anon_vma lock) before the
# page-tables are copied with move_ptes (without a lock)"; Linus: "I'm perfectly happy
# with a "don't migrate these pages at all, because they are in a half-way state in the
# middle of execve stack magic"." The sibling of rmap_vma_adjust.mms (seed 000): there
# vma_adjust's own two stores open the window, here exec's vma_adjust and its page-table
# move. Kernel (2.6.34): fs/exec.c __bprm_mm_init / setup_arg_pages / shift_arg_pages,
# mm/mremap.c move_page_tables / move_ptes, mm/rmap.c try_to_unmap_anon / rmap_walk_anon
# / vma_address, mm/migrate.c unmap_and_move / remove_migration_ptes /
# migration_entry_wait, fs/binfmt_elf.c create_elf_tables, include/linux/swapops.h
# migration_entry_to_page.
#
# MODE selects the kernel:
#  - 0: 2.6.34: nothing keeps migration off the temporary stack: the race.
#  - 1: a8bef8ff6ea1: the stack vma carries VM_STACK_INCOMPLETE_SETUP from __bprm_mm_init
#    until setup_arg_pages clears it after the move, and try_to_unmap_anon passes over
#    such a vma under TTU_MIGRATION: the page is not migrated while exec moves it.
#  - 2: the alternative of Mel's mail (2010-04-27, not merged): "split vma_adjust() into
#    locked and unlocked versions. shift_arg_pages() could then take the anon_vma lock
#    to lock both the VMA move and the pagetable copy". The flag is still how the kernel
#    does it (create_init_stack_vma in mm/vma_exec.c sets it today).
#
# Abstractions (docs/races/exec_stack_migrate.md says what each hides):
#  - Addresses are page numbers 0..3 of the new mm. The temporary stack vma is [2, 4)
#    with vm_pgoff 2 (insert_vm_struct: "vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;",
#    and expand_downwards: "vma->vm_start = address; vma->vm_pgoff -= grow;"), the
#    argument page is at 3 (page->index 3), and setup_arg_pages shifts the stack down by
#    2, to [0, 2): the page goes to 1.
#    The other stack page is empty (move_ptes skips "pte_none(*old_pte)").
#  - vma_adjust is one step: shift_arg_pages passes "vma->vm_pgoff", so only vm_start
#    (expanding) or vm_end (shrinking) changes; one store, whether or not vma_adjust
#    takes the anon_vma lock (which is the same anon_vma as the page's here).
#  - move_page_tables is one step under the pte lock (one pmd); each rmap walk is one
#    step under the anon_vma lock, the pte lock folded in; the walks compute the address
#    with common/rmap_walk.mms's vma_address, shared with rmap_vma_adjust.mms.
#  - The exec'ing task is the only user of the new mm: its mmap_sem, held for write in
#    setup_arg_pages, excludes no one that matters (migration does not take it).
#  - Page references are not modelled; sequentially consistent.

spec ExecStackMigrate

const MODE : 0..2 = 0        # 0: 2.6.34; 1: VM_STACK_INCOMPLETE_SETUP (a8bef8ff6ea1);
                             # 2: the anon_vma lock held from vma_adjust to the pte move
const INDEX = 3              # the argument page's page->index (and its first address)
const OLD_START = 2          # the temporary stack [OLD_START, OLD_END)
const OLD_END = 4
const SHIFT = 2              # stack_shift: where the stack goes, [0, 2)

type Addr = 0..3
type AnonVma = enum { stack_av }
include "common/rmap_walk.mms"   # Pte and Page; vma_address and remove_migration_pte,
                                 # shared with rmap_vma_adjust.mms

var page : Page = { locked: false }                  # the argument page
var vm_start : Addr = OLD_START                      # the stack vma
var vm_end : 0..OLD_END = OLD_END
var pte : [Addr] -> Pte = [a in Addr |-> if a == INDEX then old_page else none]
var moved : bool = false           # move_to_new_page succeeded
# VM_STACK_INCOMPLETE_SETUP in vma->vm_flags: "vma->vm_flags = VM_STACK_FLAGS |
# VM_STACK_INCOMPLETE_SETUP;" in __bprm_mm_init, with a8bef8ff6ea1 only
var incomplete_setup : bool = MODE == 1
lock anon_vma_lock : [AnonVma]     # the stack's anon_vma's spinlock (anon_vma->lock)

# page_anon_vma(page): the stack's anon_vma, the only one (the new mm has no parent)
def page_anon_vma = stack_av
# the walks' vma_address for the stack page; both vma_adjust calls of shift_arg_pages
# pass "vma->vm_pgoff": it stays OLD_START
def address = vma_address(vm_start, OLD_START, INDEX)
def in_vma = vma_address_ok(vm_start, vm_end, OLD_START, INDEX)

# Migration of the stack page (compaction or memory hot-remove): unmap_and_move.
process migrate {
# unmap_and_move: "lock_page(page)"
lock_page:
  lock_page(page)
# try_to_unmap(page, TTU_MIGRATION) -> try_to_unmap_anon: "anon_vma =
# page_lock_anon_vma(page)", then for each vma on the list, with a8bef8ff6ea1 first "if
# (PAGE_MIGRATION && (flags & TTU_MIGRATION) && is_vma_temporary_stack(vma))
# continue;" (is_vma_temporary_stack: "if ((vma->vm_flags & VM_STACK_INCOMPLETE_SETUP)
# == VM_STACK_INCOMPLETE_SETUP) return true;"), then "address = vma_address(page, vma);
# if (address == -EFAULT) continue; ret = try_to_unmap_one(page, vma, address, flags);",
# which makes the pte a migration entry
try_to_unmap:
  spin_lock(anon_vma_lock[page_anon_vma])
  if not incomplete_setup and in_vma and pte[address] == old_page {
    pte[address] := migration
  }
  spin_unlock(anon_vma_lock[page_anon_vma])
# "if (!page_mapped(page)) rc = move_to_new_page(newpage, page);" (2.6.34; 2.6.35 adds
# remap_swapcache): the data and the mapping move
move_to_new_page:
  moved := forall a in Addr: pte[a] != old_page
# remove_migration_ptes(page, newpage or page) -> rmap_walk -> rmap_walk_anon: "anon_vma
# = page_anon_vma(page); ... spin_lock(&anon_vma->lock);", and for each vma "unsigned
# long address = vma_address(page, vma); if (address == -EFAULT) continue;" then
# remove_migration_pte (no temporary stack check: a8bef8ff6ea1 changes only
# try_to_unmap_anon)
remove_migration_ptes:
  spin_lock(anon_vma_lock[page_anon_vma])
  if in_vma and pte[address] == migration { pte[address] := remove_migration_pte(moved) }
  spin_unlock(anon_vma_lock[page_anon_vma])
# unmap_and_move: "unlock_page(page)"
unlock_page:
  unlock_page(page)
}

# The exec'ing task: do_execve -> search_binary_handler -> load_elf_binary ->
# setup_arg_pages(bprm, randomize_stack_top(STACK_TOP), executable_stack) ->
# shift_arg_pages(vma, stack_shift), then create_elf_tables on the moved stack.
process exec {
# shift_arg_pages, "cover the whole range: [new_start, old_end)": "if (vma_adjust(vma,
# new_start, old_end, vma->vm_pgoff, NULL)) return -ENOMEM;" With MODE=2, the anon_vma
# lock is taken first and held over the pte move.
vma_adjust:
  if MODE == 2 { spin_lock(anon_vma_lock[stack_av]) }
  vm_start := OLD_START - SHIFT
# "if (length != move_page_tables(vma, old_start, vma, new_start, length)) return
# -ENOMEM;" -> move_ptes (mm/mremap.c), which locks i_mmap_lock only "if
# (vma->vm_file)", then under the pte lock, for each pte: "if (pte_none(*old_pte))
# continue; pte = ptep_clear_flush(vma, old_addr, old_pte); pte = move_pte(pte,
# new_vma->vm_page_prot, old_addr, new_addr); set_pte_at(mm, new_addr, new_pte, pte);"
# A migration entry moves like any pte.
move_page_tables:
  pte := [a in Addr |-> if a + SHIFT >= OLD_START and a + SHIFT < OLD_END
                        then pte[a + SHIFT] else none]
  if MODE == 2 { spin_unlock(anon_vma_lock[stack_av]) }
# "shrink the vma to just the new range": "vma_adjust(vma, new_start, new_end,
# vma->vm_pgoff, NULL);"
vma_adjust_shrink:
  vm_end := OLD_END - SHIFT
# setup_arg_pages after shift_arg_pages, with a8bef8ff6ea1: "/* mprotect_fixup is
# overkill to remove the temporary stack flags */ vma->vm_flags &=
# ~VM_STACK_INCOMPLETE_SETUP;"
setup_arg_pages:
  if MODE == 1 { incomplete_setup := false }
# load_elf_binary -> create_elf_tables reads the argument strings on the stack: "len =
# strnlen_user((void __user *)p, MAX_ARG_STRLEN);" faults (do_page_fault ->
# handle_mm_fault -> do_swap_page) on a migration entry and calls migration_entry_wait:
# under the pte lock, "page = migration_entry_to_page(entry);", which is
# "BUG_ON(!PageLocked(p));" (include/linux/swapops.h: "Any use of migration entries may
# only occur while the corresponding page is locked")
create_elf_tables:
  if pte[INDEX - SHIFT] == migration {
    assert page.locked, "BUG_ON(!PageLocked(p)) in migration_entry_to_page"
    goto wait_on_page_locked
  }
  goto Done
# migration_entry_wait: "wait_on_page_locked(page)"; the access faults again
wait_on_page_locked:
  await not page.locked
  goto create_elf_tables
}

# "the migration PTE may not be found": once migration is done, no migration entry is left.
invariant NoMigrationPteLeft: done(migrate) => forall a in Addr: pte[a] != migration

# Not vacuous after the fix: migration runs into exec's window (the walk computes the new
# address while the page's pte is still at the old one), and the stack page is migrated
# once exec has moved it.
cover WalkInWindow: at(exec, move_page_tables) and at(migrate, remove_migration_ptes)
cover StackPageMigrated: done(migrate) and moved and pte[INDEX - SHIFT] == new_page

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# NoMigrationPteLeft and the BUG_ON inductive with MODE=1 or 2: the page lock is
# migration's; the vma and the page's pte follow exec's steps; the flag is set until
# setup_arg_pages and the lock (MODE=2) held over the window; no migration entry is made
# while the flag is set; and a migration entry exists only inside migration's window.
lemma LockedByMigration:
  page.locked <=> (at(migrate, try_to_unmap) or at(migrate, move_to_new_page)
                   or at(migrate, remove_migration_ptes) or at(migrate, unlock_page))
lemma StackLayout:
  ((at(exec, vma_adjust) and vm_start == OLD_START and vm_end == OLD_END)
   or (at(exec, move_page_tables) and vm_start == OLD_START - SHIFT and vm_end == OLD_END)
   or (at(exec, vma_adjust_shrink) and vm_start == OLD_START - SHIFT and vm_end == OLD_END)
   or (not at(exec, vma_adjust) and not at(exec, move_page_tables)
       and not at(exec, vma_adjust_shrink)
       and vm_start == OLD_START - SHIFT and vm_end == OLD_END - SHIFT))
  and (forall a in Addr: (pte[a] == none) <=> (a != page_address))
lemma IncompleteSetup:
  incomplete_setup <=> (MODE == 1 and (at(exec, vma_adjust) or at(exec, move_page_tables)
                                       or at(exec, vma_adjust_shrink)
                                       or at(exec, setup_arg_pages)))
lemma AnonVmaLockHeld:
  locked(anon_vma_lock[stack_av]) <=> (MODE == 2 and at(exec, move_page_tables))
lemma AnonVmaLockHolder:
  locked(anon_vma_lock[stack_av]) => holder(anon_vma_lock[stack_av]) == exec
lemma NoEntryWhileIncomplete:
  incomplete_setup => forall a in Addr: pte[a] != migration
lemma EntryInWindow:
  MODE != 0 and (exists a in Addr: pte[a] == migration)
    => at(migrate, move_to_new_page) or at(migrate, remove_migration_ptes)

# where the page's pte is: at its old address until move_page_tables, then at the new one
def page_address = if at(exec, vma_adjust) or at(exec, move_page_tables) then INDEX
                   else INDEX - SHIFT

expect MODE=0: violates NoMigrationPteLeft in 6 steps
expect MODE=1: holds with 48 states, covers WalkInWindow, StackPageMigrated
expect MODE=2: holds with 40 states, covers WalkInWindow, StackPageMigrated
# The symptom: checking only the BUG_ON, exec faults on the leftover entry in
# create_elf_tables once the page is unlocked.
expect MODE=0: fails assert in 10 steps (invariants IncompleteSetup)
expect MODE=1: holds with 48 states (invariants IncompleteSetup)
expect MODE=2: holds with 40 states (invariants IncompleteSetup)

# KSM unmerge misses a KSM page that is being migrated, and leaves it mapped.
#
# Seed 003 (linux-kernel, the thread of "[PATCH 6/11] ksm: remove old stable nodes more
# thoroughly" in Hugh Dickins' KSM NUMA series): Hugh Dickins and Mel Gorman,
# 2013-02-08, on "ksm: stop hotremove lockdep warning" / unmerge_and_remove_all_rmap_items:
# "a 4th cause emerges once KSM migration is properly working: that interval during
# page migration when the old page has been fully unmapped but the new not yet mapped in
# its place. The KSM COW breaking cannot see a page there then, so it ends up with a
# (newly migrated) KSM page left behind. Almost certainly has to be fixed in
# follow_page()"; Mel: "adding a FOLL_ flag that will cause follow_page() to check
# is_migration_entry() and migration_entry_wait() if the flag is present". Kernel (3.9):
# mm/ksm.c break_ksm / unmerge_ksm_pages / remove_all_stable_nodes, mm/memory.c
# follow_page (FOLL_MIGRATION), mm/migrate.c __unmap_and_move / migration_entry_wait.
#
# Abstractions:
#  - One KSM page mapped by PTES ptes of the range being unmerged (one per address); a
#    pte maps the old KSM page, holds a migration entry, maps the new (migrated) KSM
#    page, or maps a private anonymous copy (the COW broke the sharing).
#  - Each rmap walk of migration (rmap_walk_ksm for try_to_unmap and for
#    remove_migration_ptes) is one step; the pte locks are folded into the steps.
#  - Page references are not modelled: follow_page's FOLL_GET reference would make
#    migration back out (remove_migration_ptes with the old page), which cannot leave a
#    KSM page behind either; here migration always succeeds.
#  - The new page is locked with the old one, so one page lock stands for both.

spec KsmUnmerge

const FIXED = false          # true: follow_page(FOLL_MIGRATION) waits on a migration entry
const PTES : 1.. = 1         # ptes of the unmerged range that map the KSM page

type Addr = 1..PTES
type Pte = enum { ksm_page, migration, ksm_new, anon }
type Page = record { locked: bool }

var page : Page = { locked: false }    # the KSM page (old and new: both locked by migration)
var pte : [Addr] -> Pte = [a in Addr |-> ksm_page]

def is_ksm(a) = pte[a] == ksm_page or pte[a] == ksm_new

# Migration of the KSM page (compaction): __unmap_and_move.
process migrate {
# __unmap_and_move: lock_page(page) (and the new page)
lock_page:
  lock_page(page)
# try_to_unmap(TTU_MIGRATION) -> rmap_walk_ksm: "the old page has been fully unmapped"
try_to_unmap:
  pte := [a in Addr |-> if pte[a] == ksm_page then migration else pte[a]]
# move_to_new_page (ksm_migrate_page moves the stable node to the new page), then
# remove_migration_ptes: "the new not yet mapped in its place" until here
remove_migration_ptes:
  pte := [a in Addr |-> if pte[a] == migration then ksm_new else pte[a]]
# __unmap_and_move: unlock_page (both pages)
unlock_page:
  unlock_page(page)
}

# echo 2 > /sys/kernel/mm/ksm/run: unmerge_and_remove_all_rmap_items -> unmerge_ksm_pages
# -> break_ksm(vma, addr) for each address of the range.
process unmerge {
  var addr : Addr = 1         # unmerge_ksm_pages' cursor
# break_ksm: "page = follow_page(vma, addr, FOLL_GET | FOLL_MIGRATION)". A migration
# entry is not a present pte: before the fix follow_page returns NULL and break_ksm moves
# on ("The KSM COW breaking cannot see a page there"); with FOLL_MIGRATION it waits.
follow_page:
  if pte[addr] == migration and FIXED {
    goto migration_entry_wait
  } else {
    if is_ksm(addr) {
      goto handle_mm_fault
    } else {
      if addr == PTES {
        goto remove_all_stable_nodes
      } else {
        addr := addr + 1
        goto follow_page
      }
    }
  }
# break_ksm: "if (PageKsm(page)) ret = handle_mm_fault(..., FAULT_FLAG_WRITE)": do_wp_page
# copies the KSM page; on a migration entry do_swap_page waits in migration_entry_wait.
# (break_ksm's loop ends on VM_FAULT_WRITE; here follow_page looks once more, finds the
# copy and moves on: one more step, the same outcome.)
handle_mm_fault:
  if pte[addr] == migration {
    goto migration_entry_wait
  } else {
    if is_ksm(addr) { pte[addr] := anon }
    goto follow_page
  }
# migration_entry_wait: wait_on_page_locked, then break_ksm looks again
migration_entry_wait:
  await not page.locked
  goto follow_page
# remove_all_stable_nodes -> remove_stable_node -> get_ksm_page(lock_it): waits for the
# page lock; "WARN_ON_ONCE(page_mapped(page))" and -EBUSY if a pte still maps it
remove_all_stable_nodes:
  lock_page(page)
  unlock_page(page)
}

# Unmerging must leave no pte mapping a KSM page ("a (newly migrated) KSM page left
# behind"; remove_stable_node's WARN).
invariant NoKsmPageLeft: done(unmerge) => forall a in Addr: not is_ksm(a)

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# NoKsmPageLeft inductive after the fix for any number of ptes: the page lock is
# migration's; old ptes exist only before try_to_unmap, migration entries only until
# remove_migration_ptes; and with the fix, every address unmerge has passed maps a
# private copy.
lemma LockedByMigration:
  page.locked <=> (at(migrate, try_to_unmap) or at(migrate, remove_migration_ptes)
                   or at(migrate, unlock_page))
lemma OldBeforeUnmap:
  (exists a in Addr: pte[a] == ksm_page) => (at(migrate, lock_page) or at(migrate, try_to_unmap))
lemma EntriesInWindow:
  (exists a in Addr: pte[a] == migration) => at(migrate, remove_migration_ptes)
lemma BrokenBehind:
  FIXED and not (at(unmerge, remove_all_stable_nodes) or done(unmerge))
    => forall a in Addr: a < unmerge.addr => pte[a] == anon
lemma AllBroken:
  FIXED and (at(unmerge, remove_all_stable_nodes) or done(unmerge))
    => forall a in Addr: pte[a] == anon

expect FIXED=false: violates NoKsmPageLeft in 6 steps
expect FIXED=true: holds with 28 states
expect FIXED=false, PTES=3: violates NoKsmPageLeft in 8 steps
expect FIXED=true, PTES=3: holds with 64 states

# KSM unmerge leaves a KSM page mapped: a page under migration, or one faulted back from
# swapcache behind the unmerge.
#
# Seed 003 (linux-kernel, the thread of "[PATCH 6/11] ksm: remove old stable nodes more
# thoroughly" in Hugh Dickins' KSM NUMA series): Hugh Dickins and Mel Gorman,
# 2013-02-08. The patch (cbf86cfe04a6 in 3.9) lists the causes of stable nodes that
# remove_all_stable_nodes could not remove; two of them are modelled:
#  3. "It is possible for a KSM page to be faulted back from swapcache into an mm, just
#     after unmerge_and_remove_all_rmap_items() scanned past it. Fix this by copying on
#     fault when KSM_RUN_UNMERGE" (SWAP_FIXED);
#  4. "a 4th cause emerges once KSM migration is properly working: that interval during
#     page migration when the old page has been fully unmapped but the new not yet
#     mapped in its place. The KSM COW breaking cannot see a page there then, so it ends
#     up with a (newly migrated) KSM page left behind. Almost certainly has to be fixed
#     in follow_page()"; Mel: "adding a FOLL_ flag that will cause follow_page() to
#     check is_migration_entry() and migration_entry_wait() if the flag is present"
#     (FIXED: 3.9's FOLL_MIGRATION).
# Kernel (3.9): mm/ksm.c break_ksm, unmerge_ksm_pages, remove_all_stable_nodes,
# remove_stable_node, ksm_might_need_to_copy; mm/memory.c follow_page, do_swap_page;
# mm/migrate.c __unmap_and_move, migrate_page_move_mapping, migration_entry_wait.
#
# Abstractions:
#  - One KSM page mapped by the ptes of the range being unmerged (one per address); a pte
#    maps the old KSM page, holds a migration entry, maps the new (migrated) KSM page,
#    maps a private anonymous copy (the COW broke the sharing), or holds a swap entry of
#    the KSM page (SWAPPED > 0: the last SWAPPED ptes were unmapped by an earlier
#    reclaim, which left the page in the swap cache).
#  - Only the old page's reference count is modelled (migration freezes no other):
#    one reference per pte mapping it, the isolation reference migrate_pages holds, the
#    swap cache's, and those taken by break_ksm, migration_entry_wait and do_swap_page.
#    `page.count` holds all but the ptes' (page_count() adds those), so that a pte that
#    stops mapping the page (try_to_unmap, do_wp_page) drops its reference with it.
#  - Each rmap walk of migration (rmap_walk_ksm for try_to_unmap and for
#    remove_migration_ptes) is one step; the pte locks, and the swap cache's tree_lock
#    around migrate_page_move_mapping's check and freeze, are folded into the steps.
#  - One pass of migrate_pages: a retry of -EAGAIN is the same steps again.
#  - The new page is locked with the old one, so one page lock stands for both.
#  - One task faults, on the last address.

spec KsmUnmerge

const FIXED = false          # true: follow_page(FOLL_MIGRATION) waits on a migration entry
const SWAP_FIXED = false     # true: ksm_might_need_to_copy copies when KSM_RUN_UNMERGE
const PTES : 1.. = 1         # ptes of the unmerged range that map (or swap) the KSM page
const SWAPPED : 0.. = 0      # of them, the last SWAPPED hold a swap entry
assume SWAPPED <= PTES

type Addr = 1..PTES
type Pte = enum { ksm_page, migration, ksm_new, anon, swap_entry }
type Page = record { locked: bool, count: 0..5 }

def in_swapcache = SWAPPED > 0

# The old KSM page: its lock (standing for the new page's too) and page->_count less
# the ptes' references: the isolation's and the swap cache's.
var page : Page = { locked: false, count: 1 + (if in_swapcache then 1 else 0) }
var pte : [Addr] -> Pte = [a in Addr |-> if a > PTES - SWAPPED then swap_entry else ksm_page]
# ksm_migrate_page moved the stable node, and migrate_page_move_mapping the swap cache's
# slot, to the new page
var migrated : bool = false
var ksm_run_unmerge : bool = false    # ksm_run & KSM_RUN_UNMERGE

def is_ksm(a) = pte[a] == ksm_page or pte[a] == ksm_new
def page_count = page.count + (count a in Addr: pte[a] == ksm_page)

# Migration of the KSM page (compaction): __unmap_and_move; the page is isolated.
process migrate {
  var rc_ok : bool = false    # move_to_new_page returned MIGRATEPAGE_SUCCESS
# __unmap_and_move: lock_page(page) (and the new page)
lock_page:
  lock_page(page)
# try_to_unmap(TTU_MIGRATION) -> rmap_walk_ksm: "the old page has been fully unmapped";
# try_to_unmap_one: page_remove_rmap(page); page_cache_release(page) for each pte
try_to_unmap:
  pte := [a in Addr |-> if pte[a] == ksm_page then migration else pte[a]]
# move_to_new_page -> migrate_page -> migrate_page_move_mapping. Without a mapping: "if
# (page_count(page) != 1) return -EAGAIN"; in the swap cache: expected_count = 2, and
# "if (page_count(page) != expected_count || ...) return -EAGAIN", then
# page_freeze_refs(page, expected_count), the slot to newpage,
# page_unfreeze_refs(page, expected_count - 1). A reference held by break_ksm,
# migration_entry_wait or do_swap_page makes it fail.
move_to_new_page:
  if page_count == (if in_swapcache then 2 else 1) {
    rc_ok := true
    migrated := true
    if in_swapcache { page.count := 1 }
  }
# remove_migration_ptes(page, newpage), or on -EAGAIN __unmap_and_move's
# "if (rc && remap_swapcache) remove_migration_ptes(page, page)": the old page is back.
# Until here "the new not yet mapped in its place".
remove_migration_ptes:
  if rc_ok {
    pte := [a in Addr |-> if pte[a] == migration then ksm_new else pte[a]]
  } else {
    pte := [a in Addr |-> if pte[a] == migration then ksm_page else pte[a]]
  }
# __unmap_and_move: unlock_page (both pages)
unlock_page:
  unlock_page(page)
}

# echo 2 > /sys/kernel/mm/ksm/run: run_store, then unmerge_and_remove_all_rmap_items ->
# unmerge_ksm_pages -> break_ksm(vma, addr) for each address of the range, then
# remove_all_stable_nodes.
process unmerge {
  var addr : Addr = 1         # unmerge_ksm_pages' cursor
  var got : bool = false      # break_ksm holds follow_page's FOLL_GET reference (old page)
# run_store: "ksm_run = flags" under ksm_thread_mutex, before unmerging
run_store:
  ksm_run_unmerge := true
# break_ksm: "page = follow_page(vma, addr, FOLL_GET | FOLL_MIGRATION)". A migration
# entry is not a present pte: before the fix follow_page returns NULL and break_ksm moves
# on ("The KSM COW breaking cannot see a page there"); with FOLL_MIGRATION it calls
# migration_entry_wait and looks again. A swap entry is no page either way.
follow_page:
  if pte[addr] == migration and FIXED {
    goto migration_entry_wait
  } else if is_ksm(addr) {
    if pte[addr] == ksm_page {
      get_page(page)
      got := true
    }
    goto handle_mm_fault
  } else if addr == PTES {
    goto remove_stable_node
  } else {
    addr := addr + 1
    goto follow_page
  }
# break_ksm: "if (PageKsm(page)) ret = handle_mm_fault(..., FAULT_FLAG_WRITE)": do_wp_page
# copies the KSM page (page_remove_rmap, page_cache_release of the old one); on a
# migration entry do_swap_page calls migration_entry_wait. Then "put_page(page)".
# (break_ksm's loop ends on VM_FAULT_WRITE; here follow_page looks once more, finds the
# copy and moves on: one more step, the same outcome.)
handle_mm_fault:
  if pte[addr] == migration {
    goto migration_entry_wait
  } else {
    pte[addr] := anon
    if got {
      put_page(page)
      got := false
    }
    goto follow_page
  }
# migration_entry_wait: under the pte lock, "if (!is_migration_entry(entry)) goto out";
# "if (!get_page_unless_zero(page)) goto out" (a frozen count is never seen here: the
# freeze is inside one step of migrate); then wait_on_page_locked(page); put_page(page).
# Back in break_ksm: put_page of follow_page's reference, and look again.
migration_entry_wait:
  if pte[addr] == migration {
    if get_page_unless_zero(page) { goto wait_on_page_locked }
  }
  if got {
    put_page(page)
    got := false
  }
  goto follow_page
wait_on_page_locked:
  await not page.locked
  put_page(page)
  if got {
    put_page(page)
    got := false
  }
  goto follow_page
# remove_all_stable_nodes -> remove_stable_node -> get_ksm_page(stable_node, true) locks
# the page; "if (WARN_ON_ONCE(page_mapped(page))) err = -EBUSY", "This should not
# happen"; else set_page_stable_node(page, NULL) and remove_node_from_stable_tree.
remove_stable_node:
  lock_page(page)
  assert not (exists a in Addr: is_ksm(a)), "WARN_ON_ONCE(page_mapped(page))"
  unlock_page(page)
}

# The task of the last address touches it: do_swap_page on its swap entry.
process fault {
  var ref : bool = false      # lookup_swap_cache's reference on the old page
# do_swap_page: "page = lookup_swap_cache(entry)": the page in the swap cache's slot, the
# new one once migration moved it (its references are not counted)
do_swap_page:
  if pte[PTES] != swap_entry { goto Done }
  if not migrated {
    get_page(page)
    ref := true
  }
# "locked = lock_page_or_retry(page, mm, flags)"
lock_page:
  lock_page(page)
# "if (unlikely(!PageSwapCache(page) || page_private(page) != entry.val)) goto out_page"
# (migration moved the slot: fault again); "page = ksm_might_need_to_copy(page, vma,
# address)": in 3.9 "if (page_stable_node(page) && !(ksm_run & KSM_RUN_UNMERGE)) return
# page; /* no need to copy it */" for a KSM page, else a copy; before, a KSM page (no
# anon_vma) was never copied. Then set_pte_at; do_page_add_anon_rmap keeps the lookup's
# reference for the pte, or, for a copy, page_cache_release(swapcache). unlock_page.
# (The stable node goes only after KSM_RUN_UNMERGE is set: its test is folded.)
ksm_might_need_to_copy:
  if ref and migrated {
    unlock_page(page)
    put_page(page)
    ref := false
    goto do_swap_page
  }
  if SWAP_FIXED and ksm_run_unmerge {
    pte[PTES] := anon
    if ref { put_page(page) }
  } else {
    pte[PTES] := if ref then ksm_page else ksm_new
    if ref { page.count := page.count - 1 }   # now the pte's
  }
  ref := false
  unlock_page(page)
}

# Unmerging must leave no pte mapping a KSM page ("a (newly migrated) KSM page left
# behind"; a fault after remove_stable_node maps one that the WARN cannot see).
invariant NoKsmPageLeft: done(unmerge) => forall a in Addr: not is_ksm(a)

# The paths that the fixed model must take for the checks to say something.
cover MigrationFailed: at(migrate, unlock_page) and not migrate.rc_ok
cover Migrated: at(migrate, unlock_page) and migrate.rc_ok
cover WaitedOnEntry: at(unmerge, wait_on_page_locked)
cover FaultBehindUnmerge:
  at(fault, ksm_might_need_to_copy) and (at(unmerge, remove_stable_node) or done(unmerge))

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# NoKsmPageLeft and the WARN inductive after FIXED, with no swap entry or after SWAP_FIXED
# too (proved for any PTES and SWAPPED, `-D 'PTES=?' -D 'SWAPPED=?'`).
# migrate holds the page lock (the old page's and the new one's) from lock_page to
# unlock_page
def migrate_locked =
  at(migrate, try_to_unmap) or at(migrate, move_to_new_page)
  or at(migrate, remove_migration_ptes) or at(migrate, unlock_page)
# The page lock is migration's or do_swap_page's, never both at once (lock_page excludes).
lemma LockedByMigration:
  (page.locked <=> (migrate_locked or at(fault, ksm_might_need_to_copy)))
  and not (migrate_locked and at(fault, ksm_might_need_to_copy))
# The old page's count is its references: the isolation's, the swap cache's until
# migrate_page_move_mapping moves the slot, follow_page's, lookup_swap_cache's and
# migration_entry_wait's.
lemma RefsCounted:
  page.count == 1 + (if in_swapcache and not migrated then 1 else 0)
                + (if unmerge.got then 1 else 0) + (if fault.ref then 1 else 0)
                + (if at(unmerge, wait_on_page_locked) then 1 else 0)
# break_ksm holds follow_page's reference only until its put_page.
lemma GotInBreakKsm:
  unmerge.got => (at(unmerge, handle_mm_fault) or at(unmerge, migration_entry_wait)
                  or at(unmerge, wait_on_page_locked))
# break_ksm's handle_mm_fault is on the KSM page follow_page found (or, since, its
# migration entry), never on a swap entry.
lemma BreakOnKsmPage:
  at(unmerge, handle_mm_fault) => is_ksm(unmerge.addr) or pte[unmerge.addr] == migration
# do_swap_page holds lookup_swap_cache's reference only until it maps or drops it.
lemma RefInFault: fault.ref => (at(fault, lock_page) or at(fault, ksm_might_need_to_copy))
# Migration entries exist only between try_to_unmap and remove_migration_ptes.
lemma EntriesInWindow:
  (exists a in Addr: pte[a] == migration)
    => (at(migrate, move_to_new_page) or at(migrate, remove_migration_ptes))
# The stable node and the swap cache's slot moved exactly when move_to_new_page
# succeeded, which is after it.
lemma MovedOnSuccess:
  (migrated <=> migrate.rc_ok)
  and (migrate.rc_ok => at(migrate, remove_migration_ptes) or at(migrate, unlock_page)
                        or done(migrate))
# Swap entries are the last SWAPPED ptes' until do_swap_page maps the last one (none
# without SWAPPED); the fault is past its first check only on a swap entry.
lemma SwapEntries:
  (forall a in Addr: pte[a] == swap_entry <=> a > PTES - SWAPPED and (a < PTES or not done(fault)))
  and ((at(fault, lock_page) or at(fault, ksm_might_need_to_copy)) => pte[PTES] == swap_entry)
# run_store sets KSM_RUN_UNMERGE before unmerging.
lemma RunUnmerge: ksm_run_unmerge <=> not at(unmerge, run_store)
# With the fixes, every address unmerge has passed maps a private copy or holds a swap
# entry (which do_swap_page then copies).
lemma BrokenBehind:
  FIXED and (SWAP_FIXED or SWAPPED == 0)
    and not (at(unmerge, remove_stable_node) or done(unmerge))
    => forall a in Addr: a < unmerge.addr => pte[a] == anon or pte[a] == swap_entry
lemma AllBroken:
  FIXED and (SWAP_FIXED or SWAPPED == 0) and (at(unmerge, remove_stable_node) or done(unmerge))
    => forall a in Addr: pte[a] == anon or pte[a] == swap_entry

# The migration race (cause 4): remove_stable_node's WARN fires.
expect FIXED=false: fails assert in 8 steps
expect FIXED=true: holds with 128 states, covers MigrationFailed, Migrated, WaitedOnEntry
expect FIXED=false, PTES=3: fails assert in 10 steps
expect FIXED=true, PTES=3: holds with 300 states, covers MigrationFailed, Migrated, WaitedOnEntry
# The swapcache fault-back (cause 3): the page mapped again after remove_stable_node.
expect FIXED=true, SWAPPED=1: violates NoKsmPageLeft in 6 steps
expect FIXED=true, SWAP_FIXED=true, SWAPPED=1: holds with 137 states, covers FaultBehindUnmerge
expect FIXED=true, PTES=2, SWAPPED=1: violates NoKsmPageLeft in 9 steps
expect FIXED=false, SWAP_FIXED=true, PTES=2, SWAPPED=1: fails assert in 9 steps
expect FIXED=true, SWAP_FIXED=true, PTES=2, SWAPPED=1: holds with 335 states, covers MigrationFailed, Migrated, WaitedOnEntry, FaultBehindUnmerge

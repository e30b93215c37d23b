# Page migration uses the page's anon_vma after the process exited and freed it.
#
# Mel Gorman, linux-mm, 2010-04-20, "[PATCH 01/14] mm,migration: Take a reference to
# the anon_vma before migrating" (first posted in February 2010 with memory compaction),
# merged as 3f6c82728f4e "mm: migration: take a reference to the anon_vma before
# migrating" (2.6.35-rc1): "rmap_walk_anon() does not use page_lock_anon_vma() for
# looking up and locking an anon_vma and it does not appear to have sufficient locking
# to ensure the anon_vma does not disappear from under it. This patch copies an approach
# used by KSM to take a reference on the anon_vma while pages are being migrated. This
# should prevent rmap_walk() running into nasty surprises later because anon_vma has
# been freed." Its companion in the series, 67b9509b2c68 "mm: migration: do not try to
# migrate unmapped anonymous pages" (Mel Gorman, replacement patch in "Re: [PATCH 02/11]",
# linux-mm, 2010-03-15): "between the page being isolated from the LRU and
# rcu_read_lock() being taken, the mapcount of the page dropped to 0 and the anon_vma
# gets freed. This can happen during memory compaction if pages being migrated belong to
# a process that exits before migration completes. ... 4. unmap_and_move() takes the
# rcu_lock but the anon_vma is already garbage". 7f60c214fd3a "mm: migration: share the
# anon_vma ref counts between KSM and page migration" renames migrate_refcount to
# external_refcount between the two: no change of behaviour, not a mode.
# Kernel (2.6.34, anon_vma_chain; the series as merged for 2.6.35): mm/migrate.c
# unmap_and_move / move_to_new_page / remove_migration_ptes, mm/rmap.c try_to_unmap_anon
# / page_lock_anon_vma / rmap_walk_anon / anon_vma_unlink, include/linux/rmap.h
# anon_vma_free, mm/memory.c zap_pte_range, mm/mmap.c exit_mmap / free_pgtables.
#
# Migration (memory hot-remove, or compaction, neither holding the process's mmap_sem)
# unmaps the page into migration entries, so page_mapcount is 0 and nothing the process
# does waits for migration: it exits, zaps the migration entries, unlinks its vma from
# the anon_vma and, the list empty, frees the anon_vma. Migration then takes the lock of
# page_anon_vma(page) and walks its list to remove the migration ptes. The RCU read lock
# unmap_and_move holds (the anon_vma slab is SLAB_DESTROY_BY_RCU) keeps the memory an
# anon_vma, not this anon_vma: it may be freed and reused for another. The switches:
#  - REF: 3f6c82728f4e: unmap_and_move takes a reference (migrate_refcount) on
#    page_anon_vma(page) before try_to_unmap and drops it at the end, freeing the
#    anon_vma if its list is empty; anon_vma_unlink does not free it while it is held.
#  - SKIP_UNMAPPED: 67b9509b2c68: unmap_and_move gives up on a page that is no longer
#    mapped when it takes the RCU read lock: its anon_vma may be gone already.
#  - SPLIT: the test of page_mapped and the increment of the reference are two steps, as
#    they are two statements in the kernel (the fixed model otherwise makes them one).
#    This window is a reported bug: 1ce82b69e96c "mm: fix migration hangs on anon_vma
#    lock" (Hugh Dickins; stable 2.6.36 and 2.6.37): "the anon_vma to which we get a
#    reference may already have been freed back to its slab (it is in use when we check
#    page_mapped, but that can change)". It takes the reference under the lock of
#    page_lock_anon_vma, which tests page_mapped holding it: the fixed model's one step.
#  - GET_UNLESS_ZERO: with SPLIT, the form Hugh's message put aside ("Perhaps we could fix
#    that with a get_anon_vma_unless_zero()"), which 746b18d421da "mm: use refcounts for
#    page_lock_anon_vma()" (Peter Zijlstra, for the anon_vma mutex) made page_get_anon_vma:
#    "if (!atomic_inc_not_zero(&anon_vma->refcount))" gives up, then "if
#    (!page_mapped(page)) { put_anon_vma(anon_vma); anon_vma = NULL; }". Its count is
#    01d8b20dec5f's, one reference for the non-empty list, so it is 0 exactly when the
#    anon_vma is freed: the model reads "not zero" as "not freed".
#  - MMS: how many processes map the page (a parent and its forked children: their vmas
#    are all on the parent's anon_vma list), each exiting.
#
# Abstractions (docs/races/anon_vma_ref.md says what each hides):
#  - One anonymous page, isolated and locked by migration before the model starts; one
#    pte of it in each process. Page references and the new page are not modelled: a
#    pte maps the page, holds a migration entry, maps the new page, or is zapped.
#  - The anon_vma is its list length (anon_vma->head: one anon_vma_chain per vma), its
#    migrate_refcount and whether it is freed. "freed" is kmem_cache_free: whether the
#    slab object is then reused, or (no RCU reader left) the slab page returned, is not
#    modelled: any use of the object after it counts.
#  - try_to_unmap and remove_migration_ptes walk the list in one step each, the pte
#    locks folded in; the walk's lock is held from rmap_walk_anon to the end of the
#    walk (two steps), so a freed anon_vma's lock taken is a state.
#  - move_to_new_page succeeds (migrate_page of an anon page): the failure path, which
#    walks the same list (remove_migration_ptes(page, page)), is left out.
#  - exit_mmap is zap_pte_range of the page's pte, then unlink_anon_vmas of its vma.
#  - Sequentially consistent: no memory barriers; atomic_dec_and_lock is one step.

spec AnonVmaRef

const REF = false             # 3f6c82728f4e: migration holds a reference on the anon_vma
const SKIP_UNMAPPED = false   # 67b9509b2c68: migration skips a page no longer mapped
const SPLIT = false           # page_mapped() and atomic_inc() as two steps
const GET_UNLESS_ZERO = false # 746b18d421da: atomic_inc_not_zero, page_mapped() again
const MMS : 1..3 = 1          # processes mapping the page (parent and forked children)

type Mm = symmetric 1..MMS
type Pte = enum { mapped, migration, new_page, none }
type AnonVma = record { head: 0..MMS, migrate_refcount: 0..1, freed: bool }

var pte : [Mm] -> Pte = [m in Mm |-> mapped]       # each process's pte of the page
var anon_vma : AnonVma = { head: MMS, migrate_refcount: 0, freed: false }
lock anon_vma_lock                                 # anon_vma->lock

# page_mapped(page): "atomic_read(&(page)->_mapcount) >= 0"; a migration entry is no mapping
def page_mapped = exists m in Mm: pte[m] == mapped

# anon_vma_free (include/linux/rmap.h): "kmem_cache_free(anon_vma_cachep, anon_vma);"
macro anon_vma_free() {
  assert not anon_vma.freed, "kmem_cache_free of a freed anon_vma"
  anon_vma.freed := true
}

# 3f6c82728f4e: "anon_vma = page_anon_vma(page); atomic_inc(&anon_vma->migrate_refcount);"
macro get_anon_vma(held) {
  anon_vma.migrate_refcount := anon_vma.migrate_refcount + 1
  held := true
}

# unmap_and_move (mm/migrate.c) of an anonymous page.
process migrate {
  var anon_vma_ref : bool = false   # unmap_and_move's local `anon_vma`: the reference held
# "if (PageAnon(page)) { rcu_read_lock(); rcu_locked = 1;" (2.6.34: "This rcu_read_lock()
# delays freeing anon_vma pointer until the end of migration"); 67b9509b2c68: "if
# (!page_mapped(page)) goto rcu_unlock;"; then 3f6c82728f4e's reference
rcu_read_lock:
  if SKIP_UNMAPPED and not page_mapped { goto rcu_unlock }
  if REF and not SPLIT { get_anon_vma(anon_vma_ref) }
  if not (REF and SPLIT) { goto try_to_unmap }
# the same statements, page_mapped() read in one step and the increment done in the next;
# page_get_anon_vma: "anon_vma = NULL; goto out;" when the count is 0, and unmap_and_move
# then gives up on the page
atomic_inc:
  if GET_UNLESS_ZERO and anon_vma.freed { goto rcu_unlock }
  get_anon_vma(anon_vma_ref)
  if not GET_UNLESS_ZERO { goto try_to_unmap }
# page_get_anon_vma's second test: unmapped, it puts the reference (rcu_unlock's drop, a
# step later) and unmap_and_move gives up
recheck_mapped:
  if not page_mapped { goto rcu_unlock }
# try_to_unmap(page, TTU_MIGRATION|...) -> try_to_unmap_anon: "anon_vma =
# page_lock_anon_vma(page); if (!anon_vma) return ret;", page_lock_anon_vma being "if
# (!page_mapped(page)) goto out; ... spin_lock(&anon_vma->lock);"; for each vma,
# try_to_unmap_one: "entry = make_migration_entry(page, pte_write(pteval));" and
# "page_remove_rmap(page);"
try_to_unmap:
  if page_mapped {
    spin_lock(anon_vma_lock)
    pte := [m in Mm |-> if pte[m] == mapped then migration else pte[m]]
    spin_unlock(anon_vma_lock)
  }
# skip_unmap: "if (!page_mapped(page)) rc = move_to_new_page(newpage, page);", which
# copies the page and calls "remove_migration_ptes(page, newpage)" -> rmap_walk_anon:
# "anon_vma = page_anon_vma(page); if (!anon_vma) return ret; spin_lock(&anon_vma->lock);"
rmap_walk_anon:
  spin_lock(anon_vma_lock)
# "list_for_each_entry(avc, &anon_vma->head, same_anon_vma) { ... ret = rmap_one(page,
# vma, address, arg);": remove_migration_pte "set_pte_at(mm, addr, ptep, pte);" and
# "page_add_anon_rmap(new, vma, addr);"; then "spin_unlock(&anon_vma->lock);"
remove_migration_pte:
  pte := [m in Mm |-> if pte[m] == migration then new_page else pte[m]]
  spin_unlock(anon_vma_lock)
# 3f6c82728f4e: "if (anon_vma && atomic_dec_and_lock(&anon_vma->migrate_refcount,
# &anon_vma->lock)) { int empty = list_empty(&anon_vma->head); spin_unlock(&anon_vma->lock);
# if (empty) anon_vma_free(anon_vma); }"; then "if (rcu_locked) rcu_read_unlock();"
rcu_unlock:
  if anon_vma_ref {
    anon_vma_ref := false
    anon_vma.migrate_refcount := anon_vma.migrate_refcount - 1
    if anon_vma.migrate_refcount == 0 {
      spin_lock(anon_vma_lock)
      spin_unlock(anon_vma_lock)
      if anon_vma.head == 0 { anon_vma_free() }
    }
  }
}

# A process mapping the page exits: do_exit -> mmput -> exit_mmap (mm/mmap.c).
process exit[self in Mm] {
# unmap_vmas -> zap_pte_range, under the pte lock: a present pte "page_remove_rmap(page);",
# a migration entry "pte_clear_not_present_full(mm, addr, pte, tlb->fullmm);"
zap_pte_range:
  pte[self] := none
# free_pgtables -> unlink_anon_vmas -> anon_vma_unlink: "spin_lock(&anon_vma->lock);
# list_del(&anon_vma_chain->same_anon_vma); /* We must garbage collect the anon_vma if it's
# empty */ empty = list_empty(&anon_vma->head) && !ksm_refcount(anon_vma);
# spin_unlock(&anon_vma->lock); if (empty) anon_vma_free(anon_vma);", 3f6c82728f4e adding
# "&& !migrate_refcount(anon_vma)"
unlink_anon_vmas:
  spin_lock(anon_vma_lock)
  anon_vma.head := anon_vma.head - 1
  spin_unlock(anon_vma_lock)
  if anon_vma.head == 0 and (not REF or anon_vma.migrate_refcount == 0) { anon_vma_free() }
}

# "nasty surprises later because anon_vma has been freed": the anon_vma migration holds,
# by its reference or by the lock of its rmap walk, is never a freed one.
invariant AnonVmaLiveWhileMigrating:
  (migrate.anon_vma_ref or holder(anon_vma_lock) == migrate) => not anon_vma.freed

# and the reference does not keep it forever: once every process has exited and migration
# is done, the anon_vma is freed (by the last exit, or by migration's drop)
invariant AnonVmaFreedAtLastUse:
  done(migrate) and (forall m in Mm: done(exit[m])) => anon_vma.freed

# The racy setup is there after the fixes too: every process has unlinked its vma while
# migration is between try_to_unmap and remove_migration_ptes; and migration does
# remove a migration entry (with MMS=1: only when no exit came first).
cover ExitedInWindow: at(migrate, rmap_walk_anon) and anon_vma.head == 0
cover Remapped: exists m in Mm: pte[m] == new_page

# 2.6.34: either race. 67b9509b2c68 alone: 3f6c82728f4e's race, the exit in migration's
# window. 3f6c82728f4e alone: 67b9509b2c68's, the exit before rcu_read_lock. Both: holds,
# the racy setup reached. The two statements as two steps: the exit comes between them
# (1ce82b69e96c's bug); page_get_anon_vma's count test and second page_mapped close it.
expect violates AnonVmaLiveWhileMigrating in 5 steps
expect SKIP_UNMAPPED=true: violates AnonVmaLiveWhileMigrating in 5 steps
expect REF=true: violates AnonVmaLiveWhileMigrating in 3 steps
expect REF=true, SKIP_UNMAPPED=true: holds with 20 states, covers ExitedInWindow, Remapped
expect REF=true, SKIP_UNMAPPED=true, SPLIT=true: violates AnonVmaLiveWhileMigrating in 4 steps
expect REF=true, SKIP_UNMAPPED=true, SPLIT=true, GET_UNLESS_ZERO=true: holds with 26 states, covers ExitedInWindow, Remapped
expect REF=true, SKIP_UNMAPPED=true, SPLIT=true, GET_UNLESS_ZERO=true, MMS=2: holds with 51 states, covers ExitedInWindow, Remapped
expect MMS=2: violates AnonVmaLiveWhileMigrating in 7 steps
expect REF=true, SKIP_UNMAPPED=true, MMS=2: holds with 39 states, covers ExitedInWindow, Remapped
expect REF=true, SKIP_UNMAPPED=true, MMS=3: holds with 64 states, covers ExitedInWindow, Remapped

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# both invariants inductive with the two fixes, for any MMS. The list holds the vmas of
# the processes not yet past unlink_anon_vmas; a pte is zapped once its process is past
# zap_pte_range; migration holds the lock between its steps only inside its walk, and
# the reference from rcu_read_lock (when it took one) to rcu_unlock.
def walking = at(migrate, remove_migration_pte)
def holds_ref_window =
  at(migrate, recheck_mapped) or at(migrate, try_to_unmap) or at(migrate, rmap_walk_anon)
  or walking or at(migrate, rcu_unlock)
lemma ListLength: anon_vma.head == (count m in Mm: not done(exit[m]))
lemma Zapped: forall m in Mm: pte[m] == none <=> not at(exit[m], zap_pte_range)
lemma WalkLock: (locked(anon_vma_lock) <=> walking) and (walking => holder(anon_vma_lock) == migrate)
lemma Reference:
  anon_vma.migrate_refcount == (if migrate.anon_vma_ref then 1 else 0)
  and (migrate.anon_vma_ref => REF and holds_ref_window)
  and (at(migrate, atomic_inc) => REF and SPLIT and not migrate.anon_vma_ref)
  and (at(migrate, recheck_mapped) => GET_UNLESS_ZERO and migrate.anon_vma_ref)
# Without the reference, the last unlink frees the anon_vma.
lemma Unreferenced: not REF => (anon_vma.freed <=> anon_vma.head == 0)
# With both fixes (the split one with page_get_anon_vma's tests): migration on its way
# to the walk holds the reference; and the anon_vma is freed exactly when neither a vma nor it holds it.
lemma Fixed:
  REF and SKIP_UNMAPPED and (not SPLIT or GET_UNLESS_ZERO)
    => (at(migrate, try_to_unmap) or at(migrate, rmap_walk_anon) or walking => migrate.anon_vma_ref)
       and (anon_vma.freed <=> anon_vma.head == 0 and anon_vma.migrate_refcount == 0)

# The symptom once the reference is taken on a freed anon_vma: with only the other
# invariant checked, migration's drop finds the list empty and frees it a second time.
expect REF=true: fails assert in 7 steps (invariants AnonVmaFreedAtLastUse)
expect REF=true, SKIP_UNMAPPED=true, SPLIT=true: fails assert in 8 steps (invariants AnonVmaFreedAtLastUse)

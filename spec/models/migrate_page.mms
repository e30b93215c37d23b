// Page migration as Hugh Dickins' series "mm: page migration cleanups, and a little
// mlock" (seed 004, linux-mm, 2015-10-19)
// leaves it: mm/migrate.c unmap_and_move, __unmap_and_move, move_to_new_page,
// migrate_page_move_mapping, migrate_page_copy, remove_migration_pte and mm/rmap.c
// try_to_unmap_one of v4.3 with the series applied, racing with everything that can
// get at the page while it moves. One switch per patch of the series that touches the
// protocol: -D PATCH3=false gives the code before patch 3/12, and so on.
//
// What the model shows (the expectations at the end pin it):
// - 3/12 reverted: the page comes back from migration not PageMlocked although a
//   VM_LOCKED vma maps it (MlockCarried).
// - 6/12 reverted: when the page was freed under migration, the unused new page goes to
//   putback_lru_page() instead of back to the pool (UnusedNewPageReturned).
// - 7/12 reverted: the racing previous user of the pool page holds its lock, and
//   move_to_new_page()'s trylock_page(newpage) BUG()s (NoBug).
// - 10/12 reverted: the swapcache page is unmapped to swap entries, not migration
//   entries, and is not remapped (SwapcacheRemapped).
// - 8/12, 11/12, 12/12 reverted: no invariant breaks, as their mails say ("no actual
//   problem"): see docs/races/migrate_page.md for why. The page is anonymous: what these
//   patches claim for file pages (a file page's mapping, the lockless ->mapping reader,
//   PAGECACHE_TAG_DIRTY and NR_FILE_DIRTY) is not tested here.
// - The racers are v4.3's: munlock's FOLL_GET pin makes the freeze fail and its
//   TestClearPageMlocked runs outside the pte lock; swap_map's count keeps a page in the
//   swap cache while swap ptes refer to it (SwapEntryResolves).
//
//   mmcheck check spec/models/migrate_page.mms                       # the series applied
//   mmcheck check spec/models/migrate_page.mms -D PATCH7=false --trace cpu
//
// The page migrated is an anonymous page in the swap cache (so it has a mapping,
// swapper_space, with a radix-tree slot, a tree_lock and speculative lookups), mapped
// by PTES ptes, each in its own mm and vma; the first vma is VM_LOCKED, so the page
// starts PageMlocked. It has been isolated from the LRU (the isolation reference) and
// is moved to a page of a custom pool (compaction's freepages list, shared with a
// racing previous user of each pool page).
//
// Abstractions (each said again where it is made):
// - One page (not a THP, not hugetlb, not KSM, not a balloon page), not under
//   writeback, without buffers (page_has_private() == 0: expected_count is 2).
// - Page flags and counts are the fields of `Page`; page->mapping, ->index, memcg and
//   PG_swapbacked of a new page are one flag, `setup`; its contents one flag, `uptodate`.
// - The anon_vma reference taken by page_get_anon_vma() is folded into the lock_page
//   step: with it the rmap walks below reach every pte, which is all the model needs.
// - A pte is none, present (mapping pfn[i]), a migration entry (always for the page
//   being migrated) or a swap entry; pte dirty and soft-dirty bits are not modelled.
// - rss counters are one MM_ANONPAGES/MM_FILEPAGES/MM_SWAPENTS triple per mm.
// - The swap entry's swap_map count is `swap_count`: one per swap pte (an mm outside the
//   model holds one, zapped by `free_swap`; before patch 10 try_to_unmap_one adds them),
//   SWAP_HAS_CACHE being `slot != 0`. free_swap_and_cache() deletes the page from the
//   swap cache only when the count drops to the cache alone; vm_swap_full() is false.
//   No writeback: the page is dirty, swap's copy stale, so a swap pte must resolve
//   through the swap cache. Swap-in of a swap pte (do_swap_page) is not modelled.
// - The munlock racer's page is off the LRU while migration holds it (isolated), so
//   __munlock_pagevec() gives its FOLL_GET pin back with pagevec_release(); a page back on
//   the LRU would go through phase 2 (lock_page, __munlock_isolated_page) first, which is
//   folded into that put_page.
// - get_new_page() returns the first page of the pool; put_new_page() puts it back.
// - Patch 10's by-the-way soft_dirty fix (file migration entries) is not modelled.

spec MigratePage

const PATCH3 = true     // remove_migration_pte() sets PageMlocked on VM_LOCKED vmas
const PATCH6 = true     // an unused newpage always goes back through put_new_page()
const PATCH7 = true     // trylock newpage in __unmap_and_move(), -EAGAIN, not BUG()
const PATCH8 = true     // remove_migration_ptes() at lock+unlock level, PageAnon kept
const PATCH10 = true    // migration entries for swapcache pages too
const PATCH11 = true    // newpage set up only after "no turning back"
const PATCH12 = true    // PG_dirty moved under tree_lock while frozen
// HYPOTHETICAL for v4.3 (seed 000, 2.6.34 before 012f18004da3 "mm: always lock the root
// (oldest) anon_vma"): remove_migration_ptes()' rmap walk may miss a vma that
// vma_adjust() is changing ("gets -EFAULT from vma_address and doesn't clean up the
// migration PTE"), and leave its migration entry behind
const MISS_VMA = false

const PTES : 1..64 = 1      // ptes (mms) mapping the page
const POOL : 1..4 = 1       // pages in the pool of new pages
const LOOKUPS : 1..4 = 1    // CPUs doing a speculative swap-cache lookup
const GUPS : 1..64 = 1      // CPUs doing get_user_pages() (gup[g] on pte g)
const FAULTS : 1..64 = 1    // CPUs faulting on a migration entry (fault[f] on pte f)
const ZAPS : 1..64 = 1      // mms being unmapped (zap[z] on pte z)
const PASSES : 1..10 = 1    // migrate_pages() passes (it retries -EAGAIN up to 10)

assume GUPS <= PTES and FAULTS <= PTES and ZAPS <= PTES

def OLD = 1                             // the page being migrated

type Pte = 1..PTES
type PageId = 1..POOL + 1               // 1 is the old page, the others the pool
type NewPage = 2..POOL + 1
type Pfn = 0..POOL + 1                  // 0: no page (NULL)
type Ref = 0..PTES + LOOKUPS + GUPS + FAULTS + 4
type PteState = enum { pte_none, pte_present, pte_migration, pte_swap }
// -EAGAIN; MIGRATEPAGE_SUCCESS after a migration; MIGRATEPAGE_SUCCESS because
// unmap_and_move() found the page freed from under it (page_count(page) == 1)
type Rc = enum { rc_eagain, rc_success, rc_freed }

type Page = record {
  count: Ref,           // page->_count
  mapcount: 0..PTES,    // page_mapcount()
  locked: bool,         // PG_locked
  dirty: bool,          // PG_dirty
  mlocked: bool,        // PG_mlocked
  swapcache: bool,      // PG_swapcache
  setup: bool,          // ->mapping, ->index, memcg, PG_swapbacked copied from the old page
  uptodate: bool,       // contents copied (migrate_page_copy)
  iso: bool             // the isolation reference (old page) or the pool's (new pages)
}

// The old page: isolated, in the swap cache, mapped by every pte, dirty, mlocked.
// A pool page: one reference (the pool's), nothing else.
var pages : [PageId] -> Page = [p in PageId |->
  if p == OLD then
    { count: 2 + PTES, mapcount: PTES, locked: false, dirty: true, mlocked: true,
      swapcache: true, setup: true, uptodate: true, iso: true }
  else
    { count: 1, mapcount: 0, locked: false, dirty: false, mlocked: false,
      swapcache: false, setup: false, uptodate: false, iso: true }]

var pte : [Pte] -> PteState = [i in Pte |-> pte_present]
var pfn : [Pte] -> Pfn = [i in Pte |-> OLD]            // the page a present pte maps
var vm_locked : [Pte] -> bool = [i in Pte |-> i == 1]  // VM_LOCKED of each pte's vma
var rss_anon : [Pte] -> -1..1 = [i in Pte |-> 1]       // MM_ANONPAGES of each mm
var rss_file : [Pte] -> -1..1 = [i in Pte |-> 0]       // MM_FILEPAGES
var rss_swap : [Pte] -> -1..1 = [i in Pte |-> 0]       // MM_SWAPENTS
var slot : Pfn = OLD            // the swap cache's radix-tree slot for the page's entry
var old_anon : bool = true      // PageAnon(page): page->mapping is the anon_vma

// References held by the racers, so that the invariants can count them.
var lookup_page : [1..LOOKUPS] -> Pfn = [j in 1..LOOKUPS |-> 0]   // read from the slot, no ref yet
var lookup_ref : [1..LOOKUPS] -> Pfn = [j in 1..LOOKUPS |-> 0]
var gup_pin : [1..GUPS] -> Pfn = [g in 1..GUPS |-> 0]
var fault_ref : [1..FAULTS] -> Pfn = [f in 1..FAULTS |-> 0]
var prev_ref : [PageId] -> bool = [p in PageId |-> false]
var munlock_pin : Pfn = 0       // follow_page_mask(FOLL_GET)'s pin, held by munlock
// swap_map's count of the page's swap entry (SWAP_HAS_CACHE aside): the swap pte of the
// mm outside the model, and the model's swap ptes
var swap_count : 0..PTES + 1 = 1

// Ghosts: migration's state that the invariants read.
var newpage : Pfn = 0           // the new page migration holds (0: none)
var frozen : bool = false       // the old page's refs are frozen (page_freeze_refs)
var migrated_to : Pfn = 0       // the new page that became the page
var newpage_locked : bool = false   // migration holds newpage's lock
var bug : bool = false          // a BUG() was hit

lock ptl : [Pte]                // the pte lock of each pte's page table
// swapper_space's mapping->tree_lock, held by migration from the slot check to the
// unfreeze. A flag, not a `lock`: no other modelled path takes it, and a lemma for the
// prover can say when a flag is set but not which process holds a lock.
var tree_locked : bool = false

def mapped(p) = count i in Pte: pte[i] == pte_present and pfn[i] == p
// every reference to page p besides the isolation (or pool) one and the cache's: one
// per pte mapping it (counted by its mapcount, which MapcountAccounted equates with
// the ptes), pins, lookups in flight, fault waiters, previous users
def extra_refs(p) =
  pages[p].mapcount
  + (count j in 1..LOOKUPS: lookup_ref[j] == p)
  + (count g in 1..GUPS: gup_pin[g] == p)
  + (count f in 1..FAULTS: fault_ref[f] == p)
  + (if prev_ref[p] then 1 else 0)
  + (if munlock_pin == p then 1 else 0)
def holders(p) = (if pages[p].iso then 1 else 0) + (if slot == p then 1 else 0) + extra_refs(p)
// compaction_alloc(): the first page on the pool's list
def in_pool(p) = pages[p].iso and newpage != p
def first_in_pool =
  sum p in NewPage: if in_pool(p) and (forall q in 2..p - 1: not in_pool(q)) then p else 0

// page_remove_rmap(): the last unmap clears PG_mlocked (clear_page_mlock), which is
// what made mlock_migrate_page() impotent before patch 3
macro page_remove_rmap(p) {
  p.mapcount := p.mapcount - 1
  if p.mapcount == 0 and p.mlocked { p.mlocked := false }
}

// remove_migration_pte() for pte i and page p (new on success, old on failure),
// called under the pte lock
macro restore_pte(i, p) {
  get_page(pages[p])
  pte[i] := pte_present
  pfn[i] := p
  pages[p].mapcount := pages[p].mapcount + 1     // page_add_anon_rmap()
  // patch 3: if (vma->vm_flags & VM_LOCKED) mlock_vma_page(new);
  if PATCH3 and vm_locked[i] { pages[p].mlocked := true }
}

// mm/swapfile.c free_swap_and_cache(entry), called by zap_pte_range() under the pte lock
// when a swap pte goes, in one step (its find_get_page() reference is dropped within it):
//   if (swap_entry_free(p, entry, 1) == SWAP_HAS_CACHE) {
//           page = find_get_page(swap_address_space(entry), entry.val);
//           if (page && !trylock_page(page)) { page_cache_release(page); page = NULL; } }
//   ... if (PageSwapCache(page) && !PageWriteback(page) &&
//           (!page_mapped(page) || vm_swap_full())) {
//           delete_from_swap_cache(page); SetPageDirty(page); }
// Migration holds the page lock while it moves the slot, so the trylock fails then.
macro free_swap_and_cache() {
  swap_count := swap_count - 1
  if swap_count == 0 and slot != 0 {
    if not pages[slot].locked and pages[slot].swapcache and pages[slot].mapcount == 0 {
      pages[slot].swapcache := false
      pages[slot].dirty := true
      put_page(pages[slot])                    // the swap cache's reference
      slot := 0
    }
  }
}

// ---------------------------------------------------------------- migration

// Weakly fair (`fair process`): migration, once it can take a step, takes it. It is the
// one process that FaultProceeds needs besides the fault itself: a fault waits only on
// the old page's lock and on the migration entry, and only migration holds the one and
// removes the other (no racer holds a lock or a page migration waits for).
fair process migrate {
  var rc : Rc = rc_eagain
  var i : Pte = 1                 // the rmap walk's position (1 when not walking)
  var was_mapped : bool = false   // page_was_mapped
  var pass : 1..PASSES = 1

get_new_page:
  // mm/migrate.c unmap_and_move(): newpage = get_new_page(page, private, &result);
  // then "if (page_count(page) == 1) { /* page was freed from under us. So we are
  // done. */ goto out; }" with rc = MIGRATEPAGE_SUCCESS
  assert first_in_pool != 0, "the pool of new pages is empty"
  newpage := first_in_pool
  if pages[OLD].count == 1 { rc := rc_freed; goto putback_lru_page } else { rc := rc_eagain }

lock_page:
  // __unmap_and_move(): trylock_page(page), or lock_page(page) when force in
  // MIGRATE_SYNC, as modelled here; the page is not under writeback. Then
  // anon_vma = page_get_anon_vma(page) (folded into this step: it changes nothing
  // the model sees). Patch 7 trylocks newpage next; before it, move_to_new_page did.
  lock_page(pages[OLD])
  if PATCH7 { goto trylock_newpage }
  else if pages[OLD].mapcount > 0 { was_mapped := true; goto try_to_unmap_one }
  else { goto move_to_new_page }

trylock_newpage:
  // patch 7: if (unlikely(!trylock_page(newpage))) goto out_unlock; "We used to have
  // a BUG here if trylock_page(newpage) fails, but would like to allow for cases where
  // there might be a race with the previous use of newpage."
  newpage_locked := trylock_page(pages[newpage])
  if not newpage_locked { goto unlock_page }
  else if pages[OLD].mapcount > 0 { was_mapped := true }
  else { goto move_to_new_page }

try_to_unmap_one:
  // try_to_unmap(page, TTU_MIGRATION|TTU_IGNORE_MLOCK|TTU_IGNORE_ACCESS): rmap.c
  // try_to_unmap_one() on the i-th vma, under its pte lock. Patch 10 makes a migration
  // entry for a swapcache page too; before it, the PageAnon branch came first and a
  // swapcache page got a swap entry (swap_duplicate(), MM_ANONPAGES -> MM_SWAPENTS).
  spin_lock(ptl[i])
  if pte[i] == pte_present and pfn[i] == OLD {
    if PATCH10 or not pages[OLD].swapcache {
      pte[i] := pte_migration                  // make_migration_entry(page)
    } else {
      pte[i] := pte_swap
      swap_count := swap_count + 1             // swap_duplicate(entry)
      rss_anon[i] := rss_anon[i] - 1
      rss_swap[i] := rss_swap[i] + 1
    }
    pfn[i] := 0
    page_remove_rmap(pages[OLD])
    put_page(pages[OLD])                       // page_cache_release(page)
  }
  spin_unlock(ptl[i])
  if i < PTES { i := i + 1; goto try_to_unmap_one } else { i := 1 }

move_to_new_page:
  // if (!page_mapped(page)) rc = move_to_new_page(newpage, page, mode);
  // Before patch 7 it began: if (!trylock_page(newpage)) BUG(); before patch 11 it
  // then set newpage->index, ->mapping, PageSwapBacked and memcg at once.
  if pages[OLD].mapcount > 0 {
    if was_mapped { goto remove_migration_pte } else { goto unlock_page }
  } else if not PATCH7 {
    newpage_locked := trylock_page(pages[newpage])
    if not newpage_locked { bug := true; goto BUG }
    else if not PATCH11 { pages[newpage].setup := true }
  } else if not PATCH11 {
    pages[newpage].setup := true
  }

migrate_page_move_mapping:
  // swap_aops.migratepage is migrate_page() -> migrate_page_move_mapping(). A page no
  // longer in the swap cache has no mapping: expected_count 1, no freeze. Otherwise,
  // under tree_lock, the slot must still hold the page and
  // page_freeze_refs(page, expected_count = 2: isolation + cache) must succeed.
  if not pages[OLD].swapcache {
    if pages[OLD].count != 1 { goto move_to_new_page_done }
    else {
      if PATCH11 { pages[newpage].setup := true }    // "No turning back from here"
      goto migrate_page_copy
    }
  } else {
    await not tree_locked                      // spin_lock_irq(&mapping->tree_lock)
    tree_locked := true
    if slot != OLD { tree_locked := false; goto move_to_new_page_done }
    else {
      frozen := page_freeze_refs(pages[OLD], 2)
      if not frozen { tree_locked := false; goto move_to_new_page_done }
    }
  }

radix_tree_replace_slot:
  // "Now we know that no one else is looking at the page: no turning back from here."
  // Patch 11 sets newpage up here; get_page(newpage) is the cache's reference;
  // patch 12 moves PG_dirty "while page refs frozen and newpage not yet exposed".
  if PATCH11 { pages[newpage].setup := true }
  get_page(pages[newpage])
  pages[newpage].swapcache := true             // SetPageSwapCache(); set_page_private()
  if PATCH12 and pages[OLD].dirty {
    pages[OLD].dirty := false
    pages[newpage].dirty := true
  }
  slot := newpage

page_unfreeze_refs:
  // page_unfreeze_refs(page, expected_count - 1): the cache's reference went to newpage
  page_unfreeze_refs(pages[OLD], 1)
  frozen := false
  tree_locked := false                         // spin_unlock(&mapping->tree_lock)

migrate_page_copy:
  // migrate_page_copy(newpage, page): contents and flags. Before patch 12:
  // if (PageDirty(page)) { clear_page_dirty_for_io(page); SetPageDirty(newpage); }
  // after it only SetPageDirty(newpage) for pages that did not go through the mapping.
  // Before patch 3: mlock_migrate_page(newpage, page), impotent since the last unmap
  // already cleared PG_mlocked.
  pages[newpage].uptodate := true
  if pages[OLD].dirty {
    if not PATCH12 { pages[OLD].dirty := false }
    pages[newpage].dirty := true
  }
  if not PATCH3 and pages[OLD].mlocked {
    pages[OLD].mlocked := false
    pages[newpage].mlocked := true
  }
  pages[OLD].swapcache := false                // ClearPageSwapCache(page)
  rc := rc_success
  migrated_to := newpage

move_to_new_page_done:
  // The end of move_to_new_page(). On success, before patch 8:
  //   if (page_was_mapped) remove_migration_ptes(page, newpage); page->mapping = NULL;
  // patch 8: if (!PageAnon(page)) page->mapping = NULL; (an anon page stays PageAnon
  // for zap_pte_range's rss accounting) and remove_migration_ptes() moves up a level.
  // On failure, before patch 11: newpage->mapping = NULL. Before patch 7 newpage was
  // unlocked here.
  if rc == rc_success {
    if not PATCH8 and was_mapped { goto remove_migration_pte }
    else {
      if not PATCH8 { old_anon := false }
      if not PATCH7 { unlock_page(pages[newpage]); newpage_locked := false }
      if was_mapped { goto remove_migration_pte } else { goto unlock_page }
    }
  } else {
    if not PATCH11 { pages[newpage].setup := false }
    if not PATCH7 { unlock_page(pages[newpage]); newpage_locked := false }
    if was_mapped { goto remove_migration_pte } else { goto unlock_page }
  }

remove_migration_pte:
  // remove_migration_ptes(page, rc == MIGRATEPAGE_SUCCESS ? newpage : page): rmap_walk,
  // remove_migration_pte() on the i-th vma under its pte lock. With MISS_VMA, rmap_walk
  // may find the vma's address -EFAULT and skip it (seed 000).
  spin_lock(ptl[i])
  either {
    if pte[i] == pte_migration {
      if rc == rc_success { restore_pte(i, newpage) } else { restore_pte(i, OLD) }
    }
  } or {
    await MISS_VMA              // "if (address == -EFAULT) continue;"
  }
  spin_unlock(ptl[i])
  if i < PTES { i := i + 1; goto remove_migration_pte }
  else {
    i := 1
    if not PATCH8 and rc == rc_success { goto clear_page_mapping } else { goto unlock_page }
  }

BUG:
  // before patch 7, move_to_new_page(): BUG() — the kernel oopses; nothing runs on
  await false

clear_page_mapping:
  // before patch 8, move_to_new_page() after remove_migration_ptes(page, newpage):
  // page->mapping = NULL; before patch 7, then unlock_page(newpage)
  old_anon := false
  if not PATCH7 { unlock_page(pages[newpage]); newpage_locked := false }

unlock_page:
  // out_unlock_both: unlock_page(newpage); out_unlock: put_anon_vma(anon_vma);
  // unlock_page(page)
  if newpage_locked { unlock_page(pages[newpage]); newpage_locked := false }
  unlock_page(pages[OLD])

putback_lru_page:
  // unmap_and_move(), out: unless -EAGAIN, putback_lru_page(page) drops the isolation
  // reference (after the last pass, putback_movable_pages() does it for -EAGAIN).
  // newpage: patch 6 resets put_new_page once newpage is used, so an unused newpage
  // always goes back through put_new_page(); before it, rc == MIGRATEPAGE_SUCCESS
  // from a page freed under us sent it to putback_lru_page(newpage), out of the pool.
  if rc != rc_eagain or pass == PASSES {
    pages[OLD].iso := false
    put_page(pages[OLD])
  }
  if rc == rc_eagain or (PATCH6 and rc == rc_freed) {
    skip                                       // put_new_page(newpage, private)
  } else {
    pages[newpage].iso := false                // putback_lru_page(newpage)
    put_page(pages[newpage])
  }
  newpage := 0
  if rc == rc_eagain and pass < PASSES { pass := pass + 1; goto get_new_page }
}

// ---------------------------------------------------------------- racers

// A speculative swap-cache lookup (lookup_swap_cache -> find_get_page), whose caller
// then perhaps dirties the page without its lock (swap_set_page_dirty), as patch 12
// plays safe against.
process lookup[self in 1..LOOKUPS] {
find_get_page:
  // radix_tree_lookup_slot() under rcu_read_lock() only; NULL: nothing to do
  lookup_page[self] := slot
  if slot == 0 { goto set_page_dirty }

page_cache_get_speculative:
  // get_page_unless_zero(page) fails on a frozen or freed page: goto repeat
  if get_page_unless_zero(pages[lookup_page[self]]) {
    lookup_ref[self] := lookup_page[self]
    lookup_page[self] := 0
  } else {
    lookup_page[self] := 0
    goto find_get_page
  }

recheck_slot:
  // if (unlikely(page != *pagep)) { page_cache_release(page); goto repeat; }
  if slot != lookup_ref[self] {
    put_page(pages[lookup_ref[self]])
    lookup_ref[self] := 0
    goto find_get_page
  }

set_page_dirty:
  // the caller uses the page, perhaps set_page_dirty(page), then page_cache_release()
  if lookup_ref[self] != 0 {
    either { pages[lookup_ref[self]].dirty := true } or { skip }
    put_page(pages[lookup_ref[self]])
    lookup_ref[self] := 0
  }
}

// get_user_pages() on pte g: pins the page, the I/O completes, set_page_dirty_lock(),
// put_page(). A pin on the old page makes page_freeze_refs() fail.
process gup[self in 1..GUPS] {
follow_page_pte:
  // follow_page_pte() under the pte lock: get_page() on a present page; a migration
  // entry faults (faultin_page) and waits; none (or, before patch 10, a swap entry,
  // whose swap-in is not modelled): no page
  spin_lock(ptl[self])
  if pte[self] == pte_present {
    get_page(pages[pfn[self]])
    gup_pin[self] := pfn[self]
  }
  spin_unlock(ptl[self])
  if pte[self] == pte_present { goto set_page_dirty_lock }
  else if pte[self] != pte_migration { goto put_page }

migration_entry_wait:
  // do_swap_page() -> migration_entry_wait(): wait_on_page_locked(), then retry
  await not pages[OLD].locked
  goto follow_page_pte

set_page_dirty_lock:
  // lock_page(page); set_page_dirty(page); unlock_page(page)
  await not pages[gup_pin[self]].locked
  pages[gup_pin[self]].dirty := true

put_page:
  if gup_pin[self] != 0 {
    put_page(pages[gup_pin[self]])
    gup_pin[self] := 0
  }
}

// A fault on pte f: on a migration entry, do_swap_page() -> migration_entry_wait(),
// which takes a reference with get_page_unless_zero() under the pte lock, drops the
// lock, waits for the page lock, drops the reference and faults again.
// Weakly fair: FaultProceeds is about this fault, which must run when it can.
fair process fault[self in 1..FAULTS] {
do_swap_page:
  // migration_entry_to_page() BUG_ONs if the page is not locked: MigrationEntryLocked.
  // "Once radix-tree replacement of page migration started, page_count *must* be
  // zero": get_page_unless_zero() fails on the frozen page and the fault is retried.
  spin_lock(ptl[self])
  if pte[self] == pte_migration {
    if get_page_unless_zero(pages[OLD]) { fault_ref[self] := OLD }
  }
  spin_unlock(ptl[self])
  if pte[self] != pte_migration { goto put_page }
  else if fault_ref[self] == 0 { goto do_swap_page }

wait_on_page_locked:
  await not pages[OLD].locked

put_page:
  // put_page(page); return to fault again (now on the restored pte)
  if fault_ref[self] != 0 {
    put_page(pages[OLD])
    fault_ref[self] := 0
    goto do_swap_page
  }
}

// munlock(2) of the first vma: mm/mlock.c munlock_vma_pages_range(), which holds
// mmap_sem for write (migration takes none), on the vma's one page.
process munlock {
munlock_vma_pages_range:
  // vma->vm_flags &= ~VM_LOCKED; (v4.4 made it VM_LOCKED_CLEAR_MASK)
  vm_locked[1] := false

follow_page_mask:
  // page = follow_page_mask(vma, start, FOLL_GET | FOLL_DUMP, &page_mask);
  // follow_page_pte() under the pte lock: get_page() on a present pte's page; without
  // FOLL_MIGRATION a migration entry (and a swap entry) gives no page: nothing to do
  spin_lock(ptl[1])
  if pte[1] == pte_present {
    get_page(pages[pfn[1]])
    munlock_pin := pfn[1]
  }
  spin_unlock(ptl[1])
  if munlock_pin == 0 { goto Done }

__munlock_pagevec:
  // phase 1, under zone->lru_lock but not the pte lock: if (TestClearPageMlocked(page))
  // { /* We already have pin from follow_page_mask() ... */ if
  // (__munlock_isolate_lru_page(page, false)) continue; else
  // __munlock_isolation_failed(page); } -- the page is isolated, by migration, so it
  // goes to pvec_putback. No other vma is VM_LOCKED: nothing sets PG_mlocked again.
  pages[munlock_pin].mlocked := false

pagevec_release:
  // "Now we can release pins of pages that we are not munlocking":
  // pagevec_release(&pvec_putback)
  put_page(pages[munlock_pin])
  munlock_pin := 0
}

// munmap or exit of mm z: zap_pte_range() on its pte.
process zap[self in 1..ZAPS] {
zap_pte_range:
  // a present pte: page_remove_rmap(), put_page(), MM_ANONPAGES--. A migration entry:
  // migration_entry_to_page() (BUG_ON(!PageLocked)), then MM_ANONPAGES-- or
  // MM_FILEPAGES-- as PageAnon(page) says. A swap entry: MM_SWAPENTS--, then
  // free_swap_and_cache(entry).
  spin_lock(ptl[self])
  if pte[self] == pte_present {
    page_remove_rmap(pages[pfn[self]])
    put_page(pages[pfn[self]])
    rss_anon[self] := rss_anon[self] - 1
  } else if pte[self] == pte_migration {
    if old_anon { rss_anon[self] := rss_anon[self] - 1 }
    else { rss_file[self] := rss_file[self] - 1 }
  } else if pte[self] == pte_swap {
    rss_swap[self] := rss_swap[self] - 1
    free_swap_and_cache()
  }
  pte[self] := pte_none
  pfn[self] := 0
  spin_unlock(ptl[self])
}

// munmap or exit of the mm outside the model whose pte is a swap entry for the page:
// its zap_pte_range() calls free_swap_and_cache(entry). Once the model's ptes are gone
// too, that deletes the page from the swap cache: the page "freed from under" migration.
process free_swap {
free_swap_and_cache:
  free_swap_and_cache()
}

// HYPOTHETICAL: the racing user of each pool page that patch 7/12 makes room for ("to be
// honest, this is really to extend the usefulness of the custom put_new_page feature,
// allowing a pool of new pages to be shared perhaps with racing uses"). v4.3 has no
// such user: a speculative page-cache lookup's get_page_unless_zero() on a freed page
// fails its slot recheck and drops the reference before any lock_page(), and v4.3's
// one put_new_page user, compaction (compaction_free back to cc->freepages), hands its
// free pages to nobody else. The model's user takes get_page_unless_zero(), then an unconditional
// lock_page() to look at the page; not its page any more: unlock_page(), put_page().
// It stands for a future pool sharer, and shows why the BUG() had to go.
process prev_user[self in NewPage] {
get_page_unless_zero:
  if get_page_unless_zero(pages[self]) { prev_ref[self] := true } else { goto put_page }

lock_page:
  lock_page(pages[self])

put_page:
  if prev_ref[self] {
    unlock_page(pages[self])
    put_page(pages[self])
    prev_ref[self] := false
  }
}

// ---------------------------------------------------------------- invariants

// migration_entry_to_page(): BUG_ON(!PageLocked(p)) — a migration entry exists only
// while its page is locked
invariant MigrationEntryLocked: forall i in Pte: pte[i] == pte_migration => pages[OLD].locked

// migration leaves no migration entry behind, on success or failure
invariant NoMigrationEntryLeft: done(migrate) => forall i in Pte: pte[i] != pte_migration

// each page's refcount is exactly the references held: isolation (or pool), page cache,
// one per pte mapping it, pins, lookups in flight, fault waiters, previous users; a
// frozen page reads 0
invariant RefcountAccounted:
  forall p in PageId: pages[p].count == (if p == OLD and frozen then 0 else holders(p))

invariant MapcountAccounted: forall p in PageId: pages[p].mapcount == mapped(p)

// page_freeze_refs() succeeded: nobody but the isolation and the cache holds the page
invariant FrozenExclusive: frozen => extra_refs(OLD) == 0

// the new page is reachable (cache slot or pte) only once set up, and usable (unlocked)
// only once its contents are copied
invariant NewPageSetUpBeforeVisible:
  forall p in NewPage: (slot == p or pages[p].mapcount > 0) =>
    (pages[p].setup and (pages[p].uptodate or pages[p].locked))

// the page that ends up in the swap cache carries PG_dirty
invariant DirtyNotLost: done(migrate) and slot != 0 => pages[slot].dirty

// INTENT, not safety (patch 3/12: "Not a serious bug, the next attempt at reclaiming the
// page would fix it up; but a betrayal of page migration's intent - the new page ought
// to emerge as PageMlocked"): a page mapped in a VM_LOCKED vma is PageMlocked
invariant MlockCarried:
  forall i in Pte: (pte[i] == pte_present and vm_locked[i]) => pages[pfn[i]].mlocked

// ROBUSTNESS of an interface, not a bug of v4.3 (patch 6/12: "I don't know of any problem
// from the way it's used in our current tree, but there is one defect in page
// migration's custom put_new_page feature"): a new page migration did not use is back in
// the pool it came from
invariant UnusedNewPageReturned:
  done(migrate) => forall p in NewPage: p == migrated_to or pages[p].iso

invariant NoBug: not bug

// each mm's rss counters match its pte (patch 8): checked at mm teardown as
// "BUG: Bad rss-counter state"
invariant RssCountersRight:
  forall i in Pte:
    rss_anon[i] == (if pte[i] == pte_present or pte[i] == pte_migration then 1 else 0)
    and rss_file[i] == 0
    and rss_swap[i] == (if pte[i] == pte_swap then 1 else 0)

// PERFORMANCE, not safety (patch 10/12: "any page blessed with swapcache would entail a
// minor fault when it's next touched, which page migration otherwise tries to avoid"):
// migration remaps a swapcache page, no pte is left a swap entry
invariant SwapcacheRemapped: done(migrate) => forall i in Pte: pte[i] != pte_swap

// swap_map counts the entry's swap ptes: the model's, and the outside mm's until
// free_swap zaps it
invariant SwapCountAccounted:
  swap_count == (count i in Pte: pte[i] == pte_swap) + (if done(free_swap) then 0 else 1)

// a swap pte's entry resolves: it is allocated on swap (swap_map counts it) and, the page
// being dirty (swap's copy stale), the swap cache holds the page for it; otherwise the
// next fault would read stale data, or a freed swap slot
invariant SwapEntryResolves:
  forall i in Pte: pte[i] == pte_swap =>
    (swap_count > 0 and slot != 0 and pages[slot].swapcache)

// ---------------------------------------------------------------- lemmas
// What the accounting invariants rest on, written so that together with them they are
// inductive: who holds each reference and each lock at each step. `mmcheck prove`
// assumes and proves them with the invariants it proves; `check --lemmas` checks them.

def migrate_idle = done(migrate) or at(migrate, get_new_page)
def migrate_holds_old =
  not (migrate_idle or at(migrate, lock_page) or at(migrate, putback_lru_page))

// migration holds a new page, with the pool's reference, from get_new_page() to the
// end of unmap_and_move(), and its lock from the trylock to the unlock; until
// migration is done the whole pool is there
lemma NewPageHeld:
  (newpage == 0 <=> migrate_idle) and newpage != OLD
  and (not done(migrate) => forall p in NewPage: pages[p].iso)
  and (newpage_locked => migrate_holds_old and not at(migrate, trylock_newpage))
  and ((at(migrate, migrate_page_move_mapping) or at(migrate, radix_tree_replace_slot)
        or at(migrate, page_unfreeze_refs) or at(migrate, migrate_page_copy)
        or at(migrate, move_to_new_page_done)) => newpage_locked)
  and (PATCH7 and (at(migrate, try_to_unmap_one) or at(migrate, move_to_new_page))
       => newpage_locked)

lemma OldPageIsolated: not done(migrate) => pages[OLD].iso

lemma OldPageLockedByMigration: pages[OLD].locked <=> migrate_holds_old

// a pool page's lock is held by migration or by its previous user, never both
lemma NewPageLockOwners:
  forall p in NewPage:
    (pages[p].locked <=>
      ((newpage_locked and newpage == p) or (at(prev_user[p], put_page) and prev_ref[p])))
    and not (newpage_locked and newpage == p and at(prev_user[p], put_page) and prev_ref[p])

lemma RacerRefs:
  not prev_ref[OLD]
  and (forall p in NewPage:
    (prev_ref[p] => at(prev_user[p], lock_page) or at(prev_user[p], put_page))
    and (at(prev_user[p], lock_page) => prev_ref[p]))
  and (forall j in 1..LOOKUPS:
    (lookup_page[j] != 0 <=> at(lookup[j], page_cache_get_speculative))
    and (lookup_ref[j] != 0 => at(lookup[j], recheck_slot) or at(lookup[j], set_page_dirty))
    and (at(lookup[j], recheck_slot) => lookup_ref[j] != 0))
  and (forall g in 1..GUPS:
    (gup_pin[g] != 0 => at(gup[g], set_page_dirty_lock) or at(gup[g], put_page))
    and (at(gup[g], set_page_dirty_lock) => gup_pin[g] != 0))
  and (forall f in 1..FAULTS:
    (fault_ref[f] != 0 => fault_ref[f] == OLD
      and (at(fault[f], wait_on_page_locked) or at(fault[f], put_page)))
    and (at(fault[f], wait_on_page_locked) => fault_ref[f] == OLD))
  and (munlock_pin != 0 <=> at(munlock, __munlock_pagevec) or at(munlock, pagevec_release))

// pte locks are only held within a step; a present pte names its page; a migration
// entry's page is still PageAnon (with patch 8, always; before it, page->mapping is
// cleared only once the page is migrated and its migration entries are removed)
lemma PtesWellFormed:
  (forall i in Pte:
    not locked(ptl[i])
    and (pte[i] == pte_present <=> pfn[i] != 0)
    and (pte[i] == pte_migration => old_anon))
  and (PATCH8 => old_anon and not at(migrate, clear_page_mapping))
  and ((not old_anon or at(migrate, clear_page_mapping)) => migrated_to != 0)
  and (not old_anon =>
    at(migrate, unlock_page) or at(migrate, putback_lru_page) or done(migrate))

// the old page is frozen, under tree_lock and with newpage locked, exactly across the
// slot replacement; at migrate_page_copy() the slot holds the new page or none; the old
// page is PageSwapCache while the slot holds it, and from radix_tree_replace_slot()
// until migrate_page_copy() clears it
lemma FrozenWhileReplacing:
  (frozen <=> at(migrate, radix_tree_replace_slot) or at(migrate, page_unfreeze_refs))
  and (tree_locked <=> frozen)
  and (frozen => newpage_locked)
  and (at(migrate, radix_tree_replace_slot) => slot == OLD)
  and (at(migrate, page_unfreeze_refs) => slot == newpage)
  and (at(migrate, migrate_page_copy) => slot == 0 or slot == newpage)
  and (pages[OLD].swapcache
       <=> (slot == OLD
            or (slot == newpage
                and (at(migrate, page_unfreeze_refs) or at(migrate, migrate_page_copy)))))

// What the control-flow invariants rest on: where migration is, and what that says of
// the ptes, the slot and the new page.

// rc == MIGRATEPAGE_SUCCESS after migrate_page_copy() exactly (then newpage is the page
// and set up, and nothing resets rc before unmap_and_move() returns); the "page was
// freed from under us" MIGRATEPAGE_SUCCESS goes straight to putback_lru_page(); newpage
// is set up from "no turning back" on (before patch 11, from move_to_new_page() on)
lemma MigrationOutcome:
  (migrate.rc == rc_success <=> migrated_to != 0)
  and (migrated_to != 0 =>
    migrated_to != OLD and pages[migrated_to].setup and pages[migrated_to].uptodate
    and (done(migrate) or migrated_to == newpage)
    and (at(migrate, move_to_new_page_done) or at(migrate, remove_migration_pte)
         or at(migrate, clear_page_mapping) or at(migrate, unlock_page)
         or at(migrate, putback_lru_page) or done(migrate)))
  and (migrate.rc == rc_freed => at(migrate, putback_lru_page) or done(migrate))
  and ((at(migrate, page_unfreeze_refs) or at(migrate, migrate_page_copy)
        or (not PATCH11 and (at(migrate, migrate_page_move_mapping)
                             or at(migrate, radix_tree_replace_slot))))
       => pages[newpage].setup)

// try_to_unmap() makes migration entries, remove_migration_ptes() removes them, both
// walking the ptes in order with migrate.i (1 outside the walks): a migration entry is
// one the unmap walk has passed and the remove walk not yet, and it exists only after
// page_was_mapped was set (with MISS_VMA the remove walk leaves one behind: this fails
// there, as MigrationEntryLocked does)
lemma MigrationEntriesInFlight:
  (not (at(migrate, try_to_unmap_one) or at(migrate, remove_migration_pte))
   => migrate.i == 1)
  and ((at(migrate, try_to_unmap_one) or at(migrate, remove_migration_pte))
       => migrate.was_mapped)
  and (forall i in Pte: pte[i] == pte_migration =>
    migrate.was_mapped
    and ((at(migrate, try_to_unmap_one) and i < migrate.i)
         or at(migrate, move_to_new_page) or at(migrate, migrate_page_move_mapping)
         or at(migrate, radix_tree_replace_slot) or at(migrate, page_unfreeze_refs)
         or at(migrate, migrate_page_copy) or at(migrate, move_to_new_page_done)
         or at(migrate, BUG)
         or (at(migrate, remove_migration_pte) and i >= migrate.i)))

// a new page is seen by others (through the swap cache's slot, or mapped by a pte) only
// as the page migrated to, or, from radix_tree_replace_slot() to migrate_page_copy(),
// as newpage in the slot (frozen, then locked by migration)
lemma NewPageVisibleOnlyMigrated:
  forall p in NewPage:
    (pages[p].mapcount > 0 => p == migrated_to)
    and (slot == p =>
      p == migrated_to
      or (p == newpage and (at(migrate, page_unfreeze_refs) or at(migrate, migrate_page_copy))))

// the page in the swap cache is PG_dirty (nothing cleans it: no writeback), but for the
// new page between radix_tree_replace_slot() and migrate_page_copy() before patch 12,
// while the old page still carries PG_dirty
lemma SwapCachePageDirty:
  slot != 0 =>
    pages[slot].dirty
    or ((at(migrate, page_unfreeze_refs) or at(migrate, migrate_page_copy))
        and pages[OLD].dirty)

// only the first vma is VM_LOCKED, until munlock clears it in its first step; with
// patch 10 no pte of the model is ever a swap entry
lemma VmLockedUntilMunlock:
  (forall i in Pte: vm_locked[i] => i == 1 and at(munlock, munlock_vma_pages_range))
  and (PATCH10 => forall i in Pte: pte[i] != pte_swap)

// ---------------------------------------------------------------- witnesses

// Paths the model must really take, lest the invariants above hold vacuously (`check`
// reports each reached with its shortest trace, or NOT REACHED). With the series: the
// page is migrated and a pte maps the new page again, which is still mlocked (the path
// MlockCarried is about); and the page freed from under migration, whose unused new
// page then goes back to the pool (the path UnusedNewPageReturned is about).
cover Migrated:
  done(migrate) and migrated_to != 0
  and (exists i in Pte: pte[i] == pte_present and pfn[i] == migrated_to)
cover StillMlocked: done(migrate) and migrated_to != 0 and pages[migrated_to].mlocked
cover FreedUnderUs: done(migrate) and migrate.rc == rc_freed
// munlock's FOLL_GET pin on the old page, taken before try_to_unmap, makes
// page_freeze_refs() fail, and its TestClearPageMlocked(), outside the pte lock, meets
// the page behind a migration entry
cover MunlockPinFailsFreeze:
  munlock_pin == OLD and at(migrate, move_to_new_page_done) and migrate.rc == rc_eagain
cover MunlockClearsBehindMigrationEntry:
  at(munlock, __munlock_pagevec) and munlock_pin == OLD and pte[1] == pte_migration

// ---------------------------------------------------------------- liveness

// "A fault that waits on a migration entry eventually proceeds": fault 1, waiting in
// migration_entry_wait() for the page lock, eventually finishes its fault, the pte no
// longer a migration entry. Only migrate and the fault are fair (see above): zap, gup,
// lookup, munlock and the pool's previous users may stop anywhere, as a task that is
// never scheduled again would, and the fault must still proceed.
property FaultProceeds: at(fault[1], wait_on_page_locked) leads_to done(fault[1])

// ---------------------------------------------------------------- expected results
// (default constants: 1 pte, a pool of 1, one of each racer, 1 pass)

expect holds with 203760 states, covers Migrated, StillMlocked, FreedUnderUs,
  MunlockPinFailsFreeze, MunlockClearsBehindMigrationEntry
// the intent of migration (not safety): the new page is not PageMlocked
expect PATCH3=false: violates MlockCarried in 9 steps
// the put_new_page interface (no v4.3 user is hurt): the unused new page leaves the pool
expect PATCH6=false: violates UnusedNewPageReturned in 4 steps
// the BUG() on a failed trylock of newpage, hit only by the hypothetical pool sharer
expect PATCH7=false: violates NoBug in 6 steps
expect PATCH8=false: holds with 212664 states
// a minor fault later (not safety): the swapcache page's ptes are left swap entries
expect PATCH10=false: violates SwapcacheRemapped in 11 steps
// the swap entries it leaves still resolve: swap_map counts them, so free_swap_and_cache()
// keeps the page in the swap cache while they exist
expect PATCH10=false: holds with 124632 states (invariants SwapEntryResolves, SwapCountAccounted)
expect PATCH11=false: holds with 203760 states
expect PATCH12=false: holds with 203751 states
// seed 000's walk that misses the vma (hypothetical here): the migration entry is left
// behind, and migration_entry_to_page() would BUG_ON the unlocked page. With only the
// refcount invariants checked, the search goes on to the liveness of the fault: it
// waits on the entry forever (wait_on_page_locked, put_page, do_swap_page, again)
expect MISS_VMA=true: violates MigrationEntryLocked in 10 steps
expect MISS_VMA=true: violates property FaultProceeds (cycle of 3 steps)
  (invariants RefcountAccounted, MapcountAccounted, FrozenExclusive)

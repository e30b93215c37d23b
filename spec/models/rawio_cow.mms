# A rawio read into a swap-cache page is lost to try_to_unmap + a COW on write fault.
#
# Seed 001 (linux-kernel): Andrea Arcangeli, 2005-02-10, "Re:
# [RFC] Changing COW detection to be memory hotplug friendly": "The reason pinned pages
# cannot be unmapped is that if they're being unmapped while a rawio read is in
# progress, a cow on some shared swapcache under I/O could happen. If a try_to_unmap +
# COW over a shared swapcache happens during a rawio read, then the rawio reads will get
# lost generating data corruption." Andrea answers Hugh Dickins' RFC, which drops the
# test that keeps such a page mapped and bases the COW decision on page_mapcount and the
# swap count instead. What landed: c475a8ab625d "[PATCH] can_share_swap_page: use
# page_mapcount" (Hugh Dickins, 2.6.13; posted as "[PATCH 2/2] can_share_swap_page: use
# page_mapcount", linux-kernel, 2005-06-06): "So remove the page_count hack from
# try_to_unmap_one ... Simplify can_share_swap_page ... to check page_mapcount +
# page_swapcount == 1: still needs the page lock to stabilize their (pessimistic) sum
# ... In do_swap_page, move swap_free and unlock_page below page_add_anon_rmap, to keep
# sum on the high side, and correct when can_share_swap_page called."
# Kernel (2.6.6 to 2.6.13): mm/rmap.c try_to_unmap_one, mm/memory.c get_user_pages /
# do_swap_page / do_wp_page, mm/swapfile.c can_share_swap_page / exclusive_swap_page /
# page_swapcount / swap_duplicate / swap_free, fs/direct-io.c.
#
# get_user_pages pins the page the buffer maps; reclaim unmaps it (the pte becomes a swap
# entry); the process writes to the page, faults it back from the swap cache, and
# can_share_swap_page says the page is shared: do_wp_page gives the process a copy and
# the DMA lands in the old page, which the process no longer maps. KERNEL says which
# kernel's code runs:
#  - 6 (2.6.6 and before): nothing stops the unmap, and can_share_swap_page counts the
#    pin (page_count != 2): the race.
#  - 7 to 12: Andrea's fix (2.6.7): try_to_unmap_one fails (SWAP_FAIL) on a swap-cache
#    page whose page_count is not page_mapcount + 2, i.e. one pinned by get_user_pages.
#  - 13: c475a8ab625d: the unmap is allowed again, and can_share_swap_page counts
#    mappings and swap entries (page_mapcount + page_swapcount == 1), never the pin.
# REORDER runs do_swap_page in the other kernel's order: c475a8ab625d's with KERNEL < 13,
# 2.6.12's with KERNEL=13. Only the mapcount + swapcount test cares: counted after
# swap_free, the faulting pte itself is in neither count (sum 0), and do_wp_page copies
# if its trylock of the page fails.
#
# Abstractions (docs/races/rawio_cow.md says what each hides):
#  - One mm, one pte (the user buffer's page) and one anonymous page already in the swap
#    cache (add_to_swap done, swap_map 1); reclaim has isolated it from the LRU.
#    page.count holds the swap cache's, the pte's, reclaim's, the pin's and each
#    faulting thread's lookup_swap_cache reference.
#  - The pte maps the page writable or read-only, holds its swap entry, or maps the
#    private copy made by do_wp_page; the copy's references are not modelled.
#  - mm->page_table_lock is a lock; do_wp_page is one step under it (its copy, done with
#    the lock dropped, and the pte_same recheck after it are not split).
#  - pageout, remove_mapping, remove_exclusive_swap_page (vm_swap_full) and the young
#    bit are left out; reclaim makes one pass, and waits for the page lock where
#    shrink_page_list's TestSetPageLocked would skip the page.
#  - The data is one bit per page: the read's data is in the old page or in the copy.
#  - Each writing thread faults at most once, on the swap entry; sequentially consistent.

spec RawioCow

const KERNEL : 6..13 = 6     # 2.6.KERNEL: 6: no check; 7..12: page_count check (2.6.7);
                             # 13: mapcount + swapcount (c475a8ab625d)
const REORDER = false        # true: do_swap_page in the other kernel's order
const WRITERS : 1..3 = 1     # threads of the process writing to the page during the read

type Pte = enum { writable, read_only, swap_entry, cow_copy }
type Pin = enum { unpinned, pin_page, pin_copy }
type Page = record { count: 0..8, locked: bool }
type Writer = symmetric 1..WRITERS

var pte : Pte = writable
var page : Page = { count: 3, locked: false }   # swap cache + pte + reclaim's isolation
var swap_map : 0..3 = 1          # swap_map[swp_offset(entry)] of the page's swap entry
var page_data : bool = false     # the read's data is in the old page
var copy_data : bool = false     # ... in the COW copy
lock page_table_lock             # mm->page_table_lock

# page_mapcount(page): the pte maps it (page_add_anon_rmap and set_pte are one step)
def mapcount = if pte == writable or pte == read_only then 1 else 0

# do_swap_page's order: c475a8ab625d's ("set_pte_at ... page_add_anon_rmap(page, vma,
# address); swap_free(entry); ... unlock_page(page);") or 2.6.12's ("swap_free(entry);
# ... if (write_access && can_share_swap_page(page)) ... unlock_page(page); ... set_pte;
# page_add_anon_rmap")
def late_swap_free = if REORDER then KERNEL < 13 else KERNEL == 13

# The swap count: swap_duplicate, swap_free and page_swapcount on swap_map.
include "common/swap_count.mms"

# can_share_swap_page, with the page locked. Before 2.6.13: "switch (page_count(page))
# { ... case 2: ... retval = exclusive_swap_page(page);", which is "if
# (p->swap_map[swp_offset(entry)] == 1) { ... if (page_count(page) == 2) retval = 1;"
# (the page has no buffers: the count-3 case does not apply). c475a8ab625d: "count =
# page_mapcount(page); if (count <= 1 && PageSwapCache(page)) count +=
# page_swapcount(page); return count == 1;"
macro can_share_swap_page() {
  assert page.locked, "BUG_ON(!PageLocked(page)) in can_share_swap_page"
  if KERNEL < 13 { return page.count == 2 and swap_map == 1 }
  return mapcount + (if mapcount <= 1 then page_swapcount(swap_map) else 0) == 1
}

# do_wp_page on the read-only pte, under page_table_lock: "if (!TestSetPageLocked(
# old_page)) { int reuse = can_share_swap_page(old_page); unlock_page(old_page); if
# (reuse) { ... pte_mkdirty ... return VM_FAULT_MINOR;" else "Ok, we need to copy. Oh,
# well..": copy_user_highpage, then "page_remove_rmap(old_page); break_cow(vma,
# new_page, address, page_table); ... page_cache_release(old_page);"
macro do_wp_page() {
  if trylock_page(page) {
    if can_share_swap_page() { pte := writable }
    unlock_page(page)
  }
  if pte != writable {
    copy_data := page_data
    pte := cow_copy
    put_page(page)
  }
}

# do_swap_page, once lock_page(page) returns: "spin_lock(&mm->page_table_lock); ... if
# (unlikely(!pte_same(*page_table, orig_pte))) { ... unlock_page(page);
# page_cache_release(page); goto out; }" (false: another fault mapped it first); then,
# in the kernel's order, up to unlock_page; the lookup's reference becomes the pte's.
# write_access is cleared when can_share_swap_page says the page is this pte's alone.
macro do_swap_page(write_access) {
  spin_lock(page_table_lock)
  if pte != swap_entry {
    spin_unlock(page_table_lock)
    unlock_page(page)
    put_page(page)
    return false
  }
  if not late_swap_free { swap_free(swap_map) }
  write_access := not can_share_swap_page()
  if late_swap_free {
    pte := if write_access then read_only else writable
    swap_free(swap_map)
  }
  unlock_page(page)
  return true
}

# The rest of do_swap_page, still under page_table_lock: in 2.6.12's order "set_pte(
# page_table, pte); page_add_anon_rmap(page, vma, address);"; then "if (write_access) {
# if (do_wp_page(mm, vma, address, page_table, pmd, pte) == VM_FAULT_OOM)".
macro map_swap_page(write_access) {
  if not late_swap_free { pte := if write_access then read_only else writable }
  if write_access { do_wp_page() }
  spin_unlock(page_table_lock)
}

# The rawio read (direct I/O into the user buffer).
process rawio {
  var pin : Pin = unpinned
  var write_access : bool = true
# get_user_pages(write=1), under page_table_lock: "while (!(map = follow_page(mm, start,
# lookup_write))) { ... spin_unlock(&mm->page_table_lock); switch (handle_mm_fault(mm,
# vma, start, write)) {" and the page found is pinned: "page_cache_get(pages[i]);". The
# fault on the swap entry is do_swap_page's "page = lookup_swap_cache(entry);".
get_user_pages:
  spin_lock(page_table_lock)
  if pte == writable {
    get_page(page)
    pin := pin_page
  } else if pte == cow_copy {
    pin := pin_copy
  }
  spin_unlock(page_table_lock)
  if pin != unpinned { goto dio_bio_end_io }
  get_page(page)
# do_swap_page: "lock_page(page);"
lock_page:
  lock_page(page)
do_swap_page:
  if not do_swap_page(write_access) { goto get_user_pages }
# the rest of do_swap_page; then get_user_pages looks the page up again
do_wp_page:
  map_swap_page(write_access)
  goto get_user_pages
# the device DMAs the data into the pinned page; dio_bio_complete drops the pin
dio_bio_end_io:
  if pin == pin_page {
    page_data := true
    put_page(page)
  } else {
    copy_data := true
  }
}

# Reclaim (shrink_page_list) on the isolated swap-cache page.
process reclaim {
# shrink_page_list: "if (TestSetPageLocked(page)) goto keep;"
lock_page:
  lock_page(page)
# try_to_unmap_one, under page_table_lock: "swap_duplicate(entry); set_pte(pte,
# swp_entry_to_pte(entry)); ... page_remove_rmap(page); page_cache_release(page);".
# 2.6.7 to 2.6.12 first: "Don't pull an anonymous page out from under get_user_pages.
# ... if (PageSwapCache(page) && page_count(page) != page_mapcount(page) + 2) { ret =
# SWAP_FAIL; goto out_unmap; }"
try_to_unmap_one:
  spin_lock(page_table_lock)
  if mapcount == 1 and not (KERNEL >= 7 and KERNEL < 13 and page.count != mapcount + 2) {
    swap_duplicate(swap_map)
    pte := swap_entry
    put_page(page)
  }
  spin_unlock(page_table_lock)
# shrink_page_list: unlock_page
unlock_page:
  unlock_page(page)
# putback_lru_page drops the isolation reference
putback_lru_page:
  put_page(page)
}

# The process writes to another part of the buffer's page while the read is in flight;
# the write faults if the pte holds the swap entry: handle_mm_fault reads the pte under
# page_table_lock, and do_swap_page drops it for "page = lookup_swap_cache(entry);".
process user[self in Writer] {
  var write_access : bool = true
lookup_swap_cache:
  spin_lock(page_table_lock)
  await pte == swap_entry
  spin_unlock(page_table_lock)
  get_page(page)
# do_swap_page: "lock_page(page);"
lock_page:
  lock_page(page)
do_swap_page:
  if not do_swap_page(write_access) { goto Done }
do_wp_page:
  map_swap_page(write_access)
}

# "the rawio reads will get lost": once the read completes, the page the process maps
# (or will fault back from the swap cache) holds the data read.
invariant DataArrives: done(rawio) => (if pte == cow_copy then copy_data else page_data)

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# DataArrives inductive with KERNEL=7..12 (either order) and KERNEL=13 (its own order),
# for any WRITERS. The page lock is held by one step's owner at a time, page_table_lock
# by a fault between do_swap_page and do_wp_page; the page count and the swap count are
# the sums of their holders; and between the two steps of a fault the pte is as
# do_swap_page's order leaves it.
lemma PageLock:
  (if page.locked then 1 else 0)
    == (if at(reclaim, try_to_unmap_one) or at(reclaim, unlock_page) then 1 else 0)
       + (if at(rawio, do_swap_page) then 1 else 0)
       + (count w in Writer: at(user[w], do_swap_page))
lemma PageTableLock:
  (if locked(page_table_lock) then 1 else 0)
    == (if at(rawio, do_wp_page) then 1 else 0) + (count w in Writer: at(user[w], do_wp_page))
  and (at(rawio, do_wp_page) => holder(page_table_lock) == rawio)
  and forall w in Writer: at(user[w], do_wp_page) => holder(page_table_lock) == user[w]
lemma PageCount:
  page.count
    == 1 + mapcount + (if done(reclaim) then 0 else 1)
       + (if rawio.pin == pin_page and not done(rawio) then 1 else 0)
       + (if at(rawio, lock_page) or at(rawio, do_swap_page) then 1 else 0)
       + (count w in Writer: at(user[w], lock_page) or at(user[w], do_swap_page))
       + (if pte == swap_entry and locked(page_table_lock) then 1 else 0)
lemma SwapCount:
  swap_map == (if pte == swap_entry and not locked(page_table_lock) then 2 else 1)

# between do_swap_page and do_wp_page, what the fault has mapped: nothing yet in 2.6.12's
# order, the page (read-only if write_access is still set) in c475a8ab625d's
def mapped_as(write_access) =
  if late_swap_free then pte == (if write_access then read_only else writable)
  else pte == swap_entry
lemma FaultWindow:
  (pte == read_only => late_swap_free and locked(page_table_lock))
  and (at(rawio, do_wp_page) => mapped_as(rawio.write_access))
  and forall w in Writer: at(user[w], do_wp_page) => mapped_as(user[w].write_access)
lemma Pinned:
  (rawio.pin != unpinned <=> at(rawio, dio_bio_end_io) or done(rawio))
  and (rawio.pin == pin_copy => pte == cow_copy)
# The fixes: Andrea's check keeps a pinned page mapped writable; with c475a8ab625d in its
# own order, can_share_swap_page always finds the sum 1, so do_wp_page never runs.
lemma PinnedStaysMapped:
  KERNEL >= 7 and KERNEL < 13 and rawio.pin == pin_page and not done(rawio) => pte == writable
lemma NeverCopied:
  KERNEL == 13 and late_swap_free => pte != cow_copy and pte != read_only
# A fault gets to do_wp_page only on the swap entry reclaim's try_to_unmap_one left, and
# takes the page lock after reclaim's unlock_page: reclaim no longer holds it.
lemma UnmapDone:
  (pte == swap_entry => not (at(reclaim, lock_page) or at(reclaim, try_to_unmap_one)))
  and (at(rawio, do_wp_page) or (exists w in Writer: at(user[w], do_wp_page))
       => at(reclaim, putback_lru_page) or done(reclaim))
# c475a8ab625d in 2.6.12's order with one writing thread: do_wp_page copies only if its
# TestSetPageLocked fails (the sum, the pte now mapped, is 1), and the only other holder
# of the page lock then is get_user_pages' own fault, which has not pinned the page yet:
# the pinned page is never copied away.
lemma PinNotCopied:
  KERNEL == 13 and not late_swap_free and WRITERS == 1 and rawio.pin == pin_page
    => pte != cow_copy
lemma DataStays:
  (KERNEL >= 7 and KERNEL < 13 or KERNEL == 13 and (late_swap_free or WRITERS == 1))
    and done(rawio)
    => (if rawio.pin == pin_page then page_data and (pte == cow_copy => copy_data)
        else copy_data)

# A thread whose write never faulted has nothing to do.
terminal done(rawio) and done(reclaim)
  and forall w in Writer: done(user[w]) or at(user[w], lookup_swap_cache)

# Every kernel, each order of do_swap_page, one to three writing threads. The order
# matters only to c475a8ab625d's mapcount + swapcount test, and only with a second
# thread to take the page lock between do_swap_page's unlock_page and do_wp_page.
expect KERNEL=6: violates DataArrives in 9 steps
expect KERNEL=6, WRITERS=2: violates DataArrives in 9 steps
expect KERNEL=6, WRITERS=3: violates DataArrives in 9 steps
expect KERNEL=6, REORDER=true: violates DataArrives in 9 steps
expect KERNEL=6, REORDER=true, WRITERS=2: violates DataArrives in 9 steps
expect KERNEL=6, REORDER=true, WRITERS=3: violates DataArrives in 9 steps
expect KERNEL=7: holds with 97 states
expect KERNEL=7, WRITERS=2: holds with 178 states
expect KERNEL=7, WRITERS=3: holds with 281 states
expect KERNEL=7, REORDER=true: holds with 88 states
expect KERNEL=7, REORDER=true, WRITERS=2: holds with 169 states
expect KERNEL=7, REORDER=true, WRITERS=3: holds with 272 states
expect KERNEL=13: holds with 92 states
expect KERNEL=13, WRITERS=2: holds with 194 states
expect KERNEL=13, WRITERS=3: holds with 326 states
expect KERNEL=13, REORDER=true: holds with 100 states
expect KERNEL=13, REORDER=true, WRITERS=2: violates DataArrives in 11 steps
expect KERNEL=13, REORDER=true, WRITERS=3: violates DataArrives in 11 steps

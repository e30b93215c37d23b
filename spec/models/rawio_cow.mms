# A rawio read into a swap-cache page is lost to try_to_unmap + a COW on write fault.
#
# Seed 001 (shared/seeds/001_7713ba61aa45fb1d.txt): Andrea Arcangeli, 2005-02-10, "Re:
# [RFC] Changing COW detection to be memory hotplug friendly": "The reason pinned pages
# cannot be unmapped is that if they're being unmapped while a rawio read is in
# progress, a cow on some shared swapcache under I/O could happen. If a try_to_unmap +
# COW over a shared swapcache happens during a rawio read, then the rawio reads will get
# lost generating data corruption." Kernel (2.6.11): mm/rmap.c try_to_unmap_one ("Don't
# pull an anonymous page out from under get_user_pages"), mm/memory.c get_user_pages /
# do_swap_page / do_wp_page, mm/swapfile.c can_share_swap_page, fs/direct-io.c.
#
# get_user_pages pins the page the buffer maps; reclaim unmaps it anyway (the pte becomes
# a swap entry); the process writes to the page, faults it back from the swap cache, and
# can_share_swap_page counts the pin as another user (page_count != 2): do_wp_page gives
# the process a copy. The DMA then lands in the old page, which the process no longer
# maps. The fix in the seed's tree: try_to_unmap_one fails (SWAP_FAIL) on a swap-cache
# page whose page_count is not page_mapcount + 2, i.e. one pinned by get_user_pages.
#
# Abstractions:
#  - One pte (the user buffer's page) and one anonymous page already in the swap cache
#    (add_to_swap done); reclaim has isolated it from the LRU. page.count holds the swap
#    cache's, the pte's, reclaim's and the pin's references.
#  - The pte maps the page writable or read-only, holds its swap entry, or maps the
#    private copy made by do_wp_page; the copy's references are not modelled.
#  - page_table_lock is folded into the steps (each pte access is one step); pageout and
#    remove_mapping are not modelled (the pinned page stays in the swap cache anyway).
#  - The data is one bit per page: the read's data is in the old page or in the copy.
#  - Each writing thread faults at most once, and only when the pte is not writable.

spec RawioCow

const FIXED = false        # true: try_to_unmap_one leaves a page pinned by get_user_pages
const WRITERS : 1..3 = 1   # threads of the process writing to the page during the read

type Pte = enum { writable, read_only, swap_entry, cow_copy }
type Pin = enum { unpinned, pin_page, pin_copy }
type Page = record { count: 0..5, locked: bool }
type Writer = symmetric 1..WRITERS

var pte : Pte = writable
var page : Page = { count: 3, locked: false }   # swap cache + pte + reclaim's isolation
var page_data : bool = false     # the read's data is in the old page
var copy_data : bool = false     # ... in the COW copy

def mapcount = if pte == writable or pte == read_only then 1 else 0

# do_swap_page for a write fault (2.6.11): lookup_swap_cache finds the page, lock_page,
# the lookup's reference becomes the pte's, swap_free; the pte is writable only if
# can_share_swap_page: page_count == 2 (the swap cache and this pte), else read-only and
# do_wp_page follows.
macro do_swap_page() {
  lock_page(page)
  if page.count + 1 == 2 { pte := writable } else { pte := read_only }
  get_page(page)
  unlock_page(page)
}

# do_wp_page (2.6.11): reuse the page if TestSetPageLocked succeeds and
# can_share_swap_page; otherwise copy it (the copy has whatever the page holds now) and
# drop the pte's reference on it.
macro do_wp_page() {
  if not page.locked and page.count == 2 {
    pte := writable
  } else {
    copy_data := page_data
    pte := cow_copy
    put_page(page)
  }
}

# The rawio read (direct I/O into the user buffer).
process rawio {
  var pin : Pin = unpinned
# get_user_pages(write=1): follow_page under page_table_lock; a pte that is not present or
# not writable is faulted in (handle_mm_fault) and looked up again; the page found is
# pinned for the I/O
get_user_pages:
  if pte == writable {
    get_page(page)
    pin := pin_page
  } else {
    if pte == cow_copy {
      pin := pin_copy
    } else {
      if pte == swap_entry { do_swap_page() } else { do_wp_page() }
      goto get_user_pages
    }
  }
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
# shrink_page_list: trylock_page (a failed trylock only skips the page)
lock_page:
  lock_page(page)
# try_to_unmap_one: the pte becomes a swap entry and drops its reference. FIXED: "Don't
# pull an anonymous page out from under get_user_pages": SWAP_FAIL if
# page_count(page) != page_mapcount(page) + 2.
try_to_unmap_one:
  if mapcount == 1 and not (FIXED and page.count != mapcount + 2) {
    pte := swap_entry
    put_page(page)
  }
# shrink_page_list: unlock_page
unlock_page:
  unlock_page(page)
# putback_lru_page drops the isolation reference
putback_lru_page:
  put_page(page)
}

# The process writes to another part of the buffer's page while the read is in flight:
# a write faults only if the pte is not writable.
process user[self in Writer] {
# handle_mm_fault -> do_swap_page (write_access) on the swap entry
do_swap_page:
  await pte == swap_entry or pte == read_only
  if pte == swap_entry { do_swap_page() }
# do_swap_page -> do_wp_page on the read-only pte
do_wp_page:
  if pte == read_only { do_wp_page() }
}

# "the rawio reads will get lost": once the read completes, the page the process maps
# (or will fault back from the swap cache) holds the data read.
invariant DataArrives: done(rawio) => (if pte == cow_copy then copy_data else page_data)

# A process whose write never faulted has nothing to do.
terminal done(rawio) and done(reclaim)
  and forall w in Writer: done(user[w]) or at(user[w], do_swap_page)

expect FIXED=false: violates DataArrives in 7 steps
expect FIXED=true: holds with 51 states
expect FIXED=false, WRITERS=3: violates DataArrives in 7 steps
expect FIXED=true, WRITERS=3: holds with 132 states

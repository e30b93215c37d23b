# GUP vs COW: a page pinned by get_user_pages and a copy-on-write fault, 2.6.6 to v5.19.
#
# One question asked of seventeen years of kernels: once a process has pinned a page of a
# private anonymous mapping with get_user_pages (a rawio/O_DIRECT read, RDMA, vmsplice),
# does a copy-on-write fault keep the pin and the process's mapping on the same page?
# Three stories ask it (STORY), each kernel answers (KERNEL):
#
#  1. rawio (seed 001, the race of rawio_cow.mms): Andrea Arcangeli, linux-kernel,
#     2005-02-10, "Re: [RFC] Changing COW detection to be memory hotplug friendly": "If a
#     try_to_unmap + COW over a shared swapcache happens during a rawio read, then the
#     rawio reads will get lost generating data corruption." The process pins its
#     swap-cache page for a write (the DMA fills it), reclaim unmaps it, the process faults
#     it back and writes.
#  2. vmsplice, CVE-2020-29374 (Jann Horn, Project Zero issue 2045): after fork the child
#     pins the shared page read-only with vmsplice (get_user_pages without FOLL_WRITE) and
#     unmaps it; the parent's write fault reuses the page in place, and the child's pipe
#     reads what the parent writes afterwards. 17839856fd58 "gup: document and work around
#     'COW can break either way' issue" (Linus Torvalds, v5.8): "if the thread that did
#     the get_user_pages() unmapped the page before the write (and that could happen due
#     to memory pressure in addition to any outright action), the writer could also just
#     take over the old page instead. End result: the get_user_pages() call might result
#     in a page pointer that is no longer associated with the original VM, and is
#     associated with - and controlled by - another VM having taken it over instead."
#  3. fork with a pin: the parent pins its page for a write (RDMA, io_uring fixed
#     buffers), then forks; its next write faults on the now write-protected page and
#     copies it, so the pin stays with the page the child maps. 70e806e4e645 "mm: Do early
#     cow for pinned pages during fork() for ptes" (Peter Xu, 2020-09-27, v5.9).
#
# KERNEL (see docs/races/gup_cow.md for the verdict of each pair):
#  1. 2.6.6: can_share_swap_page counts references (page_count), try_to_unmap_one unmaps
#     a pinned page.
#  2. 2.6.7 to 2.6.12: Andrea's fix: try_to_unmap_one refuses a pinned swap-cache page.
#  3. 2.6.13 to v5.7: c475a8ab625d "[PATCH] can_share_swap_page: use page_mapcount" (Hugh
#     Dickins): the unmap is allowed again and reuse counts mappings and swap entries
#     (later reuse_swap_page), never the pin; this is what CVE-2020-29374 exploits.
#  4. v5.8: 17839856fd58: get_user_pages on a COW mapping breaks COW first, "This adds
#     logic to force a COW event by setting FOLL_WRITE on any copy-on-write mapping when
#     FOLL_GET (or FOLL_PIN) is used".
#  5. v5.9-rc: 09854ba94c6a "mm: do_wp_page() simplification" (Linus Torvalds): reuse
#     only when page_count is 1 ("How about we just make sure we're the only possible
#     valid user fo the page before we bother to reuse it?"), merged with a308c71bf1e6
#     "mm/gup: Remove enfornced COW mechanism" (Peter Xu), which drops 17839856fd58's
#     FOLL_WRITE. A pin now always makes the write fault copy, and so does the swap cache:
#     Linus, 2021-04-01, to the stable backport: "I think this means that swap activity
#     can now break the connection to a GUP page (the whole pre-pinning model)".
#     feb889fb40fa "mm: don't put pinned pages into the swap cache" (v5.10) keeps a pinned
#     page out of the swap cache, but not a page already in it when it was pinned: story 1.
#  6. v5.9: 70e806e4e645: fork copies a page that may be DMA-pinned for the child
#     ("page_maybe_dma_pinned").
#  7. v5.19: 6c287605fd56 "mm: remember exclusively mapped anonymous pages with
#     PG_anon_exclusive" and 1493a1913e34 "mm/swap: remember PG_anon_exclusive via a swp
#     pte bit" (David Hildenbrand, "mm: COW fixes part 2: reliable GUP pins of anonymous
#     pages"): a page mapped by one process only is marked exclusive and reused on that
#     alone; try_to_unmap_one keeps an exclusive page that may be pinned mapped ("if
#     (anon_exclusive && page_try_share_anon_rmap(subpage)) { swap_free(entry);
#     set_pte_at(mm, address, pvmw.pte, pteval); ret = false;"), and the swap pte
#     remembers exclusivity ("if (anon_exclusive) swp_pte = pte_swp_mkexclusive(swp_pte);").
#
# Kernel files: mm/memory.c (get_user_pages / mm/gup.c, do_wp_page, do_swap_page,
# copy_one_pte / copy_present_pte, zap_pte_range), mm/rmap.c (try_to_unmap_one),
# mm/swapfile.c (can_share_swap_page, reuse_swap_page, the swap count, in
# common/swap_count.mms, shared with rawio_cow.mms), mm/vmscan.c (shrink_page_list).
#
# Abstractions (docs/races/gup_cow.md says what each hides):
#  - Two mms (parent and child) with one pte each for one address of a private anonymous
#    mapping; page 0 is the page first mapped, page 1 the parent's COW copy, page 2 the
#    child's. Each mm copies at most once, so the copies are never reused.
#  - Each fault (do_swap_page, with the do_wp_page it calls, or do_wp_page) is one step:
#    page_table_lock and the page lock are not modelled (rawio_cow.mms splits
#    do_swap_page; its orders matter only with two faulting threads).
#  - The pin is held to the end: the invariants are about the time the I/O is in flight.
#    It is one reference (FOLL_PIN's GUP_PIN_COUNTING_BIAS is not), and `pinned` is
#    page_maybe_dma_pinned; stories 1 and 3 pin with FOLL_PIN from v5.9 on (RDMA,
#    io_uring), vmsplice pins with FOLL_GET, which page_maybe_dma_pinned does not see.
#  - Story 1's page is in the swap cache from the start (add_to_swap done, swap_map 1) and
#    stays there (vm_swap_full is false: no try_to_free_swap, no delete_from_swap_cache
#    on reuse); reclaim has isolated it and makes one pass.
#  - Each process writes once; the child of story 3 does not write.

spec GupCow

include "common/swap_count.mms"

const KERNEL : 1..7 = 1   # 1: 2.6.6; 2: 2.6.7; 3: 2.6.13 (c475a8ab625d) to v5.7;
                          # 4: v5.8 (17839856fd58); 5: v5.9-rc (09854ba94c6a, a308c71bf1e6);
                          # 6: v5.9 (70e806e4e645); 7: v5.19 (6c287605fd56)
const STORY : 1..3 = 1    # 1: rawio after swap-out; 2: vmsplice in the child; 3: fork with a pin

type Mm = enum { parent_mm, child_mm }
type Pte = enum { none, read_only, writable, swap_entry }
type PageId = 0..2        # 0: the page first mapped; 1: the parent's copy; 2: the child's
type Page = record { count: 0..6, mapcount: 0..2, exclusive: bool }

var pte : [Mm] -> Pte = [m in Mm |-> if m == parent_mm then writable else none]
var pfn : [Mm] -> PageId = [m in Mm |-> 0]        # the page each pte maps (or swaps)
# page 0: the parent's pte, and in story 1 the swap cache and reclaim's isolation
var page : [PageId] -> Page = [p in PageId |->
  if p == 0 then { count: if STORY == 1 then 3 else 1, mapcount: 1, exclusive: true }
  else { count: 0, mapcount: 0, exclusive: false }]
var swap_map : 0..3 = if STORY == 1 then 1 else 0 # page 0's swap entry (story 1)
var swp_exclusive : bool = false  # the swap pte's exclusive bit (v5.19)
var pinned : bool = false         # get_user_pages returned, the I/O is in flight
var pin_page : PageId = 0
var written_behind : bool = false # another mm wrote the pinned page in place

# m's pte maps page p (present)
def maps(m, p) = (pte[m] == read_only or pte[m] == writable) and pfn[m] == p

# who pins: the child in story 2 (vmsplice), the parent otherwise
def pinner = if STORY == 2 then child_mm else parent_mm
def pin_for_write = STORY != 2
# FOLL_PIN, which page_maybe_dma_pinned sees (v5.9 on); vmsplice pins with FOLL_GET
def maybe_dma_pinned(p) = pinned and pin_page == p and STORY != 2
def in_swap_cache(p) = STORY == 1 and p == 0

# What each kernel does.
def unmap_checks_count = KERNEL == 2       # 2.6.7 to 2.6.12
def gup_breaks_cow = KERNEL == 4           # 17839856fd58, until a308c71bf1e6
def fork_copies_pinned = KERNEL >= 6       # 70e806e4e645
def anon_exclusive = KERNEL == 7           # 6c287605fd56

# do_wp_page's decision to reuse the page p in place.
# 2.6.6 to 2.6.12, can_share_swap_page: "switch (page_count(page)) { ... case 2: if
# (!PageSwapCache(page)) break; retval = exclusive_swap_page(page); break; case 1: if
# (PageReserved(page)) break; retval = 1;", exclusive_swap_page being "if
# (p->swap_map[swp_offset(entry)] == 1) { ... if (page_count(page) == 2) retval = 1;".
# c475a8ab625d to v5.8: "count = page_mapcount(page); if (count <= 1 &&
# PageSwapCache(page)) count += page_swapcount(page); return count == 1;".
# 09854ba94c6a: "if (PageKsm(page) || page_count(page) != 1) goto copy; ... if
# (PageKsm(page) || page_mapcount(page) != 1 || page_count(page) != 1) {" ... "goto copy".
# v5.19: an exclusive page is reused at once (do_wp_page's own line was not found in the
# sources searched; do_huge_pmd_wp_page says it: "if (PageAnonExclusive(page)) goto
# reuse;"); otherwise, as since 53a05ad9f21d (v5.17), "if (PageSwapCache(page))
# try_to_free_swap(page); if (PageKsm(page) || page_count(page) != 1) {" ... "goto copy"
# (try_to_free_swap drops the swap cache's reference when no swap entry is left).
def can_reuse(p) =
  if KERNEL <= 2 then
    (if in_swap_cache(p) then page[p].count == 2 and swap_map == 1 else page[p].count == 1)
  else if KERNEL <= 4 then
    page[p].mapcount
      + (if in_swap_cache(p) and page[p].mapcount <= 1 then page_swapcount(swap_map) else 0)
      == 1
  else if KERNEL <= 6 then page[p].count == 1 and page[p].mapcount == 1
  else page[p].exclusive
    or page[p].count
       == 1 + (if in_swap_cache(p) and page_swapcount(swap_map) == 0 then 1 else 0)

# The copy each mm makes (wp_page_copy): a page of its own.
def copy_of(m) = if m == parent_mm then 1 else 2

# do_wp_page on m's read-only pte: reuse in place ("wp_page_reuse(vmf)"), or copy
# ("Ok, we need to copy. Oh, well..": the new page mapped writable, then
# "page_remove_rmap(old_page); ... put_page(old_page)"). Only page 0 is ever mapped
# read-only: a copy is made writable and exclusive, and fork comes once.
macro do_wp_page(m) {
  assert pfn[m] == 0, "a COW fault on a copy"
  if can_reuse(0) {
    pte[m] := writable
    page[0].exclusive := true
  } else {
    assert page[copy_of(m)].count == 0, "the copy's page is in use"
    page[copy_of(m)] := { count: 1, mapcount: 1, exclusive: true }
    page[0].mapcount := page[0].mapcount - 1
    put_page(page[0])
    pfn[m] := copy_of(m)
    pte[m] := writable
  }
}

# do_swap_page on m's swap entry, page 0 found in the swap cache ("page =
# lookup_swap_cache(entry);": its reference becomes the pte's). 2.6.6 to 2.6.12:
# "swap_free(entry); ... if (write_access && can_share_swap_page(page)) { pte =
# maybe_mkwrite(pte_mkdirty(pte), vma); write_access = 0; }". c475a8ab625d to v5.18:
# reuse_swap_page before page_add_anon_rmap and swap_free ("if ((vmf->flags &
# FAULT_FLAG_WRITE) && reuse_swap_page(page, NULL)) {" in v5.9). v5.19: exclusive if the
# swap pte says so ("exclusive = pte_swp_exclusive(vmf->orig_pte);"). Then "if
# (write_access) { if (do_wp_page(...". A read fault maps the page read-only.
macro do_swap_page(m, write) {
  get_page(page[0])
  if KERNEL <= 2 { swap_free(swap_map) }
  if write and (if KERNEL <= 2 then page[0].count == 2 and swap_map == 1
                else if KERNEL <= 6 then page[0].mapcount + page_swapcount(swap_map) == 1
                else swp_exclusive) {
    pte[m] := writable
  } else {
    pte[m] := read_only
  }
  if KERNEL > 2 { swap_free(swap_map) }
  page[0].mapcount := page[0].mapcount + 1
  page[0].exclusive := pte[m] == writable or anon_exclusive and swp_exclusive
  if write and pte[m] == read_only { do_wp_page(m) }
}

# A write by m: handle_mm_fault if the pte does not allow it, then the store, which lands
# in the page m maps.
macro write_to_page(m) {
  if pte[m] == swap_entry {
    do_swap_page(m, true)
  } else if pte[m] == read_only {
    do_wp_page(m)
  }
  store(m)
}
macro store(m) {
  if pinned and pinner != m and pin_page == pfn[m] { written_behind := true }
}

# get_user_pages by the pinner: a write pin (rawio, RDMA) or vmsplice's read pin.
process gup {
# __get_user_pages: "if (should_force_cow_break(vma, foll_flags)) foll_flags |=
# FOLL_WRITE;" (v5.8 only); follow_page_mask finds the page if the pte allows the access
# ("if ((flags & FOLL_WRITE) && !can_follow_write_pte(pte, flags)) { pte_unmap_unlock(ptep,
# ptl); return NULL; }") and takes the pin under the pte lock.
get_user_pages:
  await pte[pinner] != none
  if pte[pinner] == writable
     or pte[pinner] == read_only and not (pin_for_write or gup_breaks_cow) {
    get_page(page[pfn[pinner]])
    pinned := true
    pin_page := pfn[pinner]
    goto Done
  }
# faultin_page: handle_mm_fault with FAULT_FLAG_WRITE when FOLL_WRITE, then "goto retry".
# handle_pte_fault reads the pte again: another fault may have made it writable.
handle_mm_fault:
  if pte[pinner] == swap_entry {
    do_swap_page(pinner, pin_for_write or gup_breaks_cow)
  } else if pte[pinner] == read_only and (pin_for_write or gup_breaks_cow) {
    do_wp_page(pinner)
  }
  goto get_user_pages
}

# Reclaim (shrink_page_list) on the isolated swap-cache page of story 1.
process reclaim {
# try_to_unmap_one: "swap_duplicate(entry); set_pte(pte, swp_entry_to_pte(entry)); ...
# page_remove_rmap(page); page_cache_release(page);". 2.6.7 to 2.6.12 first: "if
# (PageSwapCache(page) && page_count(page) != page_mapcount(page) + 2) { ret = SWAP_FAIL;
# goto out_unmap; }". v5.19: page_try_share_anon_rmap fails on an exclusive page that
# may be pinned, and the swap pte keeps the exclusive bit.
try_to_unmap_one:
  await STORY == 1
  if maps(parent_mm, 0)
     and not (unmap_checks_count and page[0].count != page[0].mapcount + 2)
     and not (anon_exclusive and page[0].exclusive and maybe_dma_pinned(0)) {
    swap_duplicate(swap_map)
    swp_exclusive := anon_exclusive and page[0].exclusive
    page[0].exclusive := false
    pte[parent_mm] := swap_entry
    page[0].mapcount := page[0].mapcount - 1
    put_page(page[0])
  }
# putback_lru_page drops the isolation reference
putback_lru_page:
  put_page(page[0])
}

# fork (stories 2 and 3): copy_page_range copies the parent's pte. copy_one_pte: "if
# (is_cow_mapping(vm_flags)) { ptep_set_wrprotect(src_mm, addr, src_pte); pte =
# pte_wrprotect(pte); } ... get_page(page); page_dup_rmap(page);". 70e806e4e645
# (copy_present_pte): "if (likely(!page_maybe_dma_pinned(page))) return 1;" ... else the
# child gets a copy and the parent's pte stays writable; v5.19 does the same when
# page_try_dup_anon_rmap fails, and clears PageAnonExclusive when it succeeds.
process fork {
copy_page_range:
  await STORY != 1
  assert pfn[parent_mm] == 0, "fork after the parent's COW"
  if fork_copies_pinned and maybe_dma_pinned(0) {
    page[2] := { count: 1, mapcount: 1, exclusive: true }
    pfn[child_mm] := 2
    pte[child_mm] := writable
  } else {
    pte[parent_mm] := read_only
    pte[child_mm] := read_only
    get_page(page[0])
    page[0].mapcount := page[0].mapcount + 1
    page[0].exclusive := false
  }
}

# The child of story 2 unmaps the page it spliced (munmap, after its vmsplice returned):
# zap_pte_range: "page_remove_rmap(page); ... tlb_remove_page(tlb, page)".
process child {
zap_pte_range:
  await STORY == 2 and done(gup)
  if pte[child_mm] != none {
    page[pfn[child_mm]].mapcount := page[pfn[child_mm]].mapcount - 1
    put_page(page[pfn[child_mm]])
    pte[child_mm] := none
  }
}

# A thread of the parent that reads the buffer in story 1: a read fault on the swap entry.
process reader {
do_swap_page:
  await STORY == 1 and pte[parent_mm] == swap_entry
  do_swap_page(parent_mm, false)
}

# The parent writes to the page once.
process parent {
handle_mm_fault:
  write_to_page(parent_mm)
}

# "a page reachable through a pin is the page the pinning process maps, and no other
# process writes it in place": while the I/O is in flight, the pinner's pte (present or
# swapped) is for the pinned page, and no other mm has written that page in place.
invariant PinnedPageIsMapped: pinned and pte[pinner] != none => pfn[pinner] == pin_page
invariant NoWriteBehindPin: not written_behind

# The racy interleaving's setup, reached where the kernel holds too: story 1, the pinned
# page was swapped out and read back in before the parent's write; story 2, the child
# unmapped its pinned page before the parent's write; story 3, the page was pinned before
# the fork and the parent wrote after it.
cover RaceSetUp:
  if STORY == 1 then pinned and done(reader) and done(parent)
  else if STORY == 2 then pinned and done(child) and done(parent)
  else pinned and pin_page == 0 and done(fork) and done(parent)

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# both invariants inductive in every pair of kernel and story that holds. The first three
# hold in every mode: which page each pte can map, the reference, map and swap counts as
# the sums of their holders, and who may write in place; the last three, guarded by
# KERNEL and STORY, say what each fix keeps.
def held(b) = if b then 1 else 0
lemma Ptes:
  pte[parent_mm] != none
  and (pfn[parent_mm] == 0 or pfn[parent_mm] == 1 and pte[parent_mm] == writable)
  and (pfn[child_mm] == 0 or pfn[child_mm] == 2 and pte[child_mm] != read_only)
  and (pte[parent_mm] == swap_entry => STORY == 1)
  and (STORY == 1 or not done(fork) => pte[child_mm] == none and pfn[child_mm] == 0)
  and (STORY != 1 and not done(fork) => pte[parent_mm] == writable and pfn[parent_mm] == 0)
  and (STORY == 3 and done(fork) => pte[child_mm] != none)
  and pte[child_mm] != swap_entry
  and (done(child) => STORY == 2 and pte[child_mm] == none and done(gup))
  and (not at(reclaim, try_to_unmap_one) or done(reader) => STORY == 1)
  and (at(gup, handle_mm_fault) => STORY != 2 or gup_breaks_cow)
  and (pinned <=> done(gup)) and (STORY == 2 and pinned => done(fork))
  and (pin_page == 0 or pin_page == copy_of(pinner))
  and (pinned and pin_page == 1 => pfn[parent_mm] == 1)
  and (pinned and pin_page == 2 => pfn[child_mm] == 2)
lemma Counts:
  page[0].mapcount == held(maps(parent_mm, 0)) + held(maps(child_mm, 0))
  and page[0].count
      == page[0].mapcount + (if STORY == 1 then 1 + held(not done(reclaim)) else 0)
         + held(pinned and pin_page == 0)
  and page[1].mapcount == held(pfn[parent_mm] == 1)
  and page[1].count == page[1].mapcount + held(pinned and pin_page == 1)
  and page[2].mapcount == held(maps(child_mm, 2))
  and page[2].count == page[2].mapcount + held(pinned and pin_page == 2)
  and swap_map == (if STORY == 1 then 1 + held(pte[parent_mm] == swap_entry) else 0)
lemma Exclusive:
  (maps(parent_mm, 0) and maps(child_mm, 0)
     => pte[parent_mm] == read_only and pte[child_mm] == read_only
        and not page[0].exclusive)
  and (STORY == 2 and KERNEL != 3 and pinned and pin_page == 0 and pfn[parent_mm] == 0
       => pte[parent_mm] == read_only and not page[0].exclusive)
  and (STORY == 1 and anon_exclusive => (maps(parent_mm, 0) => page[0].exclusive)
       and (pte[parent_mm] == swap_entry => swp_exclusive))
# 2.6.7's check and v5.19's page_try_share_anon_rmap keep a pinned page mapped writable.
lemma PinnedStaysMapped:
  STORY == 1 and (unmap_checks_count or anon_exclusive) and pinned and pin_page == 0
    => pte[parent_mm] == writable
# 17839856fd58: the child pins page 0 only by reusing it once the parent has copied.
lemma ChildPinsItsOwn:
  STORY == 2 and gup_breaks_cow and pinned and pin_page == 0 => pfn[parent_mm] == 1
# 70e806e4e645: a page pinned before fork stays the parent's, writable.
lemma PinnedBeforeFork:
  STORY == 3 and fork_copies_pinned and pinned and pin_page == 0
    => pte[parent_mm] == writable

# The processes a story does not use never start; the reader faults only if it must.
terminal done(gup) and done(parent) and (done(reclaim) or STORY != 1)
  and (done(fork) or STORY == 1) and (done(child) or STORY != 2)
  and (done(reader) or at(reader, do_swap_page))

# Every kernel in every story (docs/races/gup_cow.md's verdict table).
expect KERNEL=1: violates PinnedPageIsMapped in 3 steps
expect KERNEL=2: holds with 52 states, covers RaceSetUp
expect KERNEL=3: holds with 48 states, covers RaceSetUp
expect KERNEL=4: holds with 48 states, covers RaceSetUp
expect KERNEL=5: violates PinnedPageIsMapped in 4 steps
expect KERNEL=6: violates PinnedPageIsMapped in 4 steps
expect KERNEL=7: holds with 44 states, covers RaceSetUp
expect KERNEL=1, STORY=2: holds with 11 states, covers RaceSetUp
expect KERNEL=2, STORY=2: holds with 11 states, covers RaceSetUp
expect KERNEL=3, STORY=2: violates NoWriteBehindPin in 4 steps
expect KERNEL=4, STORY=2: holds with 20 states, covers RaceSetUp
expect KERNEL=5, STORY=2: holds with 11 states, covers RaceSetUp
expect KERNEL=6, STORY=2: holds with 11 states, covers RaceSetUp
expect KERNEL=7, STORY=2: holds with 11 states, covers RaceSetUp
expect KERNEL=1, STORY=3: violates PinnedPageIsMapped in 3 steps
expect KERNEL=2, STORY=3: violates PinnedPageIsMapped in 3 steps
expect KERNEL=3, STORY=3: violates PinnedPageIsMapped in 3 steps
expect KERNEL=4, STORY=3: violates PinnedPageIsMapped in 3 steps
expect KERNEL=5, STORY=3: violates PinnedPageIsMapped in 3 steps
expect KERNEL=6, STORY=3: holds with 15 states, covers RaceSetUp
expect KERNEL=7, STORY=3: holds with 15 states, covers RaceSetUp

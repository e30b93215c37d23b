# Dirty COW (CVE-2016-5195): get_user_pages retries a forced write as a read, and the
# write lands in the page cache of a file the process may only read.
#
# 19be0eaffa3a "mm: remove gup_flags FOLL_WRITE games from __get_user_pages()" (Linus
# Torvalds, 2016-10-13, v4.9-rc1; sent to stable): "This is an ancient bug that was
# actually attempted to be fixed once (badly) by me eleven years ago in commit
# 4ceb5db9757a ("Fix get_user_pages() race for write access") but that was then undone
# due to problems on s390 by commit f33ea7f404e5 ("fix get_user_pages bug"). ... To fix
# it, we introduce a new internal FOLL_COW flag to mark the "yes, we already did a COW"
# rather than play racy games with FOLL_WRITE that is very fundamental, and then use the
# pte dirty flag to validate that the FOLL_COW flag is still valid."
# The race of 2005: Robin Holt, linux-mm, 2005-07-30: "I believe I have two processes
# calling get_user_pages at approximately the same time. One is calling with write=0.
# The other with write=1 and force=1. ... The readable pte gets inserted and results in
# the writer detecting the pte and returning VM_FAULT_MINOR. Upon return, the writer the
# does 'lookup_write = write && !force;' and then calls follow_page without having the
# write flag set." Linus, "Re: [patch 2.6.13-rc4] fix get_user_pages bug", 2005-08-01:
# the old code "used "force" to _clear_ the write bit test, and that was what caused the
# race in the first place - next time around we would accept a non-writable page, even
# if it hadn't actually gotten COW'ed." 4ceb5db9757a "Fix get_user_pages() race for write
# access" (Linus, 2005-08-01) made follow_page "require that a writable follow has the
# dirty bit set"; f33ea7f404e5 "[PATCH] fix get_user_pages bug" (Hugh Dickins and Nick
# Piggin, 2005-08-03, 2.6.13) went back to pte_write and made "do_wp_page pass back a
# special extra VM_FAULT_WRITE bit to say it has done its full job: once get_user_pages
# receives this value, it no longer requires pte_write": if the COW copy is zapped
# before the lookup (madvise(MADV_DONTNEED)), the read lookup faults the file's page
# back in read-only and returns it. That is Dirty COW, from 2.6.13 to v4.8.
# Kernel: v4.8 mm/gup.c __get_user_pages / follow_page_pte / faultin_page (2.6.12's and
# 2.6.13-rc5's get_user_pages / follow_page in mm/memory.c for KERNEL 0 and 1),
# mm/memory.c handle_pte_fault / do_fault (do_read_fault, do_cow_fault, alloc_set_pte) /
# do_wp_page (wp_page_reuse, wp_page_copy) / zap_pte_range, mm/madvise.c
# madvise_dontneed, __access_remote_vm (the write of /proc/PID/mem, mem_rw).
#
# Three threads of one process, as in the exploit plus the reader of Robin Holt's
# report: `gup` writes to /proc/self/mem at the address of a private read-only mapping
# of a file (get_user_pages with write=1, force=1), `madvise` loops
# madvise(MADV_DONTNEED) on the page (zaps the pte), and `reader` reads the page (a read
# fault, or a get_user_pages with write=0, maps the file's page read-only). KERNEL says
# which get_user_pages runs:
#  - 0 (2.6.12 and before): after each fault "lookup_write = write && !force;", so a
#    forced write looks up as a read even where the fault backed out without a COW
#    (the reader's pte came first): the file's page is written.
#  - 1 (4ceb5db9757a, 2.6.13-rc5): the lookup stays a write and wants pte_dirty instead
#    of pte_write ("if (write && !pte_dirty(pte)) goto out;").
#  - 2 (f33ea7f404e5, 2.6.13, to v4.8): FOLL_WRITE is dropped when the fault says it
#    broke COW (VM_FAULT_WRITE), and the lookup wants pte_write: Dirty COW.
#  - 3 (19be0eaffa3a, v4.9-rc1 and stable): FOLL_COW, and a forced write follows a
#    read-only pte only if it is dirty (can_follow_write_pte).
#  - 4 (8310d48b125d "mm/huge_memory.c: respect FOLL_FORCE/FOLL_COW for thp", Keno
#    Fischer, v4.10, to v4.14): the page is a transparent huge page, the huge zero page
#    of the exploit (the entry is the pmd), and can_follow_write_pmd is the same test;
#    but a read lookup's touch_pmd makes the pmd dirty: "_pmd = pmd_mkyoung(
#    pmd_mkdirty(*pmd));". The huge Dirty COW, CVE-2017-1000405, when the reader reads
#    /proc/self/mem (a FOLL_TOUCH lookup) after the zap.
#  - 5 (a8f97366452e "mm, thp: Do not make page table dirty unconditionally in
#    touch_p[mu]d()", Kirill A. Shutemov, 2017-11-27, v4.15-rc2 and stable): "_pmd =
#    pmd_mkyoung(*pmd); if (flags & FOLL_WRITE) _pmd = pmd_mkdirty(_pmd);".
# READER=false leaves the reader out: the exploit's two threads.
#
# Abstractions (docs/races/dirty_cow.md says what each hides):
#  - One page of a private (MAP_PRIVATE), read-only mapping of a file, never VM_WRITE:
#    maybe_mkwrite never sets pte_write, so the pte maps nothing, the file's page cache
#    page (read-only, clean: only a read fault maps it) or the private COW copy (read-only,
#    dirty: do_cow_fault and do_wp_page map it with pte_mkdirty). Copies are one page:
#    a write to any copy is the process's own. With a THP (KERNEL 4, 5) the entry is the
#    pmd and `file_page` the huge zero page that a read fault of the exploit's private
#    read-only anonymous mapping maps (a page no process may write, as the file's).
#  - Each step that reads or writes the pte is one atomic step, as under the pte lock.
#    A fault is two: handle_pte_fault's lockless read of the pte, then the fault's work
#    under the pte lock with its recheck (alloc_set_pte's pte_none, pte_same in
#    handle_pte_fault and wp_page_copy, folded into one); faultin_page's flag games are
#    local and end that step. The pte dirty bit is a field, the pte_same of a fault
#    compares what the pte maps (its dirty bit follows from that here).
#  - The fault handlers are v4.8's for every KERNEL: 2.6.12's do_no_page ("One of our
#    sibling threads was faster, back out.") and do_wp_page take the same steps, and so,
#    for KERNEL 4 and 5, do the huge page's (do_huge_pmd_anonymous_page,
#    do_huge_pmd_wp_page, however it makes the copy): a copy mapped dirty, the huge zero
#    page clean.
#  - One get_user_pages of one page; page references, the mmap_sem, the page lock, the
#    data written and writeback of the file (what makes the write reach the disk) are
#    left out: "written" is GUP's write reaching the page, which the kernel then dirties.
#  - Sequentially consistent.

spec DirtyCow

const KERNEL : 0..5 = 2     # 0: 2.6.12 (lookup_write = write && !force); 1: 4ceb5db9757a
                            # (pte_dirty); 2: f33ea7f404e5 to v4.8 (FOLL_WRITE dropped on
                            # VM_FAULT_WRITE); 3: 19be0eaffa3a (FOLL_COW + pte_dirty);
                            # a THP: 4: 8310d48b125d (touch_pmd dirties a read's pmd);
                            # 5: a8f97366452e (only a write's)
const READER = true         # a thread of the process reads the page (a read fault)

type Mapping = enum { unmapped, file_page, cow_page }
type Pte = record { map: Mapping, dirty: bool }

var pte : Pte = { map: unmapped, dirty: false }   # mmap'ed, not yet touched
var file_written : bool = false   # GUP's write reached the file's page cache page
var copy_written : bool = false   # ... the process's private COW copy

# follow_page_pte on a present pte, for a write lookup. v4.8: "if ((flags & FOLL_WRITE)
# && !pte_write(pte)) { pte_unmap_unlock(ptep, ptl); return NULL; }" (pte_write is never
# set here). 4ceb5db9757a: "if (write && !pte_dirty(pte)) goto out;". 19be0eaffa3a:
# "if ((flags & FOLL_WRITE) && !can_follow_write_pte(pte, flags)) {", where
# can_follow_write_pte is "return pte_write(pte) || ((flags & FOLL_FORCE) && (flags &
# FOLL_COW) && pte_dirty(pte));" (mem_write's get_user_pages has FOLL_FORCE).
# 8310d48b125d, in follow_trans_huge_pmd: can_follow_write_pmd, "return pmd_write(pmd)
# || ((flags & FOLL_FORCE) && (flags & FOLL_COW) && pmd_dirty(pmd));".
def can_follow_write(foll_cow) =
  if KERNEL == 1 then pte.dirty
  else if KERNEL >= 3 then foll_cow and pte.dirty
  else false

# faultin_page, once handle_mm_fault returns; vm_fault_write is its VM_FAULT_WRITE bit.
# 2.6.12 get_user_pages: "lookup_write = write && !force;" (force is 1). 4ceb5db9757a:
# the line is gone. v4.8: "if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE))
# *flags &= ~FOLL_WRITE;". 19be0eaffa3a: "... *flags |= FOLL_COW;".
macro faultin_page(vm_fault_write) {
  if KERNEL == 0 {
    foll_write := false
  } else if KERNEL == 2 and vm_fault_write {
    foll_write := false
  } else if KERNEL >= 3 and vm_fault_write {
    foll_cow := true
  }
}

# The write of /proc/self/mem: mem_rw -> access_remote_vm -> __access_remote_vm, which
# gets the page with get_user_pages(write=1, force=1) and writes into it.
process gup {
  var foll_write : bool = true     # FOLL_WRITE (2.6.12: lookup_write)
  var foll_cow : bool = false      # FOLL_COW (19be0eaffa3a)
  var orig : Mapping = unmapped    # the pte handle_pte_fault read (orig_pte)
  var page : Mapping = unmapped    # the page follow_page_mask returned
# __get_user_pages: "retry: ... page = follow_page_mask(vma, start, foll_flags,
# &page_mask); if (!page) { ... ret = faultin_page(tsk, vma, start, &foll_flags,
# nonblocking); switch (ret) { case 0: goto retry;". follow_page_pte, under the pte
# lock: a pte that is not present is "goto no_page;"; one it follows is the page,
# "if (flags & FOLL_GET) get_page(page);".
follow_page_mask:
  if pte.map == unmapped { goto handle_pte_fault }
  if foll_write and not can_follow_write(foll_cow) { goto handle_pte_fault }
  page := pte.map
  goto access_remote_vm
# faultin_page: "if (*flags & FOLL_WRITE) fault_flags |= FAULT_FLAG_WRITE;" (2.6.12 and
# 4ceb5db9757a: "handle_mm_fault(mm,vma,start,write)", always a write), then
# handle_pte_fault: "entry = *fe->pte;" without the pte lock; "if (!fe->pte) { ...
# return do_fault(fe); }"; a present pte, for a write: "if (!pte_write(entry)) return
# do_wp_page(fe, entry);"; for a read: "entry = pte_mkyoung(entry);", no fault to handle.
handle_pte_fault:
  orig := pte.map
  if orig == unmapped { goto do_fault }
  if KERNEL <= 1 or foll_write { goto do_wp_page }
  faultin_page(false)
  goto follow_page_mask
# do_fault: "if (!(fe->flags & FAULT_FLAG_WRITE)) return do_read_fault(fe, pgoff); if
# (!(vma->vm_flags & VM_SHARED)) return do_cow_fault(fe, pgoff);". Both end in
# alloc_set_pte: "/* Re-check under ptl */ if (unlikely(!pte_none(*fe->pte))) return
# VM_FAULT_NOPAGE;" then "if (write) entry = maybe_mkwrite(pte_mkdirty(entry), vma);":
# the COW copy is mapped dirty, the file's page clean. Neither returns VM_FAULT_WRITE.
do_fault:
  if pte.map == unmapped {
    if KERNEL <= 1 or foll_write {
      pte := { map: cow_page, dirty: true }
    } else {
      pte := { map: file_page, dirty: false }
    }
  }
  faultin_page(false)
  goto follow_page_mask
# handle_pte_fault, under the pte lock: "if (unlikely(!pte_same(*fe->pte, entry)))
# goto unlock;" (0). do_wp_page: the COW copy (PageAnon, mapped once) is reused,
# "return wp_page_reuse(fe, orig_pte, old_page, 0, 0);", which maps it "maybe_mkwrite(
# pte_mkdirty(entry), vma)" and returns VM_FAULT_WRITE; the file's page is copied,
# "return wp_page_copy(fe, orig_pte, old_page);", which rechecks "if (likely(pte_same(
# *fe->pte, orig_pte))) {", maps the copy "maybe_mkwrite(pte_mkdirty(entry), vma)" and
# "return page_copied ? VM_FAULT_WRITE : 0;".
do_wp_page:
  if pte.map == orig {
    pte := { map: cow_page, dirty: true }
    faultin_page(true)
  } else {
    faultin_page(false)
  }
  goto follow_page_mask
# __access_remote_vm: "copy_to_user_page(vma, page, addr, maddr + offset, buf, bytes);
# set_page_dirty_lock(page);" into the page get_user_pages returned.
access_remote_vm:
  if page == file_page { file_written := true } else { copy_written := true }
}

# madvise(MADV_DONTNEED) in a loop: madvise_dontneed -> zap_page_range -> zap_pte_range,
# under the pte lock: "ptent = ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm);".
process madvise {
zap_pte_range:
  pte := { map: unmapped, dirty: false }
  goto zap_pte_range
}

# A thread of the process reads the page, again and again: a read fault on a pte_none
# maps the file's page read-only, clean (do_read_fault -> alloc_set_pte, "if
# (unlikely(!pte_none(*fe->pte))) return VM_FAULT_NOPAGE;" where it is mapped already).
# With a THP (KERNEL 4 and 5) the reader reads /proc/self/mem: a get_user_pages without
# FOLL_WRITE, whose read fault on a pmd_none maps the huge zero page and whose lookup of a
# present pmd is follow_trans_huge_pmd's "if (flags & FOLL_TOUCH) touch_pmd(vma, addr,
# pmd);", which until a8f97366452e makes it dirty.
process reader {
do_read_fault:
  await READER
  if pte.map == unmapped {
    pte := { map: file_page, dirty: false }
  } else if KERNEL == 4 {
    pte.dirty := true
  }
  goto do_read_fault
}

# "a read-only file page is never written through GUP"
invariant FilePageNeverWritten: not file_written

# The write completes, into the private copy; and the setups of both races are
# reachable after the fix too: the reader's pte between a fault's read of the pte and
# its recheck, and (with FOLL_COW, so KERNEL >= 3) the COW copy zapped once the fault
# said it broke COW.
cover CopyWritten: done(gup) and copy_written
cover ReaderMappedUnderFault: at(gup, do_fault) and pte.map == file_page
cover CopyZappedAfterCow: gup.foll_cow and pte.map == unmapped and at(gup, follow_page_mask)

# Lemmas, assumed and proved by `mmcheck prove` (checked by `check --lemmas`), which make
# FilePageNeverWritten inductive with 4ceb5db9757a, 19be0eaffa3a and a8f97366452e: only
# a fault's COW copy is mapped dirty (with touch_pmd, 8310d48b125d, only without the
# reader's lookups); a forced write stays a write lookup; so the page it follows and
# writes is the copy.
lemma DirtyIsCopy: KERNEL != 4 or not READER => pte.dirty == (pte.map == cow_page)
lemma WriteKept: KERNEL == 1 or KERNEL >= 3 => gup.foll_write
# Without the reader only GUP's own faults map the page, and they are write faults (COW)
# unless v4.8 dropped FOLL_WRITE: 2.6.12's handle_mm_fault is always a write, and from
# 19be0eaffa3a FOLL_WRITE is kept. So the file's (or huge zero) page is never mapped,
# and in 2.6.12 and 8310d48b125d too GUP writes only the copy.
lemma NoFileMapped: not READER and KERNEL != 2 => pte.map != file_page
lemma WritesCopy: KERNEL == 1 or KERNEL == 3 or KERNEL == 5 or (not READER and KERNEL != 2)
  => (at(gup, access_remote_vm) => gup.page == cow_page)

# Every kernel, with and without the reader. 2.6.12 needs the reader (its faults are
# always writes); Dirty COW needs only madvise; both fixes hold either way. The huge
# Dirty COW needs the reader's touch_pmd; a8f97366452e holds.
expect KERNEL=0: violates FilePageNeverWritten in 6 steps
expect KERNEL=0, READER=false: holds with 11 states, covers CopyWritten
expect KERNEL=1: holds with 26 states, covers CopyWritten, ReaderMappedUnderFault
expect KERNEL=1, READER=false: holds with 8 states, covers CopyWritten
expect KERNEL=2: violates FilePageNeverWritten in 8 steps
expect KERNEL=2, READER=false: violates FilePageNeverWritten in 12 steps
expect KERNEL=3: holds with 58 states, covers CopyWritten, ReaderMappedUnderFault, CopyZappedAfterCow
expect KERNEL=3, READER=false: holds with 24 states, covers CopyWritten, CopyZappedAfterCow
expect KERNEL=4: violates FilePageNeverWritten in 9 steps
expect KERNEL=4, READER=false: holds with 24 states, covers CopyWritten, CopyZappedAfterCow
expect KERNEL=5: holds with 58 states, covers CopyWritten, ReaderMappedUnderFault, CopyZappedAfterCow
expect KERNEL=5, READER=false: holds with 24 states, covers CopyWritten, CopyZappedAfterCow

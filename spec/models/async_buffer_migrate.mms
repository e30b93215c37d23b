# Migrating a dirty page-cache page with buffers without blocking: mm/migrate.c of v3.3,
# where b969c4ab9f18 ("mm: compaction: determine if dirty pages can be migrated without
# blocking within ->migratepage") lets MIGRATE_ASYNC migrate such pages, against what
# came before it and against the design its comment rules out.
#
# Seed 002 (linux-mm): Mel Gorman, 2011-12-16, replying to Andrew Morton on "mm:
# compaction: Determine if dirty pages can be migrated without blocking within
# ->migratepage". The patch's comment: "In the async migration case of moving a page
# with buffers, lock the buffers using trylock before the mapping is moved. If the
# mapping was moved, we later failed to lock the buffers and could not move the mapping
# back due to an elevated page count, we would have to block waiting on other references
# to be dropped." Andrew: "I'm rather worried about its interactions with ext3 journal
# commit which locks buffers then plays with them while leaving the page unlocked." Mel:
# "The critical part is that the copying of buffer data is happening with both page and
# buffer locks held and no other references to the page exists".
#
# DESIGN selects the code:
#   0  v3.2, before b969c4ab9f18: move_to_new_page() gives up on the dirty page in async
#      mode, "if (PageDirty(page) && !sync && mapping->a_ops->migratepage !=
#      migrate_page) rc = -EBUSY"; sync mode locks the buffers after the mapping moved.
#      No blocking, and no migration either (cover Migrated is never reached).
#   1  the design the comment rules out, which never shipped: async trylocks the buffers
#      where sync locks them, after the mapping moved, and backs out by moving the mapping
#      back, which needs the new page's count frozen; a lookup that found the new page in
#      the slot holds a reference, so async "would have to block".
#   2  b969c4ab9f18 as merged (v3.3, with mode for sync): async trylocks every buffer
#      under the tree_lock while the old page's count is frozen, before the slot moves,
#      and on a busy buffer unlocks the ones it took, unfreezes and returns -EAGAIN.
#
# Abstractions (docs/races/async_buffer_migrate.md says what each hides):
#  - One page-cache page of an ext3 file (a_ops->migratepage == buffer_migrate_page),
#    isolated from the LRU (the isolation reference), not mapped (try_to_unmap has
#    nothing to do), not under writeback, dirty, with BUFS dirty buffers; the page lock
#    is not contended (no modelled path takes it), so trylock_page() succeeds.
#  - Buffer head refcounts (get_bh/put_bh) are not modelled: nothing here frees a buffer.
#  - The jbd commit is journal_submit_data_buffers() (ordered mode) on one buffer each:
#    it locks a dirty buffer, clears its dirty bit, builds the bio from bh->b_page
#    (submit_bh) and unlocks at I/O completion. Other buffer-lock holders are not modelled.
#  - A lookup is find_get_page() (lockless, page_cache_get_speculative) as a read(2)
#    does it, whose caller holds the reference for a while, then page_cache_release().
#  - "Would block" is a state: async migration at a wait whose condition is false.
#  - -EAGAIN ends the model: migrate_pages() would retry the page on its next pass.

spec AsyncBufferMigrate

const DESIGN : 0..2 = 2     # 0: v3.2; 1: trylock after the move (never shipped); 2: v3.3
const ASYNC = true          # MIGRATE_ASYNC (async compaction); false: MIGRATE_SYNC
const BUFS : 1..3 = 2       # buffer heads on the page
const JOURNALS : 1..3 = 1   # journal commits, each writing one buffer

type Buf = 1..BUFS
type Journal = symmetric 1..JOURNALS
# the page being migrated, and the one compaction_alloc() returned for it
type PageId = enum { page, newpage }
# unmap_and_move()'s result
type Rc = enum { rc_none, rc_success, rc_eagain, rc_ebusy }

type Page = record {
  count: 0..5,      # page->_count
  locked: bool,     # PG_locked
  dirty: bool,      # PG_dirty
  private: bool     # PG_private: page->private is the buffer ring (page_has_buffers)
}

# The old page: the page cache's reference, the isolation reference and PagePrivate's.
# The new page: the reference compaction_alloc() hands over.
var pages : [PageId] -> Page = [p in PageId |->
  if p == page then { count: 3, locked: false, dirty: true, private: true }
  else { count: 1, locked: false, dirty: false, private: false }]
var slot : PageId = page                         # the mapping's radix tree slot
var b_page : [Buf] -> PageId = [b in Buf |-> page]   # bh->b_page
var b_dirty : [Buf] -> bool = [b in Buf |-> true]   # BH_Dirty
var buffers : PageId = page      # the page whose page->private is the buffer ring
lock tree_lock                  # mapping->tree_lock (spin_lock_irq)
lock bh_lock : [Buf]            # BH_Lock (lock_buffer / trylock_buffer / unlock_buffer)

process migrate {
  var rc : Rc = rc_none
  var ok : bool = false
  var i : Buf = 1               # the buffer buffer_migrate_lock_buffers() is at
  var k : Buf = 1               # its rollback's position

__unmap_and_move:
  # "if (!trylock_page(page)) { if (!force || mode == MIGRATE_ASYNC) goto out; ...
  # lock_page(page); }": nothing else locks the page here, so both succeed
  lock_page(pages[page])

move_to_new_page:
  # "if (!trylock_page(newpage)) BUG();" then newpage->index, ->mapping. v3.2 also has
  # "if (PageDirty(page) && !sync && mapping->a_ops->migratepage != migrate_page)
  # rc = -EBUSY;" before calling ->migratepage, buffer_migrate_page() here.
  lock_page(pages[newpage])
  if DESIGN == 0 and ASYNC and pages[page].dirty { rc := rc_ebusy; goto unlock_page }

migrate_page_move_mapping:
  # spin_lock_irq(&mapping->tree_lock); "expected_count = 2 + page_has_private(page);
  # if (page_count(page) != expected_count || radix_tree_deref_slot_protected(pslot,
  # &mapping->tree_lock) != page) { spin_unlock_irq(...); return -EAGAIN; }
  # if (!page_freeze_refs(page, expected_count)) { ... return -EAGAIN; }"
  spin_lock(tree_lock)
  ok := pages[page].count == 3 and slot == page
  if ok { ok := page_freeze_refs(pages[page], 3) }
  if not ok {
    spin_unlock(tree_lock)
    rc := rc_eagain
    goto unlock_page
  }
  # b969c4ab9f18: "if (mode == MIGRATE_ASYNC && head &&
  # !buffer_migrate_lock_buffers(head, mode))": the trylocks happen right here
  if DESIGN == 2 and ASYNC { goto trylock_buffer }

radix_tree_replace_slot:
  # "get_page(newpage); /* add cache reference */ ... radix_tree_replace_slot(pslot,
  # newpage); page_unfreeze_refs(page, expected_count - 1); ...
  # spin_unlock_irq(&mapping->tree_lock);": no turning back from here
  get_page(pages[newpage])
  slot := newpage
  page_unfreeze_refs(pages[page], 2)
  spin_unlock(tree_lock)
  # buffer_migrate_page(): "In the async case, migrate_page_move_mapping locked the
  # buffers with an IRQ-safe spinlock held. In the sync case, the buffers need to be
  # locked now"; DESIGN=1 trylocks them here in async mode
  if DESIGN == 2 and ASYNC { goto ClearPagePrivate }
  else if DESIGN == 1 and ASYNC { goto trylock_buffer }

lock_buffer:
  # buffer_migrate_lock_buffers(), sync: "do { get_bh(bh); lock_buffer(bh); bh =
  # bh->b_this_page; } while (bh != head); return true;" (v3.2: the same loop inline in
  # buffer_migrate_page()); lock_buffer() sleeps while another holder has it
  lock bh_lock[i]
  if i < BUFS { i := i + 1; goto lock_buffer }
  # v3.3: "if (mode != MIGRATE_ASYNC) BUG_ON(!buffer_migrate_lock_buffers(head, mode));"
  if DESIGN != 0 {
    assert forall b in Buf: held(bh_lock[b]), "BUG_ON(!buffer_migrate_lock_buffers(head, mode))"
  }
  goto ClearPagePrivate

trylock_buffer:
  # buffer_migrate_lock_buffers(), async: "do { get_bh(bh); if (!trylock_buffer(bh)) {
  # ... } bh = bh->b_this_page; } while (bh != head); return true;"
  if trylock(bh_lock[i]) {
    if i < BUFS { i := i + 1; goto trylock_buffer }
    else if DESIGN == 2 { goto radix_tree_replace_slot }
    else { goto ClearPagePrivate }
  } else if i == 1 {
    goto buffers_busy
  }

unlock_taken_buffer:
  # "struct buffer_head *failed_bh = bh; put_bh(failed_bh); bh = head; while (bh !=
  # failed_bh) { unlock_buffer(bh); put_bh(bh); bh = bh->b_this_page; } return false;"
  unlock bh_lock[k]
  if k + 1 < i { k := k + 1; goto unlock_taken_buffer }

buffers_busy:
  # v3.3: "page_unfreeze_refs(page, expected_count); spin_unlock_irq(&mapping->tree_lock);
  # return -EAGAIN;"; DESIGN=1 must first move the mapping back
  if DESIGN == 1 { goto move_mapping_back }
  page_unfreeze_refs(pages[page], 3)
  spin_unlock(tree_lock)
  rc := rc_eagain
  goto unlock_page

move_mapping_back:
  # never shipped: migrate_page_move_mapping() in reverse. Taking the slot back from
  # the new page needs its count frozen at what migration accounts for (its own and the
  # cache's): "could not move the mapping back due to an elevated page count, we would
  # have to block waiting on other references to be dropped"
  spin_lock(tree_lock)
  await page_freeze_refs(pages[newpage], 2)
  get_page(pages[page])
  slot := page
  page_unfreeze_refs(pages[newpage], 1)
  spin_unlock(tree_lock)
  rc := rc_eagain
  goto unlock_page

ClearPagePrivate:
  # buffer_migrate_page(): "ClearPagePrivate(page); set_page_private(newpage,
  # page_private(page)); set_page_private(page, 0); put_page(page); get_page(newpage);"
  pages[page].private := false
  buffers := newpage
  put_page(pages[page])
  get_page(pages[newpage])
  i := 1

set_bh_page:
  # "bh = head; do { set_bh_page(bh, newpage, bh_offset(bh)); bh = bh->b_this_page; }
  # while (bh != head);"
  b_page[i] := newpage
  if i < BUFS { i := i + 1; goto set_bh_page }

migrate_page_copy:
  # "SetPagePrivate(newpage); migrate_page_copy(newpage, page);" (which carries
  # PG_dirty over)
  assert (forall b in Buf: held(bh_lock[b])) and pages[page].locked and pages[newpage].locked,
    "buffers copied without the page and buffer locks"
  pages[newpage].private := true
  pages[newpage].dirty := pages[page].dirty
  pages[page].dirty := false
  i := 1

unlock_buffer:
  # "bh = head; do { unlock_buffer(bh); put_bh(bh); bh = bh->b_this_page; } while (bh
  # != head); return 0;"
  unlock bh_lock[i]
  if i < BUFS { i := i + 1; goto unlock_buffer }
  rc := rc_success

unlock_page:
  # move_to_new_page(): unlock_page(newpage); __unmap_and_move(): unlock_page(page)
  unlock_page(pages[newpage])
  unlock_page(pages[page])

putback_lru_page:
  # unmap_and_move(): "if (rc != -EAGAIN) { list_del(&page->lru); ...
  # putback_lru_page(page); } ... putback_lru_page(newpage);" (-EAGAIN keeps the old
  # page isolated for the next pass)
  if rc != rc_eagain { put_page(pages[page]) }
  put_page(pages[newpage])
}

# fs/jbd/commit.c journal_submit_data_buffers() on buffer b (ext3 data=ordered)
symmetric process journal[self in Journal] {
  var b : Buf in Buf
  var io : PageId = page         # the page the bio was built from

lock_buffer:
  # "if (buffer_dirty(bh)) { if (!trylock_buffer(bh)) { ... lock_buffer(bh); ... }
  # locked = 1; }" then "if (locked && test_clear_buffer_dirty(bh))"
  if not b_dirty[b] { goto Done }
  lock bh_lock[b]
  if not b_dirty[b] { goto unlock_buffer }
  b_dirty[b] := false

submit_bh:
  # journal_do_submit_data() -> submit_bh(): "bio->bi_io_vec[0].bv_page = bh->b_page;"
  # read with only the buffer lock held, the page unlocked (Andrew Morton's worry)
  io := b_page[b]

unlock_buffer:
  # end_buffer_write_sync(): the I/O is done; "unlock_buffer(bh); put_bh(bh);"
  unlock bh_lock[b]
}

# find_get_page() from a read(2), then page_cache_release() when done with the page
process lookup {
  var p : PageId = page

find_get_page:
  # "pagep = radix_tree_lookup_slot(&mapping->page_tree, offset); ... page =
  # radix_tree_deref_slot(pagep);" under rcu_read_lock() only
  p := slot

page_cache_get_speculative:
  # "if (!page_cache_get_speculative(page)) goto repeat;": fails on a frozen page
  if not get_page_unless_zero(pages[p]) { goto find_get_page }

recheck_slot:
  # "if (unlikely(page != *pagep)) { page_cache_release(page); goto repeat; }"
  if slot != p {
    put_page(pages[p])
    goto find_get_page
  }

page_cache_release:
  put_page(pages[p])
}

# "MIGRATE_ASYNC means never block" (include/linux/migrate_mode.h, v3.3): async
# migration is never at a wait whose condition is false
def would_block =
  (at(migrate, lock_buffer) and locked(bh_lock[migrate.i]))
  or (at(migrate, move_mapping_back) and pages[newpage].count != 2)
invariant AsyncNeverBlocks: ASYNC => not would_block

# Andrew Morton's worry: the journal builds its bio from bh->b_page with the buffer
# lock held and the page unlocked. While its write is in flight, bh->b_page is the page
# that owns the buffers: migration cannot move them under it.
invariant JournalWritesTheBuffersPage:
  forall j in Journal:
    at(journal[j], unlock_buffer) => journal[j].io == b_page[journal[j].b] and journal[j].io == buffers

cover Migrated: migrate.rc == rc_success
cover GaveUpDirty: migrate.rc == rc_ebusy
# b969c4ab9f18's rollback: a trylock failed after an earlier one succeeded
cover PartialRollback: at(migrate, unlock_taken_buffer)
cover JournalAfterMigration: exists j in Journal: at(journal[j], unlock_buffer) and journal[j].io == newpage

# Lemmas for `mmcheck prove`: what each label means for the locks, the buffers and the
# two pages' counts. They hold in every design; the explorer checks them with --lemmas.
def frozen = at(migrate, radix_tree_replace_slot)
  or (DESIGN == 2 and (at(migrate, trylock_buffer) or at(migrate, unlock_taken_buffer)
                       or at(migrate, buffers_busy)))
def mig_holds(b) =
  ((at(migrate, trylock_buffer) or at(migrate, lock_buffer)) and b < migrate.i)
  or (at(migrate, unlock_taken_buffer) and migrate.k <= b and b < migrate.i)
  or (at(migrate, radix_tree_replace_slot) and DESIGN == 2 and ASYNC)
  or at(migrate, ClearPagePrivate) or at(migrate, set_bh_page) or at(migrate, migrate_page_copy)
  or (at(migrate, unlock_buffer) and b >= migrate.i)
def moved = at(migrate, set_bh_page) or at(migrate, migrate_page_copy)
  or at(migrate, unlock_buffer) or migrate.rc == rc_success
def ending = at(migrate, unlock_page) or at(migrate, putback_lru_page)
def lref(q) = if (at(lookup, recheck_slot) or at(lookup, page_cache_release)) and lookup.p == q then 1 else 0
def old_base =
  if at(migrate, __unmap_and_move) or at(migrate, move_to_new_page)
     or at(migrate, migrate_page_move_mapping) then 3
  else if frozen then 0
  else if at(migrate, trylock_buffer) or at(migrate, unlock_taken_buffer)
     or at(migrate, buffers_busy) or at(migrate, move_mapping_back)
     or at(migrate, lock_buffer) or at(migrate, ClearPagePrivate) then 2
  else if at(migrate, set_bh_page) or at(migrate, migrate_page_copy)
     or at(migrate, unlock_buffer) then 1
  else if migrate.rc == rc_success then (if ending then 1 else 0)
  else if migrate.rc == rc_eagain then 3
  else if ending then 3 else 2
def new_base =
  if at(migrate, __unmap_and_move) or at(migrate, move_to_new_page)
     or at(migrate, migrate_page_move_mapping) or frozen then 1
  else if at(migrate, trylock_buffer) or at(migrate, unlock_taken_buffer)
     or at(migrate, buffers_busy) or at(migrate, move_mapping_back)
     or at(migrate, lock_buffer) or at(migrate, ClearPagePrivate) then 2
  else if at(migrate, set_bh_page) or at(migrate, migrate_page_copy)
     or at(migrate, unlock_buffer) then 3
  else if migrate.rc == rc_success then (if ending then 3 else 2)
  else if ending then 1 else 0

lemma TreeLock: (locked(tree_lock) <=> frozen) and (locked(tree_lock) => holder(tree_lock) == migrate)
lemma MigrateBufferLocks: forall b in Buf: holder(bh_lock[b]) == migrate <=> mig_holds(b)
lemma Rollback: at(migrate, unlock_taken_buffer) => migrate.k < migrate.i
lemma Cursors:
  (at(migrate, __unmap_and_move) or at(migrate, move_to_new_page)
   or at(migrate, migrate_page_move_mapping)
   or (at(migrate, radix_tree_replace_slot) and not (DESIGN == 2 and ASYNC))
   => migrate.i == 1)
  and (at(migrate, __unmap_and_move) or at(migrate, move_to_new_page)
       or at(migrate, migrate_page_move_mapping) or at(migrate, radix_tree_replace_slot)
       or at(migrate, trylock_buffer) => migrate.k == 1)
lemma Result: migrate.rc == rc_none <=> not (ending or done(migrate))
lemma JournalBufferLocks:
  forall j in Journal, b in Buf:
    holder(bh_lock[b]) == journal[j]
      <=> (at(journal[j], submit_bh) or at(journal[j], unlock_buffer)) and b == journal[j].b
# a journal between locking its buffer and the I/O's completion holds that buffer's
# lock, so migration is at none of the labels where it holds it
lemma JournalBufferNotMigrating:
  forall j in Journal:
    at(journal[j], submit_bh) or at(journal[j], unlock_buffer) => not mig_holds(journal[j].b)
lemma BuffersOwner: buffers == (if moved then newpage else page)
lemma BhPage:
  forall b in Buf: b_page[b] == (if at(migrate, set_bh_page) and b >= migrate.i then page else buffers)
lemma PageLocks:
  (pages[page].locked <=> not (at(migrate, __unmap_and_move) or at(migrate, putback_lru_page) or done(migrate)))
  and (pages[newpage].locked <=> pages[page].locked and not at(migrate, move_to_new_page))
lemma OldCount: pages[page].count == old_base + lref(page) and (frozen => lref(page) == 0)
lemma NewCount: pages[newpage].count == new_base + lref(newpage)
lemma AsyncTrylocks:
  ASYNC => (DESIGN != 0 => not at(migrate, lock_buffer)) and (DESIGN != 1 => not at(migrate, move_mapping_back))
lemma AsyncGivesUp:
  ASYNC and DESIGN == 0 => pages[page].dirty
    and (at(migrate, __unmap_and_move) or at(migrate, move_to_new_page) or migrate.rc == rc_ebusy)
lemma SyncLocks:
  not ASYNC => not (at(migrate, trylock_buffer) or at(migrate, unlock_taken_buffer)
                    or at(migrate, buffers_busy) or at(migrate, move_mapping_back))

# v3.2: async compaction gives up on the dirty page (-EBUSY) and never migrates it
# (Migrated is not reached: tests/test_models.py checks it); sync mode migrates it,
# locking the buffers after the move, where it may block
expect DESIGN=0: holds with 200 states, covers GaveUpDirty
expect DESIGN=0, ASYNC=false: holds with 784 states, covers Migrated, JournalAfterMigration
# the design ruled out: the mapping has moved, a journal holds a buffer, a lookup holds
# the new page, and the way back waits for that reference
expect DESIGN=1: violates AsyncNeverBlocks in 9 steps
expect DESIGN=1, JOURNALS=2: violates AsyncNeverBlocks in 9 steps
expect DESIGN=1, ASYNC=false: holds with 784 states
# b969c4ab9f18 (v3.3): async migrates the dirty page or backs out before the move
expect DESIGN=2: holds with 819 states, covers Migrated, PartialRollback, JournalAfterMigration
expect DESIGN=2, JOURNALS=2: holds with 3186 states, covers Migrated, PartialRollback
expect DESIGN=2, BUFS=3: holds with 1401 states, covers Migrated, PartialRollback
expect DESIGN=2, BUFS=1: holds with 352 states, covers Migrated
expect DESIGN=2, ASYNC=false: holds with 784 states, covers Migrated, JournalAfterMigration

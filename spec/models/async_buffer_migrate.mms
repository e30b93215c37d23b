# Async migration of a page with buffers must trylock the buffers before the mapping moves.
#
# Seed 002 (linux-mm): Mel Gorman, 2011-12-16, replying to
# Andrew Morton on "mm: compaction: Determine if dirty pages can be migrated without
# blocking within ->migratepage": "In the async migration case of moving a page with
# buffers, lock the buffers using trylock before the mapping is moved. If the mapping
# was moved, we later failed to lock the buffers and could not move the mapping back due
# to an elevated page count, we would have to block waiting on other references to be
# dropped." and "The critical part is that the copying of buffer data is happening with
# both page and buffer locks held and no other references to the page exists". Kernel
# (3.3): mm/migrate.c buffer_migrate_page / migrate_page_move_mapping /
# buffer_migrate_lock_buffers, fs/jbd journal commit.
#
# Before the fix the buffers are locked only after migrate_page_move_mapping has
# replaced the radix tree slot and unfrozen the page count: past that point migration
# cannot back out, so if the journal holds a buffer lock, MIGRATE_ASYNC has to block on
# it. After the fix, MIGRATE_ASYNC trylocks the buffers under the tree_lock before the
# slot moves and backs out with -EAGAIN if one is busy. (Before the patch, async
# compaction skipped such dirty pages altogether, -EBUSY; FIXED=false is the ordering the
# patch's comment rules out: the buffers locked where the sync case locks them.)
#
# Abstractions:
#  - One page cache page with buffers (PagePrivate), already unmapped (try_to_unmap done)
#    and isolated; one buffer head, whose lock stands for all of the page's buffers.
#  - Page references are not modelled: with no racing lookup in the model, the expected
#    count check and page_freeze_refs in migrate_page_move_mapping always pass; what
#    matters here is where the buffer lock is taken relative to the point of no return.
#  - The journal commit ("locks buffers then plays with them while leaving the page
#    unlocked", Andrew Morton) takes the buffer lock and writes the buffer out.
#  - "Would block" is a state: async migration at a lock_buffer whose lock is held.

spec AsyncBufferMigrate

const FIXED = false          # true: MIGRATE_ASYNC trylocks the buffers before the move
const ASYNC = true           # MIGRATE_ASYNC (compaction for THP); false: MIGRATE_SYNC
const JOURNALS : 1..3 = 1    # journal commits writing the buffer

type Page = record { locked: bool }

var page : Page = { locked: false }       # the old page
var newpage : Page = { locked: false }
var slot_new : bool = false     # the radix tree slot points at newpage
var bh_on_new : bool = false    # the buffers are attached to newpage (b_page, private)
var failed : bool = false       # migration backed out (-EAGAIN)
lock tree_lock                  # mapping->tree_lock
lock bh_lock                    # the buffers' lock (lock_buffer / trylock_buffer)

process migrate {
# __unmap_and_move: trylock_page(page) (async) or lock_page, then lock the new page
unmap_and_move:
  lock_page(page)
  lock_page(newpage)
# migrate_page_move_mapping: under tree_lock, check the slot and the count, freeze it;
# FIXED and MIGRATE_ASYNC: "if (mode == MIGRATE_ASYNC && head &&
# !buffer_migrate_lock_buffers(head, mode))" unfreeze and return -EAGAIN; then
# radix_tree_replace_slot(newpage) and unfreeze: no turning back.
migrate_page_move_mapping:
  spin_lock(tree_lock)
  if FIXED and ASYNC {
    failed := not trylock(bh_lock)
  }
  if not failed { slot_new := true }
  spin_unlock(tree_lock)
  if failed {
    goto unlock_page
  } else {
    if FIXED and ASYNC { goto buffer_migrate_page }
  }
# buffer_migrate_page: "In the async case, migrate_page_move_mapping locked the buffers
# with an IRQ-safe spinlock held. In the sync case, the buffers need to be locked now":
# buffer_migrate_lock_buffers -> lock_buffer, which sleeps while the journal holds it.
buffer_migrate_lock_buffers:
  lock bh_lock
# buffer_migrate_page: move the buffers to newpage (set_bh_page, private), copy the page
# (migrate_page_copy), unlock the buffers
buffer_migrate_page:
  assert held(bh_lock) and page.locked and newpage.locked,
    "buffers moved without the page and buffer locks"
  bh_on_new := true
  unlock bh_lock
# __unmap_and_move: unlock both pages (and put back the old one, or the new on failure)
unlock_page:
  unlock_page(newpage)
  unlock_page(page)
}

# jbd journal commit: lock_buffer, submit the buffer for write, unlock when done.
symmetric process journal[self in 1..JOURNALS] {
# jbd journal commit (fs/jbd/commit.c, e.g. journal_submit_data_buffers): lock_buffer
lock_buffer:
  lock bh_lock
# submit_bh ... end_buffer_write_sync -> unlock_buffer
unlock_buffer:
  unlock bh_lock
}

# "Asynchronous compaction is used ... to avoid blocking": MIGRATE_ASYNC never waits for
# a buffer lock held by someone else.
invariant AsyncNeverBlocks:
  ASYNC and at(migrate, buffer_migrate_lock_buffers) => not locked(bh_lock)

expect FIXED=false: violates AsyncNeverBlocks in 3 steps
expect FIXED=true: holds with 18 states
# MIGRATE_SYNC may block on the buffer lock: nothing to fix there
expect FIXED=false, ASYNC=false: holds with 17 states
expect FIXED=true, ASYNC=false: holds with 17 states
expect FIXED=false, JOURNALS=3: violates AsyncNeverBlocks in 3 steps
expect FIXED=true, JOURNALS=3: holds with 44 states

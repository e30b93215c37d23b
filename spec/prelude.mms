# The prelude: kernel primitives, written in the language itself.
# Always included. A page is a record with at least the fields a primitive uses
# (`count` for the reference count, `locked` for PG_locked).

macro spin_lock(l)   { lock l }
macro spin_unlock(l) { unlock l }

macro lock_page(p) {
  await not p.locked
  p.locked := true
}

macro trylock_page(p) {
  if p.locked { return false }
  p.locked := true
  return true
}

macro unlock_page(p) {
  assert p.locked, "unlock_page of an unlocked page"
  p.locked := false
}

macro get_page(p) {
  assert p.count > 0, "get_page on a free page"
  p.count := p.count + 1
}

macro put_page(p) {
  assert p.count > 0, "put_page on a free page"
  p.count := p.count - 1
}

# fails on a free or frozen page (count 0), as in the kernel
macro get_page_unless_zero(p) {
  if p.count == 0 { return false }
  p.count := p.count + 1
  return true
}

# succeeds only when the count is `expected`, and leaves it 0 (frozen)
macro page_ref_freeze(p, expected) {
  if p.count != expected { return false }
  p.count := 0
  return true
}

macro page_ref_unfreeze(p, n) {
  assert p.count == 0, "unfreeze of a page not frozen"
  p.count := n
}

# the same under their names before v4.6 (page_ref_freeze arrived with page_ref.h)
macro page_freeze_refs(p, n) { return page_ref_freeze(p, n) }
macro page_unfreeze_refs(p, n) { page_ref_unfreeze(p, n) }

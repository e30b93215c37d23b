# Reference and map counts of one page cache page while it is mapped, pinned and
# migrated: the accounting that migrate_page_move_mapping's page_ref_freeze relies on.
#
# PTES ptes may map the page. Each mapping holds a reference and a mapcount; the page
# cache holds one reference; get_user_pages pins hold one each. Migration replaces the
# present ptes by migration entries (try_to_unmap), freezes the count at its expected
# value 1 (page_ref_freeze: only the page cache's reference left), unfreezes, and puts
# the ptes back (remove_migration_ptes). A fault maps the page only with
# get_page_unless_zero, which fails on a frozen page.
#
# Invariants: the count is exactly the references held (Balanced), the mapcount is the
# number of present ptes (Mapcount), a frozen page has no other holder (FrozenAlone).
# MappedHasRef is true but not inductive on its own: a state with mapcount 2 and
# refcount 1 is unreachable, but `zap` takes it to a mapped page with no reference.
# Balanced and FrozenAlone strengthen it (prove --lemma Balanced --lemma FrozenAlone).
# With UNLESS_ZERO=false a fault maps a frozen page: a real violation.

spec Refcount

const PTES : 1..100 = 3
const PINS : 0..4 = 1
const UNLESS_ZERO = true   # false: a fault takes its reference with get_page, frozen or not

type Pte = enum { none, present, migration }

var pte      : [1..PTES] -> Pte = [i in 1..PTES |-> present]
var mapcount : 0..PTES = PTES
var pins     : 0..PINS = 0
var refcount : 0..PTES + PINS + 1 = PTES + 1
var frozen   : bool = false

# do_fault: get_page_unless_zero, then set the pte and page_add_file_rmap
action fault(i: 1..PTES)
  when pte[i] == none and (refcount > 0 or not UNLESS_ZERO)
  pte[i]' = present
  mapcount' = mapcount + 1
  refcount' = refcount + 1

# zap_pte_range: page_remove_rmap, then put_page
action zap(i: 1..PTES)
  when pte[i] == present
  pte[i]' = none
  mapcount' = mapcount - 1
  refcount' = refcount - 1

# zap_pte_range on a migration entry: nothing held
action zap_migration(i: 1..PTES)
  when pte[i] == migration
  pte[i]' = none

# try_to_unmap_one: a migration entry replaces the pte; its reference is dropped
action try_to_unmap(i: 1..PTES)
  when pte[i] == present and not frozen
  pte[i]' = migration
  mapcount' = mapcount - 1
  refcount' = refcount - 1

# get_user_pages: get_page_unless_zero; put_page when the I/O is done
action gup
  when pins < PINS and refcount > 0
  pins' = pins + 1
  refcount' = refcount + 1

action unpin
  when pins > 0
  pins' = pins - 1
  refcount' = refcount - 1

# migrate_page_move_mapping: page_ref_freeze(page, 1), page_ref_unfreeze(page, 1)
action freeze
  when not frozen and refcount == 1
  refcount' = 0
  frozen' = true

action unfreeze
  when frozen
  refcount' = 1
  frozen' = false

# remove_migration_pte: the page is mapped again, with a reference
action remove_migration_pte(i: 1..PTES)
  when pte[i] == migration and not frozen
  pte[i]' = present
  mapcount' = mapcount + 1
  refcount' = refcount + 1

invariant Balanced: refcount == (if frozen then 0 else 1 + mapcount + pins)
invariant Mapcount: mapcount == (count i in 1..PTES: pte[i] == present)
invariant FrozenAlone: frozen => mapcount == 0 and pins == 0
invariant MappedHasRef: mapcount > 0 => refcount > 0

expect UNLESS_ZERO=true: holds
expect UNLESS_ZERO=false: violates Balanced

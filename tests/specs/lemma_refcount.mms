# Lemmas: the accounting a property rests on, proved with it but checked only on request.
#
# A page cache page, mapped by up to PTES ptes: the cache holds one reference, each
# mapping one more; truncation drops the cache's. MappedHasRef (a mapped page is not
# freed) is true but not inductive on its own: from an unreachable state with two
# mappings and one reference, a zap frees a mapped page. The lemmas Balanced and
# Mapcount rule such states out, so `mmcheck prove` proves all three with no flag.
#
# With FIXED=false a fault maps the page without taking its reference: Balanced breaks
# at once, and MappedHasRef, the real defect, one step later. `check` leaves the lemmas
# out (unless --lemmas), so the real verdict is the one reported.

spec LemmaRefcount

const PTES : 1..64 = 2
const FIXED = true  # false: the fault forgets its get_page

var mapped   : [1..PTES] -> bool = [i in 1..PTES |-> false]
var mapcount : 0..PTES = 0
var refcount : 0..PTES + 1 = 1
var cached   : bool = true

# do_fault: get_page_unless_zero, then set the pte and page_add_file_rmap
action fault(i: 1..PTES)
  when not mapped[i] and refcount > 0
  mapped[i]' = true
  mapcount' = mapcount + 1
  refcount' = if FIXED then refcount + 1 else refcount

# zap_pte_range: page_remove_rmap, then put_page
action zap(i: 1..PTES)
  when mapped[i]
  mapped[i]' = false
  mapcount' = mapcount - 1
  refcount' = refcount - 1

# truncation: the page cache drops its reference
action truncate
  when cached
  cached' = false
  refcount' = refcount - 1

terminal refcount == 0  # freed: nothing left to do

invariant MappedHasRef: mapcount > 0 => refcount > 0

lemma Balanced: refcount == mapcount + (if cached then 1 else 0)
lemma Mapcount: mapcount == (count i in 1..PTES: mapped[i])

expect holds with 8 states
expect FIXED=true: holds with 8 states (invariants MappedHasRef, Balanced, Mapcount)
expect FIXED=false: violates MappedHasRef in 2 steps
expect FIXED=false: violates Balanced (invariants Balanced)

# The swap count (mm/swapfile.c), on swap_map[swp_offset(entry)] of one swap entry: 1 for
# the swap cache, 1 for each pte holding the entry. Included by rawio_cow.mms and
# gup_cow.mms; the includer's swap_map variable is the argument.
# swap_duplicate: "if (offset < p->max && p->swap_map[offset]) { if
# (p->swap_map[offset] < SWAP_MAP_MAX - 1) { p->swap_map[offset]++;"
macro swap_duplicate(s) {
  assert s > 0, "swap_duplicate of a free swap entry"
  s := s + 1
}
# swap_free -> swap_entry_free: "count = p->swap_map[offset]; if (count < SWAP_MAP_MAX)
# { count--; p->swap_map[offset] = count;"
macro swap_free(s) {
  assert s > 0, "swap_free of a free swap entry"
  s := s - 1
}
# page_swapcount (c475a8ab625d): "/* Subtract the 1 for the swap cache itself */ count =
# p->swap_map[swp_offset(entry)] - 1;"
def page_swapcount(s) = s - 1

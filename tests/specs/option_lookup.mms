// Options (docs/language.md, "Options"): find_get_page() returns a page or NULL, and a
// caller must check for NULL before it takes a reference. With CHECK=false, a reader
// whose lookup raced with reclaim dereferences NULL: a "null" failure with its trace.
spec option_lookup

const CHECK = true

type Pfn = 1..2
type Pte = enum { present, none }       // an enum's `none` is still its own value

var cached : [Pfn] -> bool = [p in Pfn |-> true]   // in the page cache
var refs : [Pfn] -> 0..3 = [p in Pfn |-> 1]        // the cache's reference, and readers'
var pte : [Pfn] -> Pte = [p in Pfn |-> none]       // Pte's none: the place says Pte

process reclaim {
  evict:
    either { await refs[1] == 1; cached[1] := false; refs[1] := 0 }
    or { await refs[2] == 1; cached[2] := false; refs[2] := 0 }
}

process reader[self in Pfn] {
  var page : Pfn? = none                // struct page *page = NULL
  lookup:                               // find_get_page(): referenced, or NULL
    page := if cached[self] then some(self) else none
    if page != none then refs[page] := refs[page] + 1
  map:
    if not CHECK or page != none then pte[page] := present
  unmap:
    if page != none then { pte[page] := none; refs[page] := refs[page] - 1 }
    page := none
}

invariant CachedIsReferenced: forall p in Pfn: cached[p] => refs[p] >= 1
invariant MappedIsReferenced: forall p in Pfn: pte[p] != none => refs[p] >= 2

expect CHECK=true: holds with 48 states
expect CHECK=false: fails null in 3 steps

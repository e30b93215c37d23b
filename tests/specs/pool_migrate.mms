// Pools (docs/language.md, "Pools"): page migration allocates a new page, copies the
// old one into it, points the pte at it and frees the old page, while a reader follows
// the pte. With BUG, migration frees the old page before it switches the pte: a reader
// in between uses the freed page, a "free" failure (use after free) with its trace.
spec pool_migrate

const BUG = false

pool Page[3] of record { data: 0..2, mapped: bool } = { data: 0, mapped: false }

var pte : Page? = none                  // the mapping: a page, or none (no fault yet)

process fault {                         // do_anonymous_page(): a new page, mapped
  map:
    pte := alloc(Page)
    if pte != none then Page[pte] := { data: 1, mapped: true }
}

process migrate {
  var old : Page? = none
  var new : Page? = none
  isolate:
    await pte != none
    old := pte
  copy:
    new := alloc(Page)                  // any free page: each is a transition
    if new == none then goto Done       // out of memory: migration fails
    Page[new] := { data: Page[old].data, mapped: false }
  swap:
    if BUG then free(old)
    Page[new].mapped := true
  remap:
    pte := new
  release:
    if not BUG then { Page[old].mapped := false; free(old) }
}

process reader {
  var seen : 0..2 = 0
  read:
    await pte != none
    seen := Page[pte].data
}

invariant DataKept: reader.seen != 2
invariant OneLivePage: (count p in Page: allocated(p) and Page[p].mapped) <= 2

expect BUG=false: holds
expect BUG=true: fails free in 5 steps

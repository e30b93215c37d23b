// Enum values scoped to their enum: Pte.none and Page.none (docs/language.md, "Types")
const BUG = false
type Pte = enum { present, migration, none }
type Page = enum { none, mapped, freed }

var pte : [1..2] -> Pte = [i in 1..2 |-> none]   # the place says Pte's
var page : Page = Page.none
var seen : set of Pte = {none}

process fault[self in 1..2] {
map:
  await page != freed
  pte[self] := present
  page := mapped
  seen := seen union {present, none}
}

process reclaim {
unmap:
  await forall i in 1..2: pte[i] == present
  pte := [i in 1..2 |-> if BUG then Pte.migration else none]
  page := if BUG then mapped else none
free:
  await pte[1] == none or pte[1] == migration
  page := freed
}

invariant FreedUnmapped: page == freed => forall i in 1..2: pte[i] != present
invariant NotFreedWhileMigrating: page == freed => pte[1] != Pte.migration
invariant SeenNone: none in seen

expect holds with 6 states
expect BUG=true: violates NotFreedWhileMigrating in 4 steps

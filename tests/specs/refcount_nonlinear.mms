# A compound page of NR subpages, mapped whole: each mapping takes NR references.
# With NR and MAPS symbolic (prove -D NR=? -D MAPS=?) the accounting is nonlinear
# arithmetic. Sqrt2 holds in every state whatever Product says (the square root of 2
# is not a ratio of integers), which is beyond z3's nonlinear integer reasoning: a test
# of how unknown and timeout answers are reported, and of the fallback to concrete
# sizes. With Product as a lemma it is easy.

spec RefcountNonlinear

const NR : 1..512 = 4      # subpages of the compound page
const MAPS : 1..100000 = 2     # mappings of the whole page

var maps : 0..MAPS = 0
var refs : 0..NR * MAPS = 0

action map
  when maps < MAPS and refs + NR <= NR * MAPS
  maps' = maps + 1
  refs' = refs + NR

action unmap
  when maps > 0 and refs >= NR
  maps' = maps - 1
  refs' = refs - NR

invariant Product: refs == NR * maps
invariant Sqrt2: refs * refs != 2 * NR * NR or refs == 0

expect holds

# Kirill's mlock race (seed 004), cut down for golden tests of the trace formats:
# reclaim sees VM_LOCKED, drops the pte lock and mlocks the page late; exit_mmap's
# munlock clears VM_LOCKED and PG_mlocked in between.
spec MlockRace

const FIXED = false

type Page = record { mlocked: bool, count: 0..3 }

var vm_locked : bool = true
var page : Page = { mlocked: true, count: 2 }
lock ptl

process exit_mmap {
munlock_vma_pages_range:
  vm_locked := false
munlock_pagevec_fill:
  spin_lock(ptl)
  spin_unlock(ptl)
munlock_pagevec:
  page.mlocked := false
}

process reclaim {
try_to_unmap_one:
  spin_lock(ptl)
  if vm_locked {
    if not FIXED { spin_unlock(ptl) }
  } else {
    spin_unlock(ptl)
    goto out
  }
mlock_vma_page:
  page.mlocked := true
  if FIXED { spin_unlock(ptl) }
out:
  skip
}

invariant NoLeak: done(exit_mmap) and done(reclaim) => (page.mlocked => vm_locked)

expect FIXED=false: violates NoLeak in 6 steps
expect FIXED=true: holds

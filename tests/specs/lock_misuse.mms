# Lock misuse, one bug per value of BUG:
#   1: unlock of a lock not held      2: lock by its holder (self-deadlock)
#   3: unlock by a process that is not the holder
spec LockMisuse

const BUG = 0

lock l

process owner {
take:
  if BUG == 1 then unlock l else lock l
again:
  if BUG == 2 then lock l
drop:
  unlock l
}

process thief {
steal:
  if BUG == 3 then {
    await locked(l)
    unlock l
  }
}

expect BUG=0: holds
expect BUG=1: fails lock
expect BUG=2: fails lock
expect BUG=3: fails lock

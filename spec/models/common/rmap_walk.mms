# Page migration's two rmap walks over an anonymous page (2.6.34, anon_vma_chain), as
# the models of the races where a walk misses the pte of a vma that is being changed
# write them: rmap_vma_adjust.mms (vma_adjust's stores) and exec_stack_migrate.mms
# (exec's shift_arg_pages). Each includer walks its one vma with these, in its own
# process migrate (unmap_and_move).

# A pte of the vma: none, the old page, a migration entry for it (try_to_unmap_one with
# TTU_MIGRATION: "entry = make_migration_entry(page, pte_write(pteval)); set_pte_at(mm,
# address, pte, swp_entry_to_pte(entry));"), or the new page. The new page is not a
# variable of its own.
type Pte = enum { none, old_page, migration, new_page }
type Page = record { locked: bool }

# vma_address (mm/rmap.c): "pgoff_t pgoff = page->index << (PAGE_CACHE_SHIFT -
# PAGE_SHIFT); unsigned long address; address = vma->vm_start + ((pgoff -
# vma->vm_pgoff) << PAGE_SHIFT); if (unlikely(address < vma->vm_start || address >=
# vma->vm_end)) { /* page should be within @vma mapping range */ return -EFAULT; }";
# addresses are page numbers. Both walks (try_to_unmap_anon, rmap_walk_anon) skip the
# vma on -EFAULT: "if (address == -EFAULT) continue;".
def vma_address(start, pgoff, index) = start + index - pgoff
def vma_address_ok(start, end, pgoff, index) =
  vma_address(start, pgoff, index) >= start and vma_address(start, pgoff, index) < end

# remove_migration_pte (mm/migrate.c) puts back a pte for the page the walk was given:
# remove_migration_ptes(page, newpage) once move_to_new_page succeeded, (page, page)
# if it failed: "set_pte_at(mm, addr, ptep, pte);" with "pte = pte_mkold(mk_pte(new,
# vma->vm_page_prot));"
def remove_migration_pte(moved) = if moved then new_page else old_page

using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>
/// The page tables as they stand when init_memory_mapping runs (model-conventions items 12, 15, 16):
/// natively what head_64.S leaves, under Xen what the domain builder and xen_setup_kernel_pagetable /
/// xen_map_identity_early leave.
/// </summary>
public static class InitialTables
{
    public static void Build(Machine m)
    {
        var memory = m.Memory;
        var l4 = memory.Zero(StaticTables.init_level4_pgt, Level.Pgd, TablePageOrigin.Static);
        l4.Name = "init_level4_pgt";
        var l3 = memory.Zero(StaticTables.level3_ident_pgt, Level.Pud, TablePageOrigin.Static);
        l3.Name = "level3_ident_pgt";
        var l2 = memory.Zero(StaticTables.level2_ident_pgt, Level.Pmd, TablePageOrigin.Static);
        l2.Name = "level2_ident_pgt";

        // head_64.S: NEXT_PAGE(init_level4_pgt) .org init_level4_pgt + L4_PAGE_OFFSET*8 → level3_ident_pgt + _KERNPG_TABLE;
        // zap_identity_mappings clears slot 0 only.
        memory.Write(l4.Pfn, L4_PAGE_OFFSET, new PageTableEntry(l3.Pfn.PhysAddr.Value | _KERNPG_TABLE));
        memory.Write(l3.Pfn, 0, new PageTableEntry(l2.Pfn.PhysAddr.Value | _KERNPG_TABLE));

        if (m.XenLayout is not { } x)
        {
            // PMDS(0, __PAGE_KERNEL_LARGE_EXEC, PTRS_PER_PMD): 1 GiB of 2 MiB pages whatever --pse says.
            for (var k = 0; k < PTRS_PER_PMD; k++)
            {
                memory.Write(l2.Pfn, k, new PageTableEntry(((ulong)k << PMD_SHIFT) | __PAGE_KERNEL_LARGE_EXEC));
            }

            return;
        }

        var mask = m.Globals.__supported_pte_mask;
        var ptFrames = (Start: x.PtBase >> PAGE_SHIFT, End: x.PtEnd >> PAGE_SHIFT);

        // xc_dom_x86.c setup_pgtables_x86_64: L1_PROT = P|RW|A, page-table segment read-only.
        const ulong L1_PROT = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED;
        const ulong L2_PROT = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_USER;
        for (var k = 0; k < x.L1Linked; k++)
        {
            var pfn = new Pfn(x.L1Pfn(k));
            var page = memory.Zero(pfn, Level.Pte, TablePageOrigin.XenBuilder);
            page.Name = $"Xen L1 #{k}";
            for (var j = 0; j < PTRS_PER_PTE; j++)
            {
                var frame = ((ulong)k * PTRS_PER_PTE) + (ulong)j;
                var prot = frame >= ptFrames.Start && frame < ptFrames.End ? L1_PROT & ~_PAGE_RW : L1_PROT;
                memory.Write(pfn, j, new PageTableEntry((frame << PAGE_SHIFT) | prot));
            }

            memory.Write(l2.Pfn, k, new PageTableEntry(pfn.PhysAddr.Value | L2_PROT));
        }

        // xen_map_identity_early: empty entries get the next level1_ident_pgt page (PAGE_KERNEL_EXEC).
        var used = 0;
        for (var pmdidx = x.L1Linked; pmdidx < x.IdentEntries; pmdidx++)
        {
            var pfn = new Pfn(StaticTables.level1_ident_pgt.Value + (ulong)used++);
            var page = memory.Zero(pfn, Level.Pte, TablePageOrigin.XenLevel1Ident);
            page.Name = StaticTables.NameOf(pfn);
            for (var j = 0; j < PTRS_PER_PTE; j++)
            {
                var frame = ((ulong)pmdidx * PTRS_PER_PTE) + (ulong)j;
                memory.Write(pfn, j, new PageTableEntry((frame << PAGE_SHIFT) | (PAGE_KERNEL_EXEC & mask)));
            }

            memory.Write(l2.Pfn, pmdidx, new PageTableEntry(pfn.PhysAddr.Value | _PAGE_TABLE));
        }

        m.Level1IdentUsed = used;

        // set_page_prot(…, PAGE_KERNEL_RO) on the kernel's own tables.
        foreach (var table in memory.TablePages.Where(p => p.Origin is TablePageOrigin.Static or TablePageOrigin.XenLevel1Ident).ToList())
        {
            var w = memory.WalkVirt(__va(table.Pfn.PhysAddr.Value));
            if (w.Mapped && w.Level == Level.Pte)
            {
                memory.Write(w.At.Table, w.At.Index, new PageTableEntry(w.Entry.Value & ~_PAGE_RW));
            }
        }
    }
}

using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Kernel;

public sealed partial class KernelCode
{
    /// <summary>phys_pud_update(pgd, addr, end): the existing pud page through pgd_page_vaddr (__va).</summary>
    public IEnumerable<Effect> PhysPudUpdate(CpuContext cpu, Pfn pgdTable, int pgdIndex, ulong addr, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pud_update;
        yield return Enter(fn);
        yield return Read(fn, pgdTable, Level.Pgd, pgdIndex);
        var pud = new PageTableEntry(cpu.Rax).Frame;
        yield return Reach(fn, pud, $"pgd_page_vaddr(pgd[{pgdIndex}])");
        yield return Effect.Call(PhysPudInit(cpu, pud, addr, end));

        yield return Leave(fn);
    }

    /// <summary>phys_pud_init(pud_page, addr, end). Returns the physical last_map_addr (the seed's shape).</summary>
    public IEnumerable<Effect> PhysPudInit(CpuContext cpu, Pfn pud_page, ulong addr, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pud_init;
        yield return Enter(fn);
        ulong pages = 0;
        var last_map_addr = end;
        var locking = g.Has(Fixes.HotplugLocking);
        var stepNext = false;

        for (var i = pud_index(addr); i < PTRS_PER_PUD; i++, addr = (addr & PUD_MASK) + PUD_SIZE)
        {
            var pud = pud_index(addr);

            if (addr >= end)
            {
                break;
            }

            if (!g.after_bootmem && !g.E820.AnyMapped(addr, addr + PUD_SIZE, 0))
            {
                stepNext = false;
                yield return Set(fn, pud_page, Level.Pud, pud, PageTableEntry.None);
                continue;
            }

            // Not kernel code: the whole GiBs ahead that would take the fresh-page path below with a
            // pmd page whose 512 iterations all fold, folded in turn.
            if (!stepNext && cpu.MayFold && FoldsPudIterations && (addr & ~PUD_MASK) == 0 && WholeGiBs(i, addr, end) is var whole and > 0)
            {
                var pmdPage = FoldsIterations ? (locking ? LockedPmdPage : PmdPage) : (locking ? LockedLeafPage : LeafPage);
                yield return new Effect(EffectKind.PudIterations, fn, Level.Pud, pud, pud_page, addr, end,
                    new FoldedIterations(whole, PudIteration, pmdPage));
                var done = FoldedIterations.Done(cpu.Rax);
                stepNext = done < whole;
                if (done > 0)
                {
                    // Where the last one's phys_pmd_init stopped: the end of its GiB.
                    last_map_addr = addr + ((ulong)done * PUD_SIZE);
                    i += done - 1;
                    addr += (ulong)(done - 1) * PUD_SIZE;
                    continue;
                }
            }

            stepNext = false;

            yield return Read(fn, pud_page, Level.Pud, pud);
            var val = new PageTableEntry(cpu.Rax);
            if (!val.IsNone)
            {
                if (!val.Large)
                {
                    yield return Effect.Call(PhysPmdUpdate(cpu, pud_page, pud, addr, end));

                    last_map_addr = cpu.Rax;
                }

                continue;
            }

            if (g.direct_gbpages)
            {
                pages++;
                if (locking)
                {
                    yield return Lock(fn);
                }

                yield return Set(fn, pud_page, Level.Pud, pud, g.LargeLeaf(addr), __va(addr));
                if (locking)
                {
                    yield return Unlock(fn);
                }

                last_map_addr = (addr & PUD_MASK) + PUD_SIZE;
                continue;
            }

            yield return Effect.Call(AllocLowPage(cpu, Level.Pmd));

            var pmd = new Pfn(cpu.Rax);

            if (locking)
            {
                // 8ae3a5a8dff: the lock covers only the populate; the hunk decides the order.
                if (g.Has(Hunks.UnmapBeforePopulate))
                {
                    yield return Effect.Call(PhysPmdInit(cpu, pmd, addr, end));

                    last_map_addr = cpu.Rax;
                    yield return Effect.Call(UnmapLowPage(pmd));

                    yield return Lock(fn);
                    yield return Populate(fn, pud_page, Level.Pud, pud, pmd, __va(addr));
                    yield return Unlock(fn);
                }
                else
                {
                    yield return Lock(fn);
                    yield return Populate(fn, pud_page, Level.Pud, pud, pmd, __va(addr));
                    yield return Unlock(fn);
                    yield return Effect.Call(PhysPmdInit(cpu, pmd, addr, end));

                    last_map_addr = cpu.Rax;
                    yield return Effect.Call(UnmapLowPage(pmd));
                }
            }
            else if (g.Has(Hunks.UnmapBeforePopulate))
            {
                // The seed: lock; fill; unmap; populate; unlock.
                yield return Lock(fn);
                yield return Effect.Call(PhysPmdInit(cpu, pmd, addr, end));

                last_map_addr = cpu.Rax;
                yield return Effect.Call(UnmapLowPage(pmd));

                yield return Populate(fn, pud_page, Level.Pud, pud, pmd, __va(addr));
                yield return Unlock(fn);
            }
            else
            {
                // The parent: lock; populate the still-empty page; fill it through its alias; unlock; unmap.
                yield return Lock(fn);
                yield return Populate(fn, pud_page, Level.Pud, pud, pmd, __va(addr));
                yield return Effect.Call(PhysPmdInit(cpu, pmd, addr, end));

                last_map_addr = cpu.Rax;
                yield return Unlock(fn);
                yield return Effect.Call(UnmapLowPage(pmd));
            }
        }

        yield return new Effect(EffectKind.FlushTlbAll, fn);
        yield return PageCount(fn, Level.Pud, pages);
        cpu.Rax = last_map_addr;
        yield return Leave(fn);
    }

    /// <summary>
    /// Whether phys_pud_init's fresh-page iterations at boot may be folded: where phys_pmd_init's
    /// are (PTE pages or 2 MiB leaves), natively (Xen's hypercalls for a pmd page depend on the pages
    /// before it) and without 1 GiB pages.
    /// </summary>
    private bool FoldsPudIterations => (FoldsIterations || FoldsLeaves) && !g.Xen && !g.direct_gbpages;

    /// <summary>
    /// Whether phys_pmd_init's iterations at boot that map a 2 MiB leaf into an empty entry may be
    /// folded: with PSE (or the parent without the non-PSE fallback), natively, at page grain.
    /// </summary>
    private bool FoldsLeaves =>
        !g.after_bootmem && (g.cpu_has_pse || !g.Has(Hunks.NonpseFallback)) && !g.Xen && g.Grain == PteGrain.Page && !g.StepEveryIteration;

    /// <summary>How many GiBs from pud[<paramref name="i"/>] on lie wholly below end and hold RAM (each a fresh-page iteration if its entry is empty).</summary>
    private int WholeGiBs(int i, ulong addr, ulong end)
    {
        var n = 0;
        for (; i + n < PTRS_PER_PUD; n++)
        {
            var a = addr + ((ulong)n * PUD_SIZE);
            if (a + PUD_SIZE > end || !g.E820.AnyMapped(a, a + PUD_SIZE, 0))
            {
                break;
            }
        }

        return n;
    }

    // The steps of one fresh-page iteration of phys_pud_init at boot besides its pmd page's folded
    // iterations: read the entry, alloc_low_page, phys_pmd_init's entry, count and return, the unmap,
    // and the populate under init_mm.page_table_lock (every variant takes it once per iteration;
    // the order differs, the count does not).
    private static readonly EffectKind[] PudIteration =
    [
        EffectKind.ReadEntry,
        EffectKind.Enter, EffectKind.AllocPage, EffectKind.EarlyIoremap, EffectKind.ZeroPage, EffectKind.Leave,
        EffectKind.SpinLock, EffectKind.Populate, EffectKind.SpinUnlock,
        EffectKind.Enter, EffectKind.UpdatePageCount, EffectKind.Leave,
        EffectKind.EarlyIounmap,
    ];

    /// <summary>phys_pmd_update(pud, address, end): the existing pmd page through pmd_offset (__va).</summary>
    public IEnumerable<Effect> PhysPmdUpdate(CpuContext cpu, Pfn pudTable, int pudIndex, ulong address, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pmd_update;
        yield return Enter(fn);
        yield return Read(fn, pudTable, Level.Pud, pudIndex);
        var pmd = new PageTableEntry(cpu.Rax).Frame;
        yield return Reach(fn, pmd, $"pmd_offset(pud[{pudIndex}], 0)");

        // 8ae3a5a8dff dropped this lock: the entry writes inside take it themselves.
        var locked = !g.Has(Fixes.HotplugLocking);
        if (locked)
        {
            yield return Lock(fn);
        }

        yield return Effect.Call(PhysPmdInit(cpu, pmd, address, end));

        var last_map_addr = cpu.Rax;
        if (locked)
        {
            yield return Unlock(fn);
        }

        yield return new Effect(EffectKind.FlushTlbAll, fn);
        cpu.Rax = last_map_addr;
        yield return Leave(fn);
    }

    /// <summary>phys_pmd_init(pmd_page, address, end). Returns the address where its loop stopped.</summary>
    public IEnumerable<Effect> PhysPmdInit(CpuContext cpu, Pfn pmd_page, ulong address, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pmd_init;
        yield return Enter(fn);
        ulong pages = 0;
        var start = address;
        var locking = g.Has(Fixes.HotplugLocking);

        var i = pmd_index(address);
        var stepNext = false;
        for (; i < PTRS_PER_PMD; i++, address += PMD_SIZE)
        {
            var pmd = pmd_index(address);

            if (address >= end)
            {
                if (!g.after_bootmem)
                {
                    for (; i < PTRS_PER_PMD; i++, pmd++)
                    {
                        yield return Set(fn, pmd_page, Level.Pmd, pmd, PageTableEntry.None);
                    }
                }

                break;
            }

            // Not kernel code: the iterations ahead that would take the fresh-page path below (2 MiB
            // leaves, or fresh PTE pages without PSE), folded.
            var whole = (int)Math.Min((ulong)(PTRS_PER_PMD - i), (end - address) / PMD_SIZE);
            if (!stepNext && whole >= 2 && cpu.MayFold && (FoldsLeaves || FoldsIterations))
            {
                var leaves = FoldsLeaves;
                yield return leaves
                    ? new Effect(EffectKind.PmdLeaves, fn, Level.Pmd, pmd, pmd_page, address, end,
                        new FoldedIterations(whole, locking ? LockedLeafIteration : LeafIteration))
                    : new Effect(EffectKind.PmdIterations, fn, Level.Pmd, pmd, pmd_page, address, end,
                        new FoldedIterations(whole, locking ? LockedIteration : Iteration));
                var done = FoldedIterations.Done(cpu.Rax);

                // Fewer than asked: the next iteration goes another way, or the host bounded this one; it runs step by step.
                stepNext = done < whole;
                if (done > 0)
                {
                    if (leaves)
                    {
                        pages += (ulong)done;
                    }

                    i += done - 1;
                    address += (ulong)(done - 1) * PMD_SIZE;
                    continue;
                }
            }

            stepNext = false;
            yield return Read(fn, pmd_page, Level.Pmd, pmd);
            var val = new PageTableEntry(cpu.Rax);
            if (!val.IsNone)
            {
                if (g.Has(Hunks.PreserveExisting) && (!g.Has(Fixes.LargePmdCheck) || !val.Large))
                {
                    if (locking)
                    {
                        yield return Lock(fn);
                    }

                    yield return Effect.Call(PhysPteUpdate(cpu, pmd_page, pmd, address, end));

                    if (locking)
                    {
                        yield return Unlock(fn);
                    }
                }

                // a06de63000b: count the entries used from level2_ident_pgt.
                if (g.Has(Fixes.DirectMapCount) && start == 0)
                {
                    pages++;
                }

                continue;
            }

            if (g.cpu_has_pse || !g.Has(Hunks.NonpseFallback))
            {
                pages++;
                if (locking)
                {
                    yield return Lock(fn);
                }

                yield return Set(fn, pmd_page, Level.Pmd, pmd, g.LargeLeaf(address), __va(address));
                if (locking)
                {
                    yield return Unlock(fn);
                }

                continue;
            }

            yield return Effect.Call(AllocLowPage(cpu, Level.Pte));

            var pte = new Pfn(cpu.Rax);
            yield return Effect.Call(PhysPteInit(cpu, pte, address, end));

            yield return Effect.Call(UnmapLowPage(pte));

            if (locking)
            {
                yield return Lock(fn);
            }

            yield return Populate(fn, pmd_page, Level.Pmd, pmd, pte, __va(address));
            if (locking)
            {
                yield return Unlock(fn);
            }
        }

        yield return PageCount(fn, Level.Pmd, pages);
        cpu.Rax = address;
        yield return Leave(fn);
    }

    /// <summary>Whether phys_pmd_init's fresh-page iterations at boot may be folded (<see cref="FoldedIterations"/>): no PSE (always so under Xen), page grain.</summary>
    private bool FoldsIterations =>
        !g.after_bootmem && !g.cpu_has_pse && g.Has(Hunks.NonpseFallback) && g.Grain == PteGrain.Page && !g.StepEveryIteration;

    // The steps of one fresh-page iteration of phys_pmd_init, as the loop above yields them at boot
    // (alloc_low_page with early_ioremap, phys_pte_init at page grain, unmap_low_page, populate).
    private static readonly EffectKind[] Iteration = IterationSteps(locked: false);

    // With 8ae3a5a8dff's locking: the populate under init_mm.page_table_lock. The fold takes no lock:
    // at boot no other CPU runs, and with that fix no caller of phys_pmd_init holds the lock, so each
    // spin_lock/spin_unlock pair leaves it free, as it found it.
    private static readonly EffectKind[] LockedIteration = IterationSteps(locked: true);

    // An iteration that maps a 2 MiB leaf: read the entry, set_pmd (under the lock with 8ae3a5a8dff).
    private static readonly EffectKind[] LeafIteration = [EffectKind.ReadEntry, EffectKind.SetEntry];

    private static readonly EffectKind[] LockedLeafIteration = [EffectKind.ReadEntry, EffectKind.SpinLock, EffectKind.SetEntry, EffectKind.SpinUnlock];

    // A fresh pmd page's 512 iterations, folded within a folded phys_pud_init iteration (declared
    // after the steps they name: static fields start in this order).
    private static readonly FoldedIterations PmdPage = new(PTRS_PER_PMD, Iteration);

    private static readonly FoldedIterations LockedPmdPage = new(PTRS_PER_PMD, LockedIteration);

    private static readonly FoldedIterations LeafPage = new(PTRS_PER_PMD, LeafIteration);

    private static readonly FoldedIterations LockedLeafPage = new(PTRS_PER_PMD, LockedLeafIteration);

    private static EffectKind[] IterationSteps(bool locked) =>
    [
        EffectKind.ReadEntry,
        EffectKind.Enter, EffectKind.AllocPage, EffectKind.EarlyIoremap, EffectKind.ZeroPage, EffectKind.Leave,
        EffectKind.Enter, EffectKind.PteInitLoop, EffectKind.UpdatePageCount, EffectKind.Leave,
        EffectKind.EarlyIounmap,
        .. locked ? new[] { EffectKind.SpinLock, EffectKind.Populate, EffectKind.SpinUnlock } : new[] { EffectKind.Populate },
    ];

    /// <summary>phys_pte_update(pmd, address, end): the existing PTE page through pmd_page_vaddr (__va).</summary>
    public IEnumerable<Effect> PhysPteUpdate(CpuContext cpu, Pfn pmdTable, int pmdIndex, ulong address, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pte_update;
        yield return Enter(fn);
        yield return Read(fn, pmdTable, Level.Pmd, pmdIndex);
        var val = new PageTableEntry(cpu.Rax);
        var pte = val.Frame;
        yield return Reach(fn, pte, $"pmd_page_vaddr(pmd[{pmdIndex}])");
        if (val.Large)
        {
            // The seed without 22b45144f67: a 2 MiB leaf's data frame taken for a PTE page.
            yield return Fatal(fn, ErrorKind.DataFrameWrittenAsTable,
                $"phys_pte_update: pmd[{pmdIndex}] of table {pmdTable} is a 2 MiB leaf {val} (pmd_large) mapping " +
                $"{Hex.Of(val.Frame.PhysAddr.Value)}-{Hex.Of(val.Frame.PhysAddr.Value + PMD_SIZE)}; pmd_page_vaddr() takes its data " +
                $"frame {pte} for a PTE page and phys_pte_init would write PTEs for {Hex.Of(address)} into it " +
                "(fixed by 22b45144f67)");
            yield break;
        }

        yield return Effect.Call(PhysPteInit(cpu, pte, address, end));

        yield return Leave(fn);
    }

    /// <summary>phys_pte_init(pte_page, addr, end), added by the seed.</summary>
    public IEnumerable<Effect> PhysPteInit(CpuContext cpu, Pfn pte_page, ulong addr, ulong end)
    {
        const KernelFn fn = KernelFn.phys_pte_init;
        yield return Enter(fn);
        if (g.Grain == PteGrain.Page)
        {
            // The whole loop as one step, applied entry by entry by the page's owner.
            yield return new Effect(EffectKind.PteInitLoop, fn, Level.Pte, pte_index(addr), pte_page, addr, end);
            yield return PageCount(fn, Level.Pte, cpu.Rax);
            yield return Leave(fn);
            yield break;
        }

        ulong pages = 0;
        for (var i = pte_index(addr); i < PTRS_PER_PTE; i++, addr += PAGE_SIZE)
        {
            if (addr >= end)
            {
                if (!g.after_bootmem)
                {
                    for (; i < PTRS_PER_PTE; i++)
                    {
                        yield return Set(fn, pte_page, Level.Pte, i, PageTableEntry.None);
                    }
                }

                break;
            }

            yield return Read(fn, pte_page, Level.Pte, i);
            if (cpu.Rax != 0)
            {
                continue;
            }

            yield return Set(fn, pte_page, Level.Pte, i, g.Leaf(addr), __va(addr));
            pages++;
        }

        yield return PageCount(fn, Level.Pte, pages);
        yield return Leave(fn);
    }

    /// <summary>alloc_low_page(&amp;phys): table_end++, then the early buffer page through early_ioremap, or get_zeroed_page after bootmem.</summary>
    public IEnumerable<Effect> AllocLowPage(CpuContext cpu, Level level)
    {
        const KernelFn fn = KernelFn.alloc_low_page;
        yield return Enter(fn);
        yield return new Effect(EffectKind.AllocPage, fn, level);
        var pfn = new Pfn(cpu.Rax);
        if (!g.after_bootmem)
        {
            yield return new Effect(EffectKind.EarlyIoremap, fn, level, table: pfn);
        }

        yield return new Effect(EffectKind.ZeroPage, fn, level, table: pfn);
        cpu.Rax = pfn.Value;
        yield return Leave(fn);
    }

    /// <summary>unmap_low_page(adr): early_iounmap at boot, nothing after bootmem.</summary>
    public IEnumerable<Effect> UnmapLowPage(Pfn page)
    {
        if (g.after_bootmem)
        {
            yield break;
        }

        yield return new Effect(EffectKind.EarlyIounmap, KernelFn.unmap_low_page, table: page);
    }

    private static Effect Enter(KernelFn fn) => new(EffectKind.Enter, fn);

    private static Effect Leave(KernelFn fn) => new(EffectKind.Leave, fn);

    private static Effect Read(KernelFn fn, Pfn table, Level level, int index) =>
        new(EffectKind.ReadEntry, fn, level, index, table);

    /// <summary>set_p?d of <paramref name="value"/>; <paramref name="va"/> is the first virtual address the entry covers (0 for a clear).</summary>
    private static Effect Set(KernelFn fn, Pfn table, Level level, int index, PageTableEntry value, ulong va = 0) =>
        new(EffectKind.SetEntry, fn, level, index, table, value.Value, va);

    private static Effect Populate(KernelFn fn, Pfn table, Level level, int index, Pfn child, ulong va) =>
        new(EffectKind.Populate, fn, level, index, table, child.Value, va);

    private static Effect Reach(KernelFn fn, Pfn table, string how) =>
        new(EffectKind.ReachTable, fn, table: table, payload: how);

    private static Effect Lock(KernelFn fn) => new(EffectKind.SpinLock, fn);

    private static Effect Unlock(KernelFn fn) => new(EffectKind.SpinUnlock, fn);

    private static Effect PageCount(KernelFn fn, Level level, ulong pages) =>
        new(EffectKind.UpdatePageCount, fn, level, value: pages);

    private static Effect Printk(KernelFn fn, string line) => new(EffectKind.Printk, fn, payload: line);

    private static Effect Fatal(KernelFn fn, ErrorKind kind, string message) =>
        new(EffectKind.Fatal, fn, payload: new FatalEvent(kind, message));
}

using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Kernel;

/// <summary>
/// Memory hot-add and hot-remove entry points and the later kernel's direct-map teardown.
/// Hot-add is this era's code; hot-remove did not exist for x86-64 until v3.9 ("memory-hotplug:
/// common APIs to support page tables hot-remove"), so remove_pagetable follows that later shape
/// (kernel-notes §4.4): clear leaves, free empty tables, then one flush at the end.
/// </summary>
public sealed partial class KernelCode
{
    public const ulong PageTableLock = 0;
    public const ulong HotplugMutexLock = 1;

    /// <summary>add_memory as far as page tables go: the optional hotplug mutex, then arch_add_memory.</summary>
    public IEnumerable<Effect> AddMemory(CpuContext cpu, ulong start, ulong size)
    {
        const KernelFn fn = KernelFn.add_memory;
        yield return Enter(fn);
        if (g.HotplugMutex)
        {
            yield return new Effect(EffectKind.SpinLock, fn, value: HotplugMutexLock);
        }

        yield return Effect.Call(ArchAddMemory(cpu, start, size));

        if (g.HotplugMutex)
        {
            yield return new Effect(EffectKind.SpinUnlock, fn, value: HotplugMutexLock);
        }

        yield return Leave(fn);
    }

    /// <summary>remove_memory → arch_remove_memory → kernel_physical_mapping_remove → remove_pagetable(start, end, direct).</summary>
    public IEnumerable<Effect> RemoveMemory(CpuContext cpu, ulong start, ulong size)
    {
        const KernelFn fn = KernelFn.remove_memory;
        yield return Enter(fn);
        if (g.HotplugMutex)
        {
            yield return new Effect(EffectKind.SpinLock, fn, value: HotplugMutexLock);
        }

        yield return Effect.Call(RemovePagetable(cpu, start, start + size));

        if (g.HotplugMutex)
        {
            yield return new Effect(EffectKind.SpinUnlock, fn, value: HotplugMutexLock);
        }

        yield return Leave(fn);
    }

    /// <summary>remove_pagetable(start, end, true): walk the direct map of [start, end), then flush per the scenario's knob.</summary>
    public IEnumerable<Effect> RemovePagetable(CpuContext cpu, ulong start, ulong end)
    {
        const KernelFn fn = KernelFn.remove_pagetable;
        yield return Enter(fn);
        yield return new Effect(EffectKind.RemoveMemoryRange, fn, value: start, arg: end);
        for (ulong addr = start, next; addr < end; addr = next)
        {
            next = AddrEnd(addr, end, PGDIR_SIZE);
            var pgdIndex = pgd_index(__va(addr));
            yield return Read(fn, InitLevel4Pgt, Level.Pgd, pgdIndex);
            var pgd = new PageTableEntry(cpu.Rax);
            if (!pgd.Present)
            {
                continue;
            }

            yield return Reach(fn, pgd.Frame, $"pud_offset(pgd[{pgdIndex}])");
            yield return Effect.Call(RemoveTable(cpu, pgd.Frame, Level.Pud, addr, next));
        }

        yield return new Effect(g.RemoveFlush == FlushScope.Global ? EffectKind.FlushTlbGlobal : EffectKind.FlushTlbAll, fn);
        yield return Leave(fn);
    }

    /// <summary>remove_pud_table / remove_pmd_table / remove_pte_table over [addr, end) of one table page.</summary>
    private IEnumerable<Effect> RemoveTable(CpuContext cpu, Pfn table, Level level, ulong addr, ulong end)
    {
        var fn = level switch
        {
            Level.Pud => KernelFn.remove_pud_table,
            Level.Pmd => KernelFn.remove_pmd_table,
            _ => KernelFn.remove_pte_table,
        };
        yield return Enter(fn);
        var span = EntrySpan(level);
        long pages = 0;
        for (ulong next; addr < end; addr = next)
        {
            next = AddrEnd(addr, end, span);
            var index = X86.index(level, addr);
            yield return Read(fn, table, level, index);
            var val = new PageTableEntry(cpu.Rax);
            if (!val.Present)
            {
                continue;
            }

            if (level == Level.Pte || val.Large)
            {
                // remove_pte_table only (v3.9, ae9aae9eda2d): "We mapped [0,1G) memory as identity
                // mapping when initializing, in arch/x86/kernel/head_64.S. These pagetables cannot be
                // removed." It returns, skipping its update_page_count. remove_pmd_table and
                // remove_pud_table have no such guard: they clear an aligned large leaf whatever frame it maps.
                if (level == Level.Pte && val.Frame.PhysAddr.Value < 0x40000000)
                {
                    yield return Leave(fn);
                    yield break;
                }

                // A large page only partly inside the range stays (the later code memsets it PAGE_INUSE and keeps it).
                if (level != Level.Pte && ((addr & (span - 1)) != 0 || (next & (span - 1)) != 0))
                {
                    continue;
                }

                yield return Lock(fn);
                yield return Set(fn, table, level, index, PageTableEntry.None);
                yield return Unlock(fn);
                pages++;
                continue;
            }

            yield return Reach(fn, val.Frame, $"{level.Below().Name()}_offset({level.Name()}[{index}])");
            yield return Effect.Call(RemoveTable(cpu, val.Frame, level.Below(), addr, next));

            yield return Effect.Call(FreeTable(cpu, table, level, index, val.Frame));
        }

        if (pages != 0)
        {
            yield return new Effect(EffectKind.UpdatePageCount, fn, level, value: unchecked((ulong)-pages));
        }

        yield return Leave(fn);
    }

    /// <summary>free_pte_table / free_pmd_table: if the child is empty, free it, then clear the entry under the lock.</summary>
    private IEnumerable<Effect> FreeTable(CpuContext cpu, Pfn table, Level level, int index, Pfn child)
    {
        var fn = level == Level.Pmd ? KernelFn.free_pte_table : KernelFn.free_pmd_table;
        yield return Enter(fn);
        for (var i = 0; i < PTRS_PER_PTE; i++)
        {
            yield return Read(fn, child, level.Below(), i);
            if (cpu.Rax != 0)
            {
                yield return Leave(fn);
                yield break;
            }
        }

        // The later code frees the page before it clears the entry that links it.
        yield return new Effect(EffectKind.FreePage, fn, level.Below(), table: child);
        yield return Lock(fn);
        yield return Set(fn, table, level, index, PageTableEntry.None);
        yield return Unlock(fn);
        yield return Leave(fn);
    }

    /// <summary>Reads of <paramref name="count"/> pages from <paramref name="pa"/> through the direct map.</summary>
    public IEnumerable<Effect> TouchMemory(CpuContext cpu, ulong pa, int count, ulong stride)
    {
        const KernelFn fn = KernelFn.touch;
        yield return Enter(fn);
        for (var k = 0; k < count; k++)
        {
            yield return new Effect(EffectKind.Touch, fn, value: __va(pa + ((ulong)k * stride)));
        }

        yield return Leave(fn);
    }

    /// <summary>p?d_addr_end: the next boundary of <paramref name="size"/> after addr, capped at end.</summary>
    private static ulong AddrEnd(ulong addr, ulong end, ulong size)
    {
        var boundary = (addr + size) & ~(size - 1);
        return boundary - 1 < end - 1 ? boundary : end;
    }
}

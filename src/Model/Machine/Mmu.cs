using BootActors.Model.Kernel;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Xen;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>
/// The memory side of page-table updates: applies entry reads and writes in the kernel's order
/// of checks (model-conventions item 26) — under Xen the paravirt alloc hook and the hypervisor's
/// validation, then the overwrite monitor — and answers __va reaches (item 30). One instance per
/// machine; the sequential interpreter calls it directly, the actor host from the actor that owns
/// the frames (PhysicalMemory natively, the Hypervisor under Xen).
/// </summary>
public sealed class Mmu
{
    private readonly KernelGlobals g;
    private readonly Func<InUseFrames> inUse;

    public Mmu(PhysicalMemory memory, XenHypervisor? xen, KernelGlobals globals, Func<InUseFrames> inUse)
    {
        Memory = memory;
        Xen = xen;
        g = globals;
        this.inUse = inUse;
    }

    public PhysicalMemory Memory { get; }

    public XenHypervisor? Xen { get; }

    public static string PopulateName(Level level) => level switch
    {
        Level.Pmd => "pmd_populate_kernel",
        Level.Pud => "pud_populate",
        _ => "pgd_populate",
    };

    public static string SetName(Level level) => level switch
    {
        Level.Pte => "set_pte",
        Level.Pmd => "set_pmd",
        Level.Pud => "set_pud",
        _ => "set_pgd",
    };

    public StepResult Read(Pfn table, int index) => StepResult.Ok(Memory.Read(table, index).Value);

    /// <summary>set_p?d(entry, value): a leaf or a clear.</summary>
    public StepResult Set(Pfn table, Level level, int index, PageTableEntry value, ulong va)
    {
        if (!Memory.IsTablePage(table))
        {
            return StepResult.Fail(ErrorKind.WildWrite,
                $"{SetName(level)} of {level.Name()}[{index}] writes into frame {table}, which is not a page-table page");
        }

        if (Xen is not null && Xen.CheckEntryWrite(table, level, index, value) is { } refused)
        {
            return StepResult.Fail(ErrorKind.HypervisorRefused, $"{SetName(level)}: {refused}");
        }

        if (CheckOverwrite(table, level, index, value, va, SetName(level)) is { } lost)
        {
            return lost;
        }

        Memory.Write(table, index, value);
        return StepResult.Ok();
    }

    /// <summary>
    /// phys_pte_init's loop over one PTE page as a single step: the same entry writes, with the
    /// same checks, as the per-entry steps. Returns the pages written (update_page_count's n).
    /// </summary>
    public StepResult PteInitLoop(Pfn pte_page, int firstIndex, ulong addr, ulong end)
    {
        var page = Memory.Find(pte_page);
        if (page is null)
        {
            return StepResult.Fail(ErrorKind.WildWrite, $"phys_pte_init writes into frame {pte_page}, which is not a page-table page");
        }

        var entries = page.Entries;
        var pinned = Xen is not null && Memory.IsReachable(pte_page);
        ulong pages = 0;
        for (var i = firstIndex; i < PTRS_PER_PTE; i++, addr += PAGE_SIZE)
        {
            if (addr >= end)
            {
                if (!g.after_bootmem)
                {
                    Array.Clear(entries, i, PTRS_PER_PTE - i);
                }

                break;
            }

            if (entries[i] != 0)
            {
                continue;
            }

            var leaf = g.Leaf(addr);
            if (pinned && Xen!.CheckEntryWrite(pte_page, Level.Pte, i, leaf) is { } refused)
            {
                return StepResult.Fail(ErrorKind.HypervisorRefused, $"set_pte in phys_pte_init: {refused}");
            }

            entries[i] = leaf.Value;
            pages++;
        }

        return StepResult.Ok(pages);
    }

    /// <summary>pmd_populate_kernel / pud_populate / pgd_populate(table[index], child).</summary>
    public StepResult Populate(Pfn table, Level level, int index, Pfn child, ulong va)
    {
        var name = PopulateName(level);
        if (!Memory.IsTablePage(table))
        {
            return StepResult.Fail(ErrorKind.WildWrite,
                $"{name} of {level.Name()}[{index}] writes into frame {table}, which is not a page-table page");
        }

        if (Xen is not null)
        {
            // (1) paravirt_alloc_p?d → xen_alloc_pte_init → make_lowmem_page_readonly(__va(child)).
            if (!IsLinearMapped(child))
            {
                return StepResult.Fail(ErrorKind.TablePageUnmapped,
                    $"{name} of {level.Name()}[{index}] in table {table}: the paravirt alloc hook xen_alloc_pte_init → " +
                    $"make_lowmem_page_readonly(__va({Hex.Of(child.PhysAddr.Value)})) finds {level.Below().Name()} page {child} " +
                    $"not mapped in the linear map ({DescribeWalk(child)}): BUG in arch/x86/xen/mmu.c");
            }

            MakeReadOnly(child);

            // (2) and (3): the entry write through mmu_update, and validation of what it links.
            if (Xen.CheckPopulate(table, level, index, child, va & ~(EntrySpan(level) - 1), name) is { } refused)
            {
                return StepResult.Fail(ErrorKind.HypervisorRefused, refused);
            }
        }

        var value = mk_table(child);
        if (CheckOverwrite(table, level, index, value, va, name) is { } lost)
        {
            return lost;
        }

        Memory.Write(table, index, value);
        return StepResult.Ok();
    }

    /// <summary>A table reached through __va (pgd_page_vaddr, pud_offset, pmd_offset, pmd_page_vaddr).</summary>
    public StepResult Reach(Pfn table, string how)
    {
        if (IsLinearMapped(table))
        {
            return StepResult.Ok();
        }

        return StepResult.Fail(ErrorKind.TablePageUnmapped,
            $"{how} reaches page {table} through __va ({new VirtAddr(__va(table.PhysAddr.Value))}), but the live tables " +
            $"do not map it ({DescribeWalk(table)}): the seed's invariant (every page-table page is mapped in the linear map) is broken");
    }

    /// <summary>Pages from get_zeroed_page are lowmem and always mapped (model-conventions item 20).</summary>
    public bool IsLinearMapped(Pfn pfn) => PageAllocator.IsDynamic(pfn) || Memory.IsMappedInLinearMap(pfn);

    public string DescribeWalk(Pfn pfn)
    {
        var w = Memory.WalkVirt(__va(pfn.PhysAddr.Value));
        return w.Mapped
            ? $"mapped by {w.Level.Name()}[{w.At.Index}] of table {w.At.Table}"
            : $"the walk stops at empty {w.Level.Name()}[{w.At.Index}] of table {w.At.Table}";
    }

    /// <summary>Clears RW on the direct-map PTE of a table page (update_va_mapping; Xen accepts a read-only entry).</summary>
    private void MakeReadOnly(Pfn child)
    {
        Xen!.UpdateVaMapping();
        if (PageAllocator.IsDynamic(child))
        {
            return;
        }

        var w = Memory.WalkVirt(__va(child.PhysAddr.Value));
        if (w.Mapped && w.Level == Level.Pte && w.Entry.Writable)
        {
            Memory.Write(w.At.Table, w.At.Index, new PageTableEntry(w.Entry.Value & ~_PAGE_RW));
        }
    }

    /// <summary>
    /// The overwrite monitor (model-conventions item 31): a present entry replaced by a different
    /// present one must keep every in-use translation that was reachable through it.
    /// </summary>
    private StepResult? CheckOverwrite(Pfn table, Level level, int index, PageTableEntry value, ulong va, string what)
    {
        var old = Memory.Read(table, index);
        if (!old.Present || !value.Present || old == value)
        {
            return null;
        }

        var vaBase = va & ~(EntrySpan(level) - 1);
        var oldRuns = Translations.Of(Memory, old, level, vaBase);
        var newRuns = Translations.Of(Memory, value, level, vaBase);
        if (Translations.FirstLost(oldRuns, newRuns, inUse()) is not { } lost)
        {
            return null;
        }

        var oldWhat = old.Large ? $"the {(level == Level.Pmd ? "2 MiB" : "1 GiB")} leaf {old}" : $"{level.Below().Name()} page {old.Frame}";
        var newWhat = value.Large || level == Level.Pte ? $"leaf {value}" : $"{level.Below().Name()} page {value.Frame}";
        return StepResult.Fail(ErrorKind.OverwrotePresentEntry,
            $"{what} overwrote present {level.Name()}[{index}] of table {table}: it linked {oldWhat}, now {newWhat}; " +
            $"the translation of virtual page {new VirtAddr(lost.Va)} to frame {new PhysAddr(lost.Pa).Pfn} (in use) is lost" +
            (old.Large ? string.Empty : $" — {old.Frame} and the mappings under it are no longer reachable"));
    }
}

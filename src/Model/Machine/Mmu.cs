using BootActors.Model.Kernel;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>
/// The memory side of page-table updates: applies entry reads and writes with the overwrite
/// monitor (model-conventions item 31, the last of item 26's checks) and answers __va reaches
/// (item 30). Xen's checks come before it, in <see cref="BootActors.Model.Xen.XenHypervisor"/>. One instance per
/// machine, owned by the PhysicalMemory actor on the actor host.
/// </summary>
public sealed class Mmu
{
    private readonly KernelGlobals g;
    private readonly Func<InUseFrames> inUse;

    public Mmu(PhysicalMemory memory, KernelGlobals globals, Func<InUseFrames> inUse)
    {
        Memory = memory;
        g = globals;
        this.inUse = inUse;
    }

    public PhysicalMemory Memory { get; }

    /// <summary>Where this step's reads and writes are reported (exploration); null: not recorded.</summary>
    public AccessRecorder? Recorder { get; set; }

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

    public StepResult Read(Pfn table, int index)
    {
        if (Recorder is { } r)
        {
            r.Read(Resource.PageMeta(table));
            r.Read(Resource.Entry(table, index));
        }

        return StepResult.Ok(Memory.Read(table, index).Value);
    }

    /// <summary>set_p?d(entry, value): a leaf or a clear.</summary>
    public StepResult Set(Pfn table, Level level, int index, PageTableEntry value, ulong va)
    {
        Recorder?.Read(Resource.PageMeta(table));
        if (!Memory.IsTablePage(table))
        {
            return StepResult.Fail(ErrorKind.WildWrite,
                $"{SetName(level)} of {level.Name()}[{index}] writes into frame {table}, which is not a page-table page");
        }

        if (CheckOverwrite(table, level, index, value, va, SetName(level)) is { } lost)
        {
            return lost;
        }

        Write(table, level, index, value);
        return StepResult.Ok();
    }

    /// <summary>
    /// phys_pte_init's loop over one PTE page as a single step: the same entry writes as the
    /// per-entry steps, stopping before index <paramref name="stopAt"/> (where Xen refused a leaf).
    /// Returns the pages written (update_page_count's n).
    /// </summary>
    public StepResult PteInitLoop(Pfn pte_page, int firstIndex, ulong addr, ulong end, int stopAt = PTRS_PER_PTE)
    {
        var page = Memory.Find(pte_page);
        if (Recorder is { } r)
        {
            // The loop reads and writes entries from firstIndex on: recorded as the whole page.
            r.Read(Resource.PageMeta(pte_page));
            if (page is not null)
            {
                r.Write(Resource.Page(pte_page));
            }
        }

        if (page is null)
        {
            return StepResult.Fail(ErrorKind.WildWrite, $"phys_pte_init writes into frame {pte_page}, which is not a page-table page");
        }

        // The loop below visits [firstIndex, firstIndex + count) before addr reaches end or stopAt,
        // and clears [clearFrom, 512) when it reached end first at boot. Its leaves are one run
        // (pfn_pte of consecutive frames, one pgprot), so a page held as a run takes it in O(1) —
        // unless an observer must hear of each entry.
        var count = firstIndex >= stopAt || addr >= end
            ? 0
            : (int)Math.Min((ulong)(stopAt - firstIndex), ((end - addr) + PAGE_SIZE - 1) >> PAGE_SHIFT);
        var clearFrom = firstIndex + count < stopAt && !g.after_bootmem ? firstIndex + count : -1;
        var lastFrame = (addr >> PAGE_SHIFT) + (ulong)Math.Max(0, count - 1);
        if (!Memory.FlatPages && Memory.Observer is null && lastFrame <= (PTE_MASK >> PAGE_SHIFT) &&
            page.TryFillRun(firstIndex, count, g.Leaf(addr).Value, PAGE_SIZE, clearFrom) is var written and >= 0)
        {
            return StepResult.Ok((ulong)written);
        }

        var entries = page.Entries;
        var observer = Memory.Observer;
        ulong pages = 0;
        for (var i = firstIndex; i < stopAt; i++, addr += PAGE_SIZE)
        {
            if (addr >= end)
            {
                if (!g.after_bootmem)
                {
                    for (var k = i; observer is not null && k < PTRS_PER_PTE; k++)
                    {
                        if (entries[k] != 0)
                        {
                            observer.EntryChanged(pte_page, page.Level, k, entries[k], 0);
                        }
                    }

                    Array.Clear(entries, i, PTRS_PER_PTE - i);
                }

                break;
            }

            if (entries[i] != 0)
            {
                continue;
            }

            // Written in place, not through Memory.Write, for speed: tell the observer all the same.
            entries[i] = g.Leaf(addr).Value;
            observer?.EntryChanged(pte_page, page.Level, i, 0, entries[i]);
            pages++;
        }

        return StepResult.Ok(pages);
    }

    /// <summary>pmd_populate_kernel / pud_populate / pgd_populate(table[index], child).</summary>
    public StepResult Populate(Pfn table, Level level, int index, Pfn child, ulong va)
    {
        var name = PopulateName(level);
        Recorder?.Read(Resource.PageMeta(table));
        if (!Memory.IsTablePage(table))
        {
            return StepResult.Fail(ErrorKind.WildWrite,
                $"{name} of {level.Name()}[{index}] writes into frame {table}, which is not a page-table page");
        }

        var value = mk_table(child);
        if (CheckOverwrite(table, level, index, value, va, name) is { } lost)
        {
            return lost;
        }

        Write(table, level, index, value);
        return StepResult.Ok();
    }

    /// <summary>
    /// pmd_populate_kernel of each page of <paramref name="run"/> into pmd[<see cref="PtePageRun.Index0"/> + j]
    /// of its pmd page, iteration j at <paramref name="va"/> + j × 2 MiB: <see cref="Populate"/> for each,
    /// the overwrite monitor first for all (each reads only its own entry), then the links written
    /// together. Stops at the first that fails, as the iterations one by one would.
    /// </summary>
    public StepResult PopulateRun(PtePageRun run, ulong va)
    {
        if (!Memory.IsTablePage(run.Table) || Recorder is not null)
        {
            for (var j = 0; j < run.Count; j++)
            {
                if (Populate(run.Table, Level.Pmd, run.Index0 + j, run.PfnOf(j), va + ((ulong)j * PMD_SIZE)) is { IsFatal: true } failed)
                {
                    return failed;
                }
            }

            return StepResult.Ok();
        }

        var name = PopulateName(Level.Pmd);
        var pmd = Memory.Page(run.Table);
        for (var j = pmd.IsEmptyRange(run.Index0, run.Count) ? run.Count : 0; j < run.Count; j++)
        {
            // An empty entry is no overwrite (what CheckOverwrite would find reading it), and nothing records reads here.
            if (pmd[run.Index0 + j] != 0 &&
                CheckOverwrite(run.Table, Level.Pmd, run.Index0 + j, mk_table(run.PfnOf(j)), va + ((ulong)j * PMD_SIZE), name) is { } lost)
            {
                // The iterations before it wrote their entries.
                for (var k = 0; k < j; k++)
                {
                    Write(run.Table, Level.Pmd, run.Index0 + k, mk_table(run.PfnOf(k)));
                }

                return lost;
            }
        }

        Memory.WriteLinks(run);
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
    public bool IsLinearMapped(Pfn pfn)
    {
        if (PageAllocator.IsDynamic(pfn))
        {
            return true;
        }

        if (Recorder is { } r)
        {
            RecordedReads.Walk(r, Memory, __va(pfn.PhysAddr.Value));
        }

        return Memory.IsMappedInLinearMap(pfn);
    }

    public string DescribeWalk(Pfn pfn)
    {
        var w = Memory.WalkVirt(__va(pfn.PhysAddr.Value));
        return w.Mapped
            ? $"mapped by {w.Level.Name()}[{w.At.Index}] of table {w.At.Table}"
            : $"the walk stops at empty {w.Level.Name()}[{w.At.Index}] of table {w.At.Table}";
    }

    /// <summary>update_va_mapping of a read-only entry: clears RW on a direct-map PTE (make_lowmem_page_readonly).</summary>
    public StepResult ClearRw(EntryRef at)
    {
        if (Recorder is { } r)
        {
            r.Read(Resource.PageMeta(at.Table));
            r.Write(Resource.Entry(at.Table, at.Index));
        }

        var e = Memory.Read(at.Table, at.Index);
        Memory.Write(at.Table, at.Index, new PageTableEntry(e.Value & ~_PAGE_RW));
        return StepResult.Ok();
    }

    /// <summary>The entry write; linking a table page also changes which entry links it (what IsReachable follows).</summary>
    private void Write(Pfn table, Level level, int index, PageTableEntry value)
    {
        if (Recorder is { } r)
        {
            r.Write(Resource.Entry(table, index));
            if (level != Level.Pte && value.Present && !value.Large && Memory.IsTablePage(value.Frame))
            {
                r.Write(Resource.PageMeta(value.Frame));
            }
        }

        Memory.Write(table, index, value);
    }

    /// <summary>
    /// The overwrite monitor (model-conventions item 31): a present entry replaced by a different
    /// present one must keep every in-use translation that was reachable through it.
    /// </summary>
    private StepResult? CheckOverwrite(Pfn table, Level level, int index, PageTableEntry value, ulong va, string what)
    {
        Recorder?.Read(Resource.Entry(table, index));
        var old = Memory.Read(table, index);
        if (!old.Present || !value.Present || old == value)
        {
            return null;
        }

        if (Recorder is { } r)
        {
            RecordedReads.Subtree(r, Memory, old, level);
            RecordedReads.Subtree(r, Memory, value, level);
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
        return StepResult.Fail(new FatalEvent(ErrorKind.OverwrotePresentEntry,
            $"{what} overwrote present {level.Name()}[{index}] of table {table}: it linked {oldWhat}, now {newWhat}; " +
            $"the translation of virtual page {new VirtAddr(lost.Va)} to frame {new PhysAddr(lost.Pa).Pfn} (in use) is lost" +
            (old.Large ? string.Empty : $" — {old.Frame} and the mappings under it are no longer reachable"))
        {
            At = new EntryLocation(table, level, index),
        });
    }
}

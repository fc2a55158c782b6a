using BootActors.Model.Kernel;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>The owners' parts of folded phys_pmd_init and phys_pud_init iterations (<see cref="FoldedIterations"/>).</summary>
public sealed partial class Machine
{
    /// <summary>How many phys_pmd_init iterations this machine took folded (the rest ran step by step).</summary>
    public long IterationsFolded { get; private set; }

    /// <summary>How many of phys_pud_init's iterations (a GiB each) this machine took folded, its pmd page's iterations with it.</summary>
    public long PudIterationsFolded { get; private set; }

    /// <summary>
    /// Memory's first part of folded phys_pud_init iterations: how many of the entries from
    /// pud[<see cref="Effect.Index"/>] on, up to the step's count, are empty (pud_none).
    /// </summary>
    private StageOutcome EmptyPudEntries(in Effect e)
    {
        var folded = (FoldedIterations)e.Payload!;
        var page = Memory.Find(e.Table);
        var n = 0;
        if (page is not null && StepsUnwatched && Xen is null)
        {
            n = EmptyEntries(page, e.Index, folded.Count);
        }

        return n == 0 ? StageOutcome.Settled(StepResult.Ok(0)) : StageOutcome.Forwarding(new StageData { Count = n });
    }

    /// <summary>
    /// Memory's end of folded phys_pud_init iterations, once the allocator has handed out
    /// <paramref name="pages"/> (each iteration's pmd page, then its 512 PTE pages without PSE, none
    /// with 2 MiB leaves): each iteration's memset of its pmd page, the pmd page's 512 iterations as
    /// their fold does them (<see cref="FoldedPmdIterations"/>, <see cref="FoldedPmdLeaves"/>), and
    /// pud_populate — the state the steps would leave in whichever order the variant takes them (at
    /// boot nothing else looks in between).
    /// </summary>
    private StepResult FoldedPudIterations(in Effect e, BootPageRange pages)
    {
        var folded = (FoldedIterations)e.Payload!;
        var pmdPage = folded.Inner!;
        var perIteration = folded.PagesPerIteration;
        var ptePages = perIteration - 1;
        var done = pages.Length / perIteration;
        for (var j = 0; j < done; j++)
        {
            var address = e.Value + ((ulong)j * PUD_SIZE);
            var pmd = pages[j * perIteration];
            Memory.Zero(pmd, Level.Pmd, TablePageOrigin.Boot);
            if (ptePages > 0)
            {
                var inner = new Effect(EffectKind.PmdIterations, KernelFn.phys_pmd_init, Level.Pmd, 0, pmd, address, e.Arg, pmdPage);
                FoldedPmdIterations(inner, pages.Slice((j * perIteration) + 1, ptePages), null);
            }
            else
            {
                // 2 MiB leaves: phys_pmd_init counts them (update_page_count(PG_LEVEL_2M, pages)).
                var leaves = new Effect(EffectKind.PmdLeaves, KernelFn.phys_pmd_init, Level.Pmd, 0, pmd, address, e.Arg, pmdPage);
                DirectPagesCount[CountIndex(Level.Pmd)] += (ulong)FoldedIterations.Done(FoldedPmdLeaves(leaves).Value);
            }

            if (Mmu.Populate(e.Table, Level.Pud, e.Index + j, pmd, __va(address)) is { IsFatal: true } failed)
            {
                // EmptyPudEntries checked what could make it fail: the page exists and the entry is empty.
                throw new InvalidOperationException($"folded phys_pud_init iteration {j} of {e}: {failed.Fatal!.Message}");
            }
        }

        PudIterationsFolded += done;
        return StepResult.Ok(FoldedIterations.Result(done, 0));
    }

    /// <summary>
    /// Memory's part of folded phys_pmd_init iterations that map 2 MiB leaves: from
    /// pmd[<see cref="Effect.Index"/>] on, up to the step's count, each empty entry gets its
    /// set_pmd of pfn_pte(address, PAGE_KERNEL_LARGE), as the steps would write it (natively, nothing
    /// watching). Result: the iterations done; none when the first entry is not empty.
    /// </summary>
    private StepResult FoldedPmdLeaves(in Effect e)
    {
        var folded = (FoldedIterations)e.Payload!;
        var page = Memory.Find(e.Table);
        if (page is null || !StepsUnwatched || Xen is not null)
        {
            return StepResult.Ok(0);
        }

        var n = EmptyEntries(page, e.Index, folded.Count);
        if (!Memory.TryFillEmpty(page, e.Index, n, Globals.LargeLeaf(e.Value).Value, PMD_SIZE))
        {
            for (var j = 0; j < n; j++)
            {
                var address = e.Value + ((ulong)j * PMD_SIZE);
                if (Mmu.Set(e.Table, Level.Pmd, e.Index + j, Globals.LargeLeaf(address), __va(address)) is { IsFatal: true } failed)
                {
                    // The entries are empty and the page is a table page: nothing for the monitor to refuse.
                    throw new InvalidOperationException($"folded phys_pmd_init leaf {j} of {e}: {failed.Fatal!.Message}");
                }
            }
        }

        IterationsFolded += n;
        return StepResult.Ok(FoldedIterations.Result(n, 0));
    }

    /// <summary>
    /// Memory's first part: how many of the entries from pmd[<see cref="Effect.Index"/>] on, up to the
    /// step's count, are empty (pmd_none), the iterations that would all take the fresh-page path. None:
    /// the step does nothing and the loop goes on step by step.
    /// </summary>
    private StageOutcome EmptyPmdEntries(in Effect e)
    {
        var folded = (FoldedIterations)e.Payload!;
        var page = Memory.Find(e.Table);
        var n = 0;

        // Under Xen a linked pmd page too: the hypervisor's part stops where a page's checks would
        // depend on the iterations before it (XenHypervisor.FoldedHypercalls).
        if (page is not null && StepsUnwatched)
        {
            n = EmptyEntries(page, e.Index, folded.Count);
        }

        return n == 0 ? StageOutcome.Settled(StepResult.Ok(0)) : StageOutcome.Forwarding(new StageData { Count = n });
    }

    /// <summary>
    /// Memory's end, once the allocator has handed out <paramref name="pages"/>: each iteration's
    /// memset, phys_pte_init's fill, update_page_count and pmd_populate_kernel, as its steps do them.
    /// Result: the iterations done (one per page).
    /// </summary>
    private StepResult FoldedPmdIterations(in Effect e, BootPageRange pages, EntryRef?[]? readOnly)
    {
        var end = e.Arg;
        var writesDirectMap = 0;
        for (var j = 0; j < pages.Length; j++)
        {
            var address = e.Value + ((ulong)j * PMD_SIZE);
            if (WholePtePages(e, pages, j) is var whole and > 0)
            {
                // Pages each filled whole by phys_pte_init: one run of pages (what Zero and
                // PteInitLoop would have made of each), then each iteration's pmd_populate_kernel.
                var pfnStep = whole > 1 ? pages.Step : 1;
                var run = new PtePageRun(pages[j], pfnStep, whole, e.Table, e.Index + j, Globals.Leaf(address).Value);
                Memory.AddPteRun(run);
                DirectPagesCount[CountIndex(Level.Pte)] += (ulong)whole * PTRS_PER_PTE;
                if (Mmu.PopulateRun(run, __va(address)) is { IsFatal: true } failed)
                {
                    throw new InvalidOperationException($"folded phys_pmd_init iterations {j}..{j + whole - 1} of {e}: {failed.Fatal!.Message}");
                }

                j += whole - 1;
                continue;
            }

            var pte = pages[j];
            Memory.Zero(pte, Level.Pte, TablePageOrigin.Boot);
            var filled = Mmu.PteInitLoop(pte, pte_index(address), address, end);
            DirectPagesCount[CountIndex(Level.Pte)] += filled.Value;
            if (readOnly?[j] is { } ro)
            {
                // update_va_mapping's write: make_lowmem_page_readonly of the new page.
                Mmu.ClearRw(ro);
                writesDirectMap++;
            }

            var linked = Mmu.Populate(e.Table, Level.Pmd, e.Index + j, pte, __va(address));
            if (filled.IsFatal || linked.IsFatal)
            {
                // EmptyPmdEntries checked what could make them fail: the page exists and the entries are empty.
                throw new InvalidOperationException($"folded phys_pmd_init iteration {j} of {e}: {(filled.Fatal ?? linked.Fatal)!.Message}");
            }
        }

        IterationsFolded += pages.Length;
        return StepResult.Ok(FoldedIterations.Result(pages.Length, Xen is null ? 0 : pages.Length - writesDirectMap));
    }

    /// <summary>How many entries from <paramref name="index"/> on, at most <paramref name="count"/>, are empty, one after another.</summary>
    private static int EmptyEntries(TablePage page, int index, int count)
    {
        var n = Math.Min(count, PTRS_PER_PTE - index);
        if (page.IsEmptyRange(index, n))
        {
            return n;
        }

        var k = 0;
        while (k < n && page[index + k] == 0)
        {
            k++;
        }

        return k;
    }

    /// <summary>
    /// How many iterations from <paramref name="j"/> on get a fresh frame that phys_pte_init fills
    /// whole (all 512 entries, below end) with leaves that go on from one page to the next (the
    /// frames of a <see cref="BootPageRange"/> go on in one direction): those pages can be one
    /// <see cref="PtePageRun"/>. Only natively (Xen's update_va_mapping writes into the direct map's
    /// own PTE pages as it goes) and in the compact representation.
    /// </summary>
    private int WholePtePages(in Effect e, BootPageRange pages, int j)
    {
        if (Xen is not null || Memory.FlatPages || !StepsUnwatched)
        {
            return 0;
        }

        var first = e.Value + ((ulong)j * PMD_SIZE);
        var leaf = Globals.Leaf(first).Value;
        if (pte_index(first) != 0 || first >= e.Arg)
        {
            return 0;
        }

        // Every 2 MiB below end, and every frame within PTE_MASK, where pfn_pte only adds the
        // frame to the same flags: the leaves go on from page to page, which the last one shows;
        // else as far as they do.
        var below = Math.Min((e.Arg - first) / PMD_SIZE, first > PTE_MASK ? 0 : (PTE_MASK + PAGE_SIZE - first) / PMD_SIZE);
        var most = (int)Math.Min((ulong)(pages.Length - j), below);
        var n = most;
        if (n > 0 && Globals.Leaf(first + ((ulong)(n - 1) * PMD_SIZE)).Value != leaf + ((ulong)(n - 1) * PMD_SIZE))
        {
            n = 0;
            while (n < most && Globals.Leaf(first + ((ulong)n * PMD_SIZE)).Value == leaf + ((ulong)n * PMD_SIZE))
            {
                n++;
            }
        }

        return n == 0 ? 0 : BeforeFirstTablePage(pages, j, n);
    }

    /// <summary>
    /// How many of the <paramref name="n"/> frames from pages[<paramref name="j"/>] on, which go on by
    /// one frame each (up or down), come before the first that already holds a table page.
    /// </summary>
    private int BeforeFirstTablePage(BootPageRange pages, int j, int n)
    {
        var up = n == 1 || pages.Step > 0;
        var low = up ? pages[j] : pages[j + n - 1];
        var end = new Pfn(low.Value + (ulong)n);
        if (Memory.FirstTablePageIn(low, end) is not { } found)
        {
            return n;
        }

        if (up)
        {
            return (int)(found.Value - pages[j].Value);
        }

        // Handed out top-down: the first in iteration order is the highest.
        var highest = found;
        while (Memory.FirstTablePageIn(new Pfn(highest.Value + 1), end) is { } next)
        {
            highest = next;
        }

        return (int)(pages[j].Value - highest.Value);
    }
}

using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Workload;
using BootActors.Model.Tests.Support;
using Xunit;
using static BootActors.Model.Paging.X86;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Memory;

/// <summary>
/// The whole PTE pages of folded phys_pmd_init iterations are held as runs of pages
/// (<see cref="PtePageRun"/>): they read as the pages the boot makes step by step, the end-of-run
/// checks and the summary read them without making them, a copy that writes one makes its own, and
/// threads that ask for the same page at once get one page.
/// </summary>
public class PtePageRunTests
{
    private const ulong GiB = 1UL << 30;
    private const ulong MiB = 1UL << 20;

    private static MachineConfig NoPse(AllocOrder order) => new()
    {
        // A hole, so that some iterations fall short of a whole page and are made one by one.
        E820 = E820Map.FromEntries([new E820Entry(0, 6 * GiB, E820Type.Ram), new E820Entry(GiB + (3 * MiB), GiB + (11 * MiB), E820Type.Reserved)]),
        Pse = false,
        AllocOrder = order,
    };

    [Theory]
    [InlineData(AllocOrder.BottomUp)]
    [InlineData(AllocOrder.TopDown)]
    public void ABootWithoutPseHoldsItsWholePtePagesAsRunsThatTheEndOfRunReadersDoNotMake(AllocOrder order)
    {
        var stepped = Simulation.Run(NoPse(order) with { StepEveryIteration = true }, WorkloadPlan.BootOnly);
        var run = Simulation.Run(NoPse(order), WorkloadPlan.BootOnly);
        var memory = run.Machine.Memory;
        Assert.Null(run.Stop);
        Assert.Equal(Json(stepped.Summary()), Json(run.Summary()));

        // Simulation.Run's end-of-run checks and Summary have read every page: still held as runs.
        var made = stepped.Machine.Allocator.HandedOut(Level.Pte);
        var held = memory.TablePageHeaders.Where(h => memory.PteRunOf(h.Pfn) is not null).ToList();
        Assert.InRange(held.Count, made * 95 / 100, made);
        Assert.Equal(stepped.Machine.Memory.TablePages.Select(TablePageHeader.Of), memory.TablePageHeaders);
        foreach (var h in held)
        {
            foreach (var i in new[] { 0, 1, 300, PTRS_PER_PTE - 1 })
            {
                Assert.Equal(stepped.Machine.Memory.Read(h.Pfn, i), memory.Read(h.Pfn, i));
            }
        }

        Assert.All(held, h => Assert.NotNull(memory.PteRunOf(h.Pfn)));
    }

    [Theory]
    [InlineData(AllocOrder.BottomUp, 0)]
    [InlineData(AllocOrder.BottomUp, 77)]
    [InlineData(AllocOrder.BottomUp, 200)]
    [InlineData(AllocOrder.TopDown, 77)]
    [InlineData(AllocOrder.BottomUp, -1)]
    [InlineData(AllocOrder.TopDown, -1)]
    public void TheEndOfRunReadersFindALinkBrokenInsideARunAsInTheFlatPages(AllocOrder order, int at)
    {
        // pmd entry `at` of the second GiB's pmd page cleared, or pointed at the next frame; -1: the
        // pud entry that links that pmd page cleared (its pmd page still a run of links).
        foreach (var shift in new[] { false, true })
        {
            var compact = Broken(NoPse(order), at, shift);
            var flat = Broken(NoPse(order) with { FlatTablePages = true }, at, shift);

            Assert.NotNull(compact.FirstUnlinkedAllocatedPage());
            Assert.Equal(flat.FirstUnlinkedAllocatedPage(), compact.FirstUnlinkedAllocatedPage());
            Assert.Equal(Simulation.Mapped(flat), Simulation.Mapped(compact));
        }
    }

    [Theory]
    [InlineData(AllocOrder.BottomUp)]
    [InlineData(AllocOrder.TopDown)]
    public void AFoldStopsBeforeABootPageThatAlreadyHoldsATablePage(AllocOrder order)
    {
        // A table page planted at the 600th frame the early buffer hands out, in the middle of a
        // pmd page's iterations: the fold makes no run over it, and the boot ends as the stepped one.
        var config = NoPse(order);
        var probe = Simulation.Run(config, WorkloadPlan.BootOnly).Machine.Allocator;
        var planted = new Pfn(order == AllocOrder.BottomUp ? probe.table_start + 600 : probe.table_top - 1 - 600);

        var (folded, foldedStop) = Boot(config, planted);
        var (stepped, steppedStop) = Boot(config with { StepEveryIteration = true }, planted);

        Assert.True(folded.IterationsFolded > 1000, $"{folded.IterationsFolded} folded");
        Assert.Equal(steppedStop?.ToString(), foldedStop?.ToString());
        Assert.Null(MachineState.Of(stepped).FirstTableDifference(MachineState.Of(folded)));
        Assert.Equal(MachineState.Of(stepped).DirectPages, MachineState.Of(folded).DirectPages);
        Assert.Null(folded.Memory.PteRunOf(planted));
    }

    private static (BootActors.Model.Machine.Machine Machine, BootActors.Model.Interpreter.RunStop? Stop) Boot(MachineConfig config, Pfn planted)
    {
        var m = new BootActors.Model.Machine.Machine(config);
        m.Memory.Zero(planted, Level.Pte, TablePageOrigin.Static);
        var cpu = new CpuContext(0);
        var stop = new BootActors.Model.Interpreter.SequentialInterpreter(m).Run(
            [new BootActors.Model.Interpreter.CpuThread(cpu, m.Code.InitMemoryMapping(cpu, 0, m.End), "boot")]);
        return (m, stop);
    }

    [Fact]
    public void LinksHeldAsOneRunThatLinkTheWrongFramesAreFound()
    {
        // A pmd page whose links are still one run, but each one frame past the page it should link.
        var memory = Simulation.Run(NoPse(AllocOrder.BottomUp), WorkloadPlan.BootOnly).Machine.Memory;
        var run = memory.TablePageHeaders.Select(h => memory.PteRunOf(h.Pfn)).First(r => r is { Count: >= 128 })!;
        var pmd = memory.Page(run.Table);
        var (parent, origin, links) = (pmd.Parent, pmd.Origin, pmd.Run!);
        Assert.Equal(PAGE_SIZE, links.Stride);
        memory.Zero(run.Table, Level.Pmd, origin);
        pmd.Parent = parent;
        Assert.True(pmd.TryFillRun(links.Lo, links.Count, links.First + PAGE_SIZE, PAGE_SIZE, -1) > 0);

        var expected = memory.TablePageHeaders.First(h => h.Level == Level.Pte && h.Origin == TablePageOrigin.Boot &&
            memory.Read(h.Parent!.Value.Table, h.Parent.Value.Index) is var e && (!e.Present || e.Large || e.Frame != h.Pfn));
        Assert.Equal(expected, memory.FirstUnlinkedAllocatedPage());
        Assert.NotNull(memory.Find(run.Table)!.Run);

        // The check of a chunk's 64 links at once, on this page and on a right one.
        var at = links.Lo + 64;
        var frame = new PageTableEntry(pmd[at]).Frame.Value;
        Assert.False(PhysicalMemory.LinksInOneRun(pmd, at, frame - 1, 64));
        Assert.True(PhysicalMemory.LinksInOneRun(pmd, at, frame, 64));
        Assert.False(PhysicalMemory.LinksInOneRun(pmd, links.Hi - 32, frame, 64));
    }

    private static PhysicalMemory Broken(MachineConfig config, int at, bool shift)
    {
        var memory = Simulation.Run(config, WorkloadPlan.BootOnly).Machine.Memory;
        var pmd = memory.TablePageHeaders.Where(h => h.Level == Level.Pmd && h.Origin == TablePageOrigin.Boot).OrderBy(h => h.Pfn.Value).First();
        var (table, index) = at < 0 ? (pmd.Parent!.Value.Table, pmd.Parent.Value.Index) : (pmd.Pfn, at);
        var e = memory.Read(table, index);
        memory.Write(table, index, shift ? new PageTableEntry(e.Value + PAGE_SIZE) : PageTableEntry.None);
        return memory;
    }

    [Fact]
    public void APageMadeFromItsRunIsThePageTheStepsMake()
    {
        var stepped = Simulation.Run(NoPse(AllocOrder.BottomUp) with { StepEveryIteration = true }, WorkloadPlan.BootOnly).Machine.Memory;
        var memory = Simulation.Run(NoPse(AllocOrder.BottomUp), WorkloadPlan.BootOnly).Machine.Memory;
        var pfn = memory.TablePageHeaders.First(h => memory.PteRunOf(h.Pfn) is not null).Pfn;

        var page = memory.Find(pfn)!;
        var expected = stepped.Find(pfn)!;
        Assert.Null(memory.PteRunOf(pfn));
        Assert.Same(page, memory.Find(pfn));
        Assert.Equal((expected.Level, expected.Origin, expected.Parent), (page.Level, page.Origin, page.Parent));
        Assert.Equal(expected.Run?.ToString(), page.Run?.ToString());
        Assert.Equal(Enumerable.Range(0, PTRS_PER_PTE).Select(i => expected[i]), Enumerable.Range(0, PTRS_PER_PTE).Select(i => page[i]));
    }

    [Fact]
    public void ACopyThatWritesARunsPageMakesItsOwnAndLeavesTheOriginalHeldAsARun()
    {
        var boot = Simulation.SnapshotAfterBoot(NoPse(AllocOrder.BottomUp)).Machine;
        var pfns = boot.Memory.TablePageHeaders.Where(h => boot.Memory.PteRunOf(h.Pfn) is not null).Select(h => h.Pfn).Take(3).ToList();
        var before = pfns.Select(p => boot.Memory.Read(p, 7)).ToList();

        var copy = boot.Clone();
        var other = boot.Clone();
        copy.Memory.Write(pfns[1], 7, PageTableEntry.None);

        Assert.Equal(PageTableEntry.None, copy.Memory.Read(pfns[1], 7));
        Assert.Null(copy.Memory.PteRunOf(pfns[1]));
        Assert.NotNull(copy.Memory.PteRunOf(pfns[0]));
        Assert.Equal(before, pfns.Select(p => boot.Memory.Read(p, 7)));
        Assert.Equal(before, pfns.Select(p => other.Memory.Read(p, 7)));
        Assert.All(pfns, p => Assert.NotNull(boot.Memory.PteRunOf(p)));
        Assert.All(pfns, p => Assert.NotNull(other.Memory.PteRunOf(p)));
    }

    [Fact]
    public void ThreadsThatAskForTheSameRunsPagesAtOnceGetOnePageEach()
    {
        var memory = Simulation.Run(NoPse(AllocOrder.BottomUp), WorkloadPlan.BootOnly).Machine.Memory;
        var pfns = memory.TablePageHeaders.Where(h => memory.PteRunOf(h.Pfn) is not null).Select(h => h.Pfn).ToArray();
        Assert.True(memory.PteRunChunks > 0, "no chunk is held whole by a run: the split of one is not tested");
        const int threads = 4;
        var seen = new TablePage[threads][];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var mine = new TablePage[pfns.Length];
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            for (var k = 0; k < pfns.Length; k++)
            {
                // Half the threads walk backwards, so that they meet the others mid-way.
                var at = t % 2 == 0 ? k : pfns.Length - 1 - k;
                mine[at] = memory.Find(pfns[at])!;
            }

            seen[t] = mine;
        })).ToList();
        workers.ForEach(w => w.Start());
        Assert.All(workers, w => Assert.True(w.Join(TimeSpan.FromSeconds(60)), "a reader did not finish"));

        for (var k = 0; k < pfns.Length; k++)
        {
            var page = memory.Find(pfns[k]);
            Assert.All(seen, s => Assert.Same(page, s[k]));
            Assert.Null(memory.PteRunOf(pfns[k]));
        }
    }
}

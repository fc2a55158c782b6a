using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Tests.Support;
using BootActors.Model.Workload;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Xen;

/// <summary>
/// Folded phys_pmd_init iterations into a pmd page Xen already holds as a table (the first GiB's,
/// level2_ident_pgt from the domain builder): each populate makes Xen validate the new PTE page
/// then. The boot must be the one that steps every iteration gives — state, counters, log and
/// refusal — including where the fold has to stop because a page's checks would depend on the
/// iterations before it (its frame lies in what they map).
/// </summary>
public class LinkedPmdFoldTests
{
    public static TheoryData<string, ulong, bool> Boots() => new()
    {
        // Bottom-up: the PTE pages come from the table buffer inside the builder's initial map.
        { "fixed", 2, false },
        { "after", 16, false },

        // Top-down: the first PTE page (74 MiB) lies in the first GiB's empty entries, which the
        // fold would map; the loop steps it, and its alloc hook finds it unmapped.
        { "after", 16, true },
        { "fixed", 16, true },

        // Without preserve_existing the fresh tables are validated when the pgd populate links them.
        { "no-preserve-existing", 4, false },
    };

    [Theory]
    [MemberData(nameof(Boots))]
    public void AFoldedXenBootEndsAsTheSteppedOneDoes(string variant, ulong gib, bool topDown)
    {
        var config = Flat(gib * GiB, Of(variant), xen: true, order: topDown ? AllocOrder.TopDown : AllocOrder.BottomUp);

        var folded = Simulation.Run(config, WorkloadPlan.BootOnly);
        var stepped = Simulation.Run(config with { StepEveryIteration = true }, WorkloadPlan.BootOnly);

        Assert.Equal(0, stepped.Machine.IterationsFolded);
        Assert.True(topDown || folded.Machine.IterationsFolded > 0, "nothing folded");
        Assert.Equal(Json(stepped.Summary()), Json(folded.Summary()));
        Assert.Equal(stepped.Steps, folded.Steps);
        Assert.Equal(stepped.Log, folded.Log);
        Assert.Equal(stepped.Stop?.ToString(), folded.Stop?.ToString());
        Assert.Null(MachineState.Of(stepped.Machine).FirstTableDifference(MachineState.Of(folded.Machine)));
        Assert.Equal(MachineState.Of(stepped.Machine).XenAliases, MachineState.Of(folded.Machine).XenAliases);
        Assert.Equal(Hypercalls(stepped), Hypercalls(folded));
    }

    [Fact]
    public void TheFirstGiBsEmptyEntriesAreFoldedUnderXen()
    {
        // 1 GiB: only pud[0] → level2_ident_pgt, which is linked from the start. Every entry the
        // initial map left empty takes the fresh-page path, one folded step for all of them.
        var config = Flat(1 * GiB, KernelVariant.Fixed, xen: true);

        var r = Simulation.Run(config, WorkloadPlan.BootOnly);

        Assert.Equal(Outcome.Ok, r.Outcome);
        var pte = (long)r.Summary().TablePages.Pte;
        Assert.True(pte > 400, $"{pte} PTE pages");
        Assert.Equal(pte, r.Machine.IterationsFolded);
    }

    [Fact]
    public void AFoldStopsAtAPageInsideTheRangeItMaps()
    {
        // Top-down, 16 GiB: PTE page 0x4a2c (74 MiB) is the first handed out and lies in
        // pmd[37] of the first GiB's empty entries: the fold of pmd[26..] stops before it, so the
        // step-by-step loop finds it unmapped (make_lowmem_page_readonly's BUG).
        var config = Flat(16 * GiB, KernelVariant.After, xen: true, order: AllocOrder.TopDown);

        var r = Simulation.Run(config, WorkloadPlan.BootOnly);

        Assert.Equal(0, r.Machine.IterationsFolded);
        Assert.Equal("table_page_unmapped", Error(r.Summary()));
        Assert.Contains("0x4a2c", r.Stop!.Fatal.Message);
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    public void AFoldIntoALinkedPmdPageStopsWhereXensValidationOfTheFilledPageRefuses(int tableIn, int folded)
    {
        // Two iterations into empty entries 100 and 101 of the builder's linked level2_ident_pgt,
        // with a page-table frame (a static table, as head_64.S's) inside the 2 MiB the first or
        // the second maps: that PTE page's leaves would map it writable.
        var (m, pmd, pages) = LinkedFold(tableIn);

        var data = m.Xen!.FoldedHypercalls(pmd, 100, 100 * PmdSize, 1 * GiB, pages, m.Globals.__supported_pte_mask);

        Assert.Equal(folded, data.Count);
        if (tableIn >= 0)
        {
            // What the step-by-step loop's populate of that page gets, once phys_pte_init filled it.
            var (n, p, ps) = LinkedFold(tableIn);
            var pte = ps[tableIn];
            var at = (ulong)(100 + tableIn) * PmdSize;
            n.Memory.Zero(pte, Level.Pte, TablePageOrigin.Boot);
            Assert.False(n.Mmu.PteInitLoop(pte, 0, at, 1 * GiB).IsFatal);
            var refusal = n.Xen!.CheckPopulate(p, Level.Pmd, 100 + tableIn, pte, 0xffff880000000000UL + at, "pmd_populate_kernel");
            Assert.Contains("maps page-table frame", refusal);
        }
    }

    private const ulong PmdSize = 2 * MiB;

    private static (Machine.Machine M, Pfn Pmd, BootPageRange Pages) LinkedFold(int tableIn)
    {
        var m = new Machine.Machine(Flat(4 * GiB, KernelVariant.Fixed, xen: true));
        var pmd = m.Memory.TablePages.First(p => p.Level == Level.Pmd && m.Memory.IsReachable(p.Pfn)).Pfn;
        Assert.Equal(0UL, m.Memory.Read(pmd, 100).Value | m.Memory.Read(pmd, 101).Value);

        // Two free frames in the initial map (below 28 MiB, above the builder's tables).
        var pages = new BootPageRange(new Pfn(0x1b00), 1, 2);
        Assert.False(m.Memory.IsTablePage(pages[0]) || m.Memory.IsTablePage(pages[1]));
        if (tableIn >= 0)
        {
            m.Memory.Zero(new Pfn((((ulong)(100 + tableIn) * PmdSize) >> 12) + 7), Level.Pte, TablePageOrigin.Static);
        }

        return (m, pmd, pages);
    }

    private static KernelVariant Of(string variant) => variant switch
    {
        "fixed" => KernelVariant.Fixed,
        "after" => KernelVariant.After,
        _ => Variant(Hunks.All & ~Hunks.PreserveExisting),
    };

    private static string Hypercalls(RunResult r) => r.Machine.Xen is { } x
        ? $"{x.MmuUpdates} {x.TrappedPteWrites} {x.UpdateVaMappings} {x.MmuextOps}"
        : "native";
}

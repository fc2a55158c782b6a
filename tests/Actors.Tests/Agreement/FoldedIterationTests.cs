using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Actors.Tests.Host;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using CsCheck;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// Folded phys_pmd_init iterations on the controlled actor host: a boot without PSE whose iterations
/// are folded delivers, numbers and bounds exactly as the same boot taken step by step
/// (<see cref="MachineConfig.StepEveryIteration"/>) — the same summary, tables, dmesg, full state,
/// delivery count and interleaving — and a delivery bound that falls inside the boot stops it at
/// the same delivery with the same state.
/// </summary>
public sealed class FoldedIterationTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    public static TheoryData<string, int, int, bool> Machines() => new()
    {
        { "fixed", 1, 0, false },
        { "fixed", 3, 0, false },
        { "fixed", 2, 1, false },
        { "unlocked", 1, 0, false },
        { "unlocked", 2, 1, false },
        { "fixed", 1, 0, true },
        { "fixed", 2, 0, true },
        { "unlocked", 2, 0, true },
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void AFoldedBootDeliversWhatTheStepByStepOneDelivers(string variant, int cpus, int topDown, bool xen)
    {
        var config = Machine(6 * GiB, variant, cpus, topDown == 1, xen);
        var plan = WorkloadPlan.Sequence(new HotAdd(cpus - 1, 8 * GiB, 64 * MiB), new Touch(0, 8 * GiB, 4, 2 * MiB));
        var (stepped, folded) = Both(config, plan, Options());

        AssertSame(stepped, folded);
        Assert.True(folded.Result.Machine.IterationsFolded > 2_000, $"{folded.Result.Machine.IterationsFolded} iterations folded");
        Assert.Equal(Hypercalls(stepped), Hypercalls(folded));

        // Natively GiBs 1-5 fold a level up (GiB 0 is level2_ident_pgt's); under Xen none do.
        Assert.Equal(xen ? 0 : 5, folded.Result.Machine.PudIterationsFolded);
    }

    [Theory]
    [InlineData("fixed", 1, 0, 5)]
    [InlineData("fixed", 2, 1, 5)]
    [InlineData("unlocked", 1, 0, 5)]
    [InlineData("before", 1, 0, 6)]
    public void AFoldedBootWithTwoMiBLeavesDeliversWhatTheStepByStepOneDelivers(string variant, int cpus, int topDown, int gibs)
    {
        // With PSE each 2 MiB is a leaf phys_pmd_init writes: runs of them fold, and whole GiBs a
        // level up (past the first, level2_ident_pgt's, from the seed on).
        var config = Machine(6 * GiB, variant, cpus, topDown == 1, pse: true);
        var plan = WorkloadPlan.Sequence(new HotAdd(cpus - 1, 8 * GiB, 64 * MiB), new Touch(0, 8 * GiB, 4, 2 * MiB));
        var (stepped, folded) = Both(config, plan, Options());

        AssertSame(stepped, folded);
        Assert.Equal(gibs, folded.Result.Machine.PudIterationsFolded);
        Assert.True(folded.Result.Machine.IterationsFolded >= gibs * 512, $"{folded.Result.Machine.IterationsFolded} iterations folded");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void RandomDeliveryBoundsInsideTheBootStopAtTheSameDelivery(bool xen, bool pse)
    {
        var config = Machine(pse ? 4 * GiB : 2 * GiB, "fixed", 1, topDown: false, xen, pse);
        var whole = fixture.Host.Run(config with { StepEveryIteration = true }, WorkloadPlan.BootOnly, Options()).Delivered;
        var folds = 0L;
        Gen.Long[1, whole - 1].Sample(bound =>
        {
            var (stepped, folded) = Both(config, WorkloadPlan.BootOnly, Options() with { MaxSteps = bound });
            Assert.Equal(RunLimit.Deliveries, RunLimits.Of(folded.Result.Stop));
            Assert.Equal(bound, folded.Delivered);
            AssertSame(stepped, folded);
            folds += folded.Result.Machine.IterationsFolded;
        }, iter: 12, threads: 1);
        Assert.True(folds > 0, "no bound left room for a fold");
    }

    [Fact]
    public void ABootThatUsesUpTheTableBufferPanicsAtTheSameDelivery()
    {
        // Without the hunk that counts PTE pages in find_early_table_space, alloc_low_page runs out.
        var config = Machine(4 * GiB, "fixed", 1, topDown: false) with { Variant = new KernelVariant(Hunks.All & ~Hunks.TableSpacePtes, Fixes.All) };
        var (stepped, folded) = Both(config, WorkloadPlan.BootOnly, Options());
        Assert.Equal(ErrorKind.Panic, folded.Result.Stop?.Fatal.Kind);
        AssertSame(stepped, folded);
        Assert.True(folded.Result.Machine.IterationsFolded > 0);
    }

    [Fact]
    public void NothingIsFoldedWhereTheStrategySeesEveryDeliveryOrATraceIsKept()
    {
        var config = Machine(3 * GiB, "fixed", 1, topDown: false);
        var fifo = fixture.Host.Run(config, WorkloadPlan.BootOnly, Options() with { Strategy = new FifoStrategy() });
        var traced = fixture.Host.Run(config, WorkloadPlan.BootOnly, Options() with { Trace = new MemoryTraceSink(new TraceHeader("boot", "controlled", 11, "random", new Topology(1, false).Names)) });
        var freeTraced = fixture.Host.Run(config, WorkloadPlan.BootOnly, Options() with
        {
            Mode = HostMode.Free,
            Trace = new MemoryTraceSink(new TraceHeader("boot", "free", null, "free", new Topology(1, false).Names)),
        });
        var folded = fixture.Host.Run(config, WorkloadPlan.BootOnly, Options());

        Assert.Equal(0, traced.Result.Machine.IterationsFolded);
        Assert.Equal(0, freeTraced.Result.Machine.IterationsFolded);
        Assert.True(folded.Result.Machine.IterationsFolded > 0);
        Assert.Equal(traced.Delivered, freeTraced.Delivered);
        Assert.Equal(traced.Delivered, folded.Delivered);
        Assert.Equal(fifo.Delivered, folded.Delivered);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    public void AFreeRunFoldsItsBootAndDeliversWhatItsSteppedBootDelivers(bool xen, int cpus)
    {
        // Free mode has no conductor, but at boot only CPU0 runs, one step at a time: the same folds.
        var config = Machine(3 * GiB, "fixed", cpus, topDown: false, xen);
        var (stepped, folded) = Both(config, WorkloadPlan.BootOnly, Options() with { Mode = HostMode.Free });

        Assert.True(folded.Result.Machine.IterationsFolded > 500, $"{folded.Result.Machine.IterationsFolded} iterations folded");
        AssertSame(stepped, folded);
        Assert.Equal(Hypercalls(stepped), Hypercalls(folded));
    }

    private (ActorRunResult Stepped, ActorRunResult Folded) Both(MachineConfig config, WorkloadPlan plan, ActorRunOptions options)
    {
        var stepped = fixture.Host.Run(config with { StepEveryIteration = true }, plan, options);
        var folded = fixture.Host.Run(config, plan, options);
        Assert.Equal(0, stepped.Result.Machine.IterationsFolded);
        return (stepped, folded);
    }

    private static void AssertSame(ActorRunResult stepped, ActorRunResult folded)
    {
        Assert.Equal(stepped.Delivered, folded.Delivered);
        Assert.Equal(stepped.Interleaving, folded.Interleaving);
        Assert.Equal(HostAgreementTests.Json(stepped.Result.Summary()), HostAgreementTests.Json(folded.Result.Summary()));
        Assert.Equal(HostAgreementTests.Tables(stepped.Result), HostAgreementTests.Tables(folded.Result));
        Assert.Equal(stepped.Result.Log, folded.Result.Log);
        Assert.Equal(stepped.Result.Stop?.ToString(), folded.Result.Stop?.ToString());
        Assert.Equal(FullState.Of(stepped.Result.Machine), FullState.Of(folded.Result.Machine));
    }

    private static string Hypercalls(ActorRunResult r) => r.Result.Machine.Xen is { } x
        ? $"{x.MmuUpdates} {x.TrappedPteWrites} {x.UpdateVaMappings} {x.MmuextOps} {string.Join(",", x.WritableAliases.Order())}"
        : "native";

    private static ActorRunOptions Options() => Shipped.Options(seed: 11) with { Timeout = TimeSpan.FromSeconds(120) };

    private static MachineConfig Machine(ulong ram, string variant, int cpus, bool topDown, bool xen = false, bool pse = false) => new()
    {
        E820 = xen ? E820Map.FromMemorySize(ram) : E820Map.FromEntries([new E820Entry(0, 0x9f000, E820Type.Ram), new E820Entry(0x100000, ram, E820Type.Ram)]),
        Xen = xen,
        Pse = pse,
        // "unlocked": without 8ae3a5a8dff, whose iterations take init_mm.page_table_lock around the populate.
        Variant = variant == "unlocked" ? new KernelVariant(Hunks.All, Fixes.All & ~Fixes.HotplugLocking) : KernelVariant.Named(variant),
        Cpus = cpus,
        AllocOrder = topDown ? AllocOrder.TopDown : AllocOrder.BottomUp,
    };
}

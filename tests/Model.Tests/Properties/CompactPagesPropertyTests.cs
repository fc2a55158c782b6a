using System.Globalization;
using System.Text;
using BootActors.Model.E820;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;
using BootActors.Model.Workload;
using CsCheck;
using Xunit;
using static BootActors.Model.Tests.Support.Runs;

namespace BootActors.Model.Tests.Properties;

/// <summary>
/// Holding uniform table pages as runs changes nothing a user can see: for random machines
/// (native or Xen, any hunks and fixes, PSE or not, either allocation order and PTE grain) and
/// random workloads after the boot (hot-adds, aligned or not, touches, hot-removes with either
/// flush), the run with compact pages and the run with every page held as 512 entries
/// (<see cref="MachineConfig.FlatTablePages"/>) give the same summary, log, error (stale-TLB
/// positions included), page tables, TLB contents and step count.
/// </summary>
public class CompactPagesPropertyTests
{
    private const ulong Page = 0x1000;

    public sealed record Case(MachineConfig Config, WorkloadPlan Plan)
    {
        public override string ToString()
        {
            var c = Config;
            var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"end {Hex(c.E820.EndOfRamPfn() << 12)} xen={c.Xen} pse={c.Pse} gbpages={c.Gbpages} ");
            sb.Append(CultureInfo.InvariantCulture, $"{c.Variant} order={c.AllocOrder} grain={c.Grain} cpus={c.Cpus} flush={c.RemoveFlush} e820=[");
            sb.AppendJoin(", ", c.E820.Entries.Select(e => $"{Hex(e.Start)}-{Hex(e.End)} {e.Type}"));
            sb.Append("] workload: ");
            sb.AppendJoin(" | ", Plan.Steps.Select(s => (s.Concurrent ? "concurrently " : "") + string.Join("; ", s.Events.Select(e => e.Describe()))));
            return sb.ToString();
        }
    }

    // RAM end: whole 2 MiB pages or not, up to 3 GiB so that no-PSE boots at entry grain stay quick.
    private static readonly Gen<ulong> GenEnd = Gen.Frequency(
        (3, Gen.ULong[(64 * MiB) / Page, (3 * GiB) / Page].Select(p => p * Page)),
        (1, Gen.ULong[1, 3].Select(g => g * GiB)));

    // An optional hole inside RAM (reserved), as real maps have.
    private static readonly Gen<(ulong Start, ulong Size)?> GenHole = Gen.Frequency(
        (2, Gen.Const(((ulong Start, ulong Size)?)null)),
        (1, Gen.Select(Gen.ULong[(16 * MiB) / Page, (3 * GiB) / Page], Gen.ULong[1, (1 * GiB) / Page],
            (s, n) => ((ulong, ulong)?)(s * Page, n * Page))));

    private static readonly Gen<KernelVariant> GenVariant = Gen.Frequency(
        (2, Gen.Const(KernelVariant.Fixed)),
        (1, Gen.Const(KernelVariant.After)),
        (1, Gen.Const(KernelVariant.Before)),
        (2, Gen.Select(Gen.Int[0, 15], Gen.Int[0, 31], (h, f) => new KernelVariant((Hunks)h, (Fixes)f))));

    // Where a workload event lands: inside RAM, around its end (a PTE page the boot filled in part),
    // or above 4 GiB / 512 GiB (a new pud, a new pgd).
    private static Gen<ulong> GenAddr(ulong end) => Gen.Frequency(
        (2, Gen.ULong[0, (end / Page) - 1].Select(p => p * Page)),
        (3, Gen.ULong[0, 2048].Select(p => end - (4 * MiB) + (p * Page))),
        (1, Gen.ULong[0, 1023].Select(p => (4 * GiB) + (p * 2 * MiB))),
        (1, Gen.ULong[0, 511].Select(p => (512 * GiB) + (p * 2 * MiB))));

    private static readonly Gen<ulong> GenSize = Gen.Frequency(
        (2, Gen.ULong[1, 600].Select(p => p * Page)),
        (2, Gen.ULong[1, 64].Select(m => m * 2 * MiB)),
        (1, Gen.Const(GiB / 2)));

    private static Gen<WorkloadEvent> GenEvent(ulong end, int cpus) => Gen.Frequency(
        (3, Gen.Select(Gen.Int[0, cpus - 1], GenAddr(end), GenSize, (cpu, start, size) => (WorkloadEvent)new HotAdd(cpu, start, size))),
        (2, Gen.Select(Gen.Int[0, cpus - 1], GenAddr(end), Gen.Int[1, 8], Gen.OneOf(Gen.Const(Page), Gen.Const(2 * MiB)),
            (cpu, addr, count, stride) => (WorkloadEvent)new Touch(cpu, addr, count, stride))),
        (1, Gen.Select(Gen.Int[0, cpus - 1], GenAddr(end), GenSize, (cpu, start, size) => (WorkloadEvent)new HotRemove(cpu, start, size))));

    private static readonly Gen<Case> GenCase =
        from end in GenEnd
        from hole in GenHole
        from xen in Gen.Frequency((3, Gen.Const(false)), (2, Gen.Const(true)))
        from pse in Gen.Frequency((1, Gen.Const(true)), (2, Gen.Const(false)))
        from gbpages in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
        from variant in GenVariant
        from order in Gen.Frequency((3, Gen.Const(AllocOrder.BottomUp)), (1, Gen.Const(AllocOrder.TopDown)))
        from grain in Gen.Frequency((3, Gen.Const(PteGrain.Page)), (1, Gen.Const(PteGrain.Entry)))
        from cpus in Gen.Int[1, 3]
        from flush in Gen.OneOf(Gen.Const(FlushScope.Local), Gen.Const(FlushScope.Global))
        from events in GenEvent(end, cpus).Array[0, 4]
        from concurrent in Gen.Bool
        select new Case(
            new MachineConfig
            {
                E820 = Map(end, hole),
                Xen = xen,
                Pse = pse,
                Gbpages = gbpages,
                Variant = variant,
                AllocOrder = order,
                Grain = grain,
                Cpus = cpus,
                RemoveFlush = flush,
            },
            concurrent ? WorkloadPlan.Concurrently(events) : WorkloadPlan.Sequence(events));

    [Fact]
    public void CompactAndFlatPagesGiveTheSameRunForRandomMachinesAndWorkloads()
    {
        GenCase.Sample(c =>
        {
            var compact = Simulation.Run(c.Config, c.Plan);
            var flat = Simulation.Run(c.Config with { FlatTablePages = true }, c.Plan);
            AssertSameRun(flat, compact);
        }, iter: 40);
    }

    [Fact]
    public void FoldedIterationsGiveTheSameRunAsEveryStepForRandomMachinesAndWorkloads()
    {
        // Mostly machines whose boot folds (no PSE, page grain; native or Xen); the rest must not change either.
        var gen = from c in GenCase
                  from folding in Gen.Frequency((3, Gen.Const(true)), (1, Gen.Const(false)))
                  select folding ? c with { Config = c.Config with { Pse = false, Grain = PteGrain.Page } } : c;
        var folded = 0L;
        gen.Sample(c =>
        {
            var stepped = Simulation.Run(c.Config with { StepEveryIteration = true }, c.Plan);
            var run = Simulation.Run(c.Config, c.Plan);
            Assert.Equal(0, stepped.Machine.IterationsFolded);
            folded += run.Machine.IterationsFolded;
            AssertSameRun(stepped, run);
        }, iter: 80, threads: 1);
        Assert.True(folded > 0, "no case folded an iteration");
    }

    [Theory]
    [InlineData(AllocOrder.BottomUp, false)]
    [InlineData(AllocOrder.TopDown, false)]
    [InlineData(AllocOrder.BottomUp, true)]
    [InlineData(AllocOrder.TopDown, true)]
    public void ABootWithoutPseFoldsItsFreshIterationsAndRunsTheSameSteps(AllocOrder order, bool xen)
    {
        var config = new MachineConfig
        {
            E820 = xen ? E820Map.FromMemorySize(6 * GiB) : Map(6 * GiB, (1 * GiB, 8 * MiB)),
            Pse = false,
            Xen = xen,
            AllocOrder = order,
        };
        var stepped = Simulation.Run(config with { StepEveryIteration = true }, WorkloadPlan.BootOnly);
        var run = Simulation.Run(config, WorkloadPlan.BootOnly);
        AssertSameRun(stepped, run);

        // Nearly every PTE page the boot made (not the iteration after each fold that fell short);
        // under Xen not those of the first GiB, whose pmd page the domain builder linked already.
        var made = stepped.Machine.Allocator.HandedOut(Level.Pte);
        var foldable = xen ? made - 512 : made;
        Assert.InRange(run.Machine.IterationsFolded, foldable * 95 / 100, made);

        // Natively the whole GiBs past the first fold a level up (the hole at 1 GiB is in RAM's GiB); not under Xen.
        Assert.Equal(xen ? 0 : 5, run.Machine.PudIterationsFolded);
    }

    [Theory]
    [InlineData(AllocOrder.BottomUp, "fixed", true, 5)]
    [InlineData(AllocOrder.TopDown, "fixed", true, 5)]
    [InlineData(AllocOrder.BottomUp, "unlocked", true, 5)]
    [InlineData(AllocOrder.BottomUp, "before", true, 6)]
    [InlineData(AllocOrder.BottomUp, "before", false, 6)]
    public void ABootWithTwoMiBLeavesFoldsThemAndRunsTheSameSteps(AllocOrder order, string variant, bool pse, int gibs)
    {
        // With PSE, and in the parent without the non-PSE fallback even without it, phys_pmd_init
        // writes a 2 MiB leaf per iteration: runs of them fold, and whole GiBs a level up (past the
        // first, whose pmd page is level2_ident_pgt, from the seed on; "unlocked": without 8ae3a5a8dff).
        var config = new MachineConfig
        {
            E820 = Map(6 * GiB, (1 * GiB, 8 * MiB)),
            Pse = pse,
            AllocOrder = order,
            Variant = variant == "unlocked" ? new KernelVariant(Hunks.All, Fixes.All & ~Fixes.HotplugLocking) : KernelVariant.Named(variant),
        };
        var stepped = Simulation.Run(config with { StepEveryIteration = true }, WorkloadPlan.BootOnly);
        var run = Simulation.Run(config, WorkloadPlan.BootOnly);
        AssertSameRun(stepped, run);

        Assert.Equal(0, stepped.Machine.IterationsFolded);
        Assert.Equal(gibs, run.Machine.PudIterationsFolded);
        Assert.True(run.Machine.IterationsFolded >= gibs * 512, $"{run.Machine.IterationsFolded} iterations folded");
    }

    [Fact]
    public void ABootThatRunsOutOfTableBufferPanicsAtTheSameStepFolded()
    {
        // Without the seed's hunk that counts PTE pages in find_early_table_space, a no-PSE boot uses up the buffer.
        var config = new MachineConfig
        {
            E820 = Map(8 * GiB, null),
            Pse = false,
            Variant = new KernelVariant(Hunks.All & ~Hunks.TableSpacePtes, Fixes.All),
        };
        var stepped = Simulation.Run(config with { StepEveryIteration = true }, WorkloadPlan.BootOnly);
        var run = Simulation.Run(config, WorkloadPlan.BootOnly);
        AssertSameRun(stepped, run);
        Assert.Equal(ErrorKind.Panic, run.Stop?.Fatal.Kind);
        Assert.True(run.Machine.IterationsFolded > 0);
    }

    [Fact]
    public void ASnapshotsCopiesRunIndependentlyOfEachOtherAndOfTheSnapshot()
    {
        GenCase.Sample(c =>
        {
            var compactBoot = Simulation.SnapshotAfterBoot(c.Config);
            var flatBoot = Simulation.SnapshotAfterBoot(c.Config with { FlatTablePages = true });
            var before = Tables(compactBoot.Machine);

            // Two runs from the same snapshot: the second must not see the first's writes.
            var first = Simulation.RunFrom(compactBoot, c.Plan);
            var second = Simulation.RunFrom(compactBoot, c.Plan);
            var flat = Simulation.RunFrom(flatBoot, c.Plan);
            AssertSameRun(flat, first);
            AssertSameRun(flat, second);
            Assert.Equal(before, Tables(compactBoot.Machine));
        }, iter: 20);
    }

    private static E820Map Map(ulong end, (ulong Start, ulong Size)? hole)
    {
        var entries = new List<E820Entry> { new(0, end, E820Type.Ram) };
        if (hole is { } h && h.Start + h.Size < end)
        {
            entries.Add(new E820Entry(h.Start, h.Start + h.Size, E820Type.Reserved));
        }

        return E820Map.FromEntries(entries);
    }

    private static void AssertSameRun(RunResult flat, RunResult compact)
    {
        Assert.Equal(Json(flat.Summary()), Json(compact.Summary()));
        Assert.Equal(flat.Log, compact.Log);
        Assert.Equal(flat.Steps, compact.Steps);
        Assert.Equal(Describe(flat.Stop), Describe(compact.Stop));
        Assert.Equal(Tables(flat.Machine), Tables(compact.Machine));
        Assert.Equal(Tlbs(flat.Machine), Tlbs(compact.Machine));
    }

    private static string Describe(RunStop? stop) =>
        stop is null
            ? "none"
            : $"{stop.Cpu} {stop.CallChain} {stop.Fatal.Kind} {stop.Fatal.Message} {stop.Fatal.At} " +
              string.Join(",", (stop.Fatal.Positions ?? new Dictionary<string, long>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>Every table page, in pfn order: pfn, level, origin, parent, and its 512 entries read through the indexer.</summary>
    private static List<string> Tables(BootActors.Model.Machine.Machine m) =>
        m.Memory.TablePages.Select(p =>
        {
            var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{p.Pfn} {p.Level} {p.Origin} {p.Parent}:");
            for (var i = 0; i < X86.PTRS_PER_PTE; i++)
            {
                sb.Append(' ').Append(p[i].ToString("x", CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }).ToList();

    private static List<string> Tlbs(BootActors.Model.Machine.Machine m) =>
        m.Tlbs.SelectMany(t => t.Entries.Select(e =>
            $"CPU{t.Cpu} {e.VirtPage:x} {e.Frame} {e.PageLevel} {e.Flags:x} {e.CachedAt} {string.Join(",", e.SourceValues.Select(v => v.ToString("x", CultureInfo.InvariantCulture)))}")).ToList();
}

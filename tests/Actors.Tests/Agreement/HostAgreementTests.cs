using System.Text.Json;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;
using BootActors.Actors.Tests.Host;
using BootActors.Model;
using BootActors.Model.Summary;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// For a race-free scenario the actor host (controlled with seed 0, and free) and the sequential
/// interpreter agree bit for bit: the same --json summary (less each error's trace positions, which
/// are host-specific step numbers), the same page-table pages with the same entries, the same
/// dmesg lines, and the same full state (Xen's page types, aliases and hypercall counts, the
/// allocator, the locks, the TLBs). Race-free: no step runs events on two CPUs at once, or the boot
/// already ends the run (so no workload runs at all). Both hosts run the same stages of every step
/// (StepPlans); these runs, and HostAgreementPropertyTests' random ones, check that they do.
/// </summary>
public sealed class HostAgreementTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    public static TheoryData<string> RaceFree()
    {
        var data = new TheoryData<string>();
        foreach (var name in Shipped.Names().Where(IsRaceFree))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void EveryShippedScenarioButHotaddConcurrentIsRaceFree()
    {
        Assert.Equal(Shipped.Names().Where(n => n != "hotadd-concurrent"), Shipped.Names().Where(IsRaceFree));
    }

    [Theory]
    [MemberData(nameof(RaceFree))]
    public void ControlledWithSeed0AndTheSequentialInterpreterGiveTheSameSummaryTablesAndLog(string name) =>
        Agree(name, HostMode.Controlled);

    [Theory]
    [MemberData(nameof(RaceFree))]
    public void FreeModeAndTheSequentialInterpreterGiveTheSameSummaryTablesAndLog(string name) =>
        Agree(name, HostMode.Free);

    /// <summary>
    /// pte_grain=entry: phys_pte_init as one read and one write step per entry (under Xen each write
    /// an mmu_update through the hypervisor). A 4 GiB PV guest has a million PTEs, six deliveries
    /// each on the actor host, so the scenarios whose map is all 4 KiB pages run with their memory
    /// capped at 256 MiB here; the rest run as shipped.
    /// </summary>
    [Theory]
    [MemberData(nameof(RaceFree))]
    public void AtEntryGrainControlledAndTheSequentialInterpreterGiveTheSameSummaryTablesLogAndState(string name)
    {
        var shipped = Shipped.Load(name);
        var capped = !shipped.Machine.EffectivePse && shipped.Machine.E820.EndOfRamPfn() > (256UL << 20) >> 12;
        Agree(capped ? Shipped.Load(name, "pte_grain=entry", "memory=256M") : Shipped.Load(name, "pte_grain=entry"), HostMode.Controlled);
    }

    internal static bool IsRaceFree(string name)
    {
        var scenario = Shipped.Load(name);
        var concurrent = scenario.Workload.Steps.Any(s => s.Events.Select(e => e.Cpu).Distinct().Count() > 1);
        return !concurrent || !Simulation.Run(scenario.Machine, scenario.Workload).Machine.Globals.after_bootmem;
    }

    private void Agree(string name, HostMode mode) => Agree(Shipped.Load(name), mode);

    private void Agree(Scenario scenario, HostMode mode)
    {
        var sequential = Simulation.Run(scenario.Machine, scenario.Workload);
        var actors = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(mode, seed: 0)).Result;

        Assert.Equal(Json(sequential.Summary()), Json(actors.Summary()));
        Assert.Equal(Tables(sequential), Tables(actors));
        Assert.Equal(sequential.Log, actors.Log);
        Assert.Equal(FullState.Of(sequential.Machine), FullState.Of(actors.Machine));
    }

    internal static string Json(RunSummary summary) =>
        JsonSerializer.Serialize(summary with { Errors = summary.Errors.Select(e => e with { TracePositions = null }).ToList() },
            SummaryJsonContext.Default.RunSummary);

    /// <summary>Every table page: pfn, level, origin, and its 512 entries in hex.</summary>
    internal static IReadOnlyList<string> Tables(RunResult run) =>
        run.Machine.Memory.TablePages.OrderBy(p => p.Pfn.Value)
            .Select(p => $"{p.Pfn} {p.Level} {p.Origin}: {string.Join(' ', p.Entries.Select(e => e.ToString("x", System.Globalization.CultureInfo.InvariantCulture)))}")
            .ToList();
}

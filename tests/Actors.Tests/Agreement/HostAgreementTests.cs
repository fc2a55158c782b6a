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
/// are host-specific step numbers), the same page-table pages with the same entries, and the same
/// dmesg lines. Race-free: no step runs events on two CPUs at once, or the boot already ends the
/// run (so no workload runs at all).
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

    internal static bool IsRaceFree(string name)
    {
        var scenario = Shipped.Load(name);
        var concurrent = scenario.Workload.Steps.Any(s => s.Events.Select(e => e.Cpu).Distinct().Count() > 1);
        return !concurrent || !Simulation.Run(scenario.Machine, scenario.Workload).Machine.Globals.after_bootmem;
    }

    private void Agree(string name, HostMode mode)
    {
        var scenario = Shipped.Load(name);

        var sequential = Simulation.Run(scenario.Machine, scenario.Workload);
        var actors = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(mode, seed: 0)).Result;

        Assert.Equal(Json(sequential.Summary()), Json(actors.Summary()));
        Assert.Equal(Tables(sequential), Tables(actors));
        Assert.Equal(sequential.Log, actors.Log);
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

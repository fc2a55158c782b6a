using BenchmarkDotNet.Attributes;
using BootActors.Actors.Host;
using BootActors.Actors.Scenarios;
using BootActors.Model;
using BootActors.Model.Kernel;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 5, Speed: schedules/s exploring <c>hotadd-concurrent</c> (two CPUs hot-add into the same
/// empty 1 GiB region, no hotplug mutex). The boot runs once (<see cref="Simulation.SnapshotAfterBoot"/>);
/// every schedule starts from a copy of it on the same actor host (one ActorSystem), with the next
/// seed. Target: at least 1,000 schedules/s with random.
/// </summary>
/// <remarks>The host's own seeded random strategy, without the Explorer; every strategy through the Explorer: <see cref="ExplorerStrategyBenchmarks"/>.</remarks>
[MemoryDiagnoser]
[BenchmarkCategory("4 explore hotadd-concurrent")]
public class ExplorationBenchmarks
{
    public const int SchedulesPerInvoke = 50;

    private Scenario? scenario;
    private BootSnapshot? snapshot;
    private ActorHost? host;
    private long nextSeed;
    private long schedules;
    private long violations;
    private readonly Dictionary<string, long> kinds = new(StringComparer.Ordinal);

    [GlobalSetup]
    public void Setup()
    {
        scenario = Machines.LoadScenario("hotadd-concurrent");
        snapshot = Simulation.SnapshotAfterBoot(scenario.Machine);
        host = Machines.CreateHost();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var found = kinds.Count == 0 ? "none" : string.Join(", ", kinds.Select(k => $"{k.Key} ×{k.Value}"));
        Work.Record(typeof(ExplorationBenchmarks), nameof(RandomStrategySchedules), 1, "schedule",
            $"{schedules} schedules, {violations} violations ({100.0 * violations / Math.Max(1, schedules):0}%): {found}");
        host?.Dispose();
    }

    /// <summary>Seeded random: seed i for the i-th schedule of the whole benchmark.</summary>
    [Benchmark(OperationsPerInvoke = SchedulesPerInvoke)]
    [Work("schedule")]
    public int RandomStrategySchedules()
    {
        var found = 0;
        for (var i = 0; i < SchedulesPerInvoke; i++)
        {
            var r = host!.Run(scenario!.Machine, scenario.Workload, host.DefaultOptions() with { Seed = nextSeed++, AfterBoot = snapshot });
            schedules++;
            if (r.Result.Stop is { } stop)
            {
                found++;
                violations++;
                var kind = stop.Fatal.Kind.JsonName();
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            }
        }

        return found;
    }
}

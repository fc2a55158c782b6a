using BenchmarkDotNet.Attributes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 11, goal 2: steady-state exploration of <c>hotadd-concurrent</c> with
/// <c>hotplug_mutex=on</c> (no violation to stop at) and the random strategy, as
/// <c>bootactors explore</c> runs it (state hashing and coverage included, no shrinking needed).
/// One operation is one <see cref="Explorer.Explore"/> of <see cref="Schedules"/> schedules, so a
/// boot and a report are spread over many. Work/op is schedules; the Deliveries/s column divides the
/// messages those schedules delivered by the time and compares them with the one-thread ping-pong
/// of the same run (target: 10,000 schedules/s). <see cref="RandomMutexOnTwoWorkers"/> is the same
/// exploration with <c>--workers 2</c>: two engines, one per core of this machine, same result.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("4 explore hotadd-concurrent")]
public class SteadyExplorationBenchmarks
{
    public const int Schedules = 5000;

    private RunSpec? spec;
    private ActorHost? host;
    private Explorer? explorer;
    private long seed;
    private long calls;
    private long schedules;
    private long deliveries;
    private long violations;
    private string? ran;

    [GlobalSetup]
    public void Setup()
    {
        spec = Machines.LoadSpec("hotadd-concurrent", "hotplug_mutex=on");
        host = Machines.CreateHost();
        explorer = new Explorer(host);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (calls > 0)
        {
            Work.Record(typeof(SteadyExplorationBenchmarks), ran!, schedules / (double)calls, "schedule",
                $"{deliveries / (double)schedules:0.#} deliveries/schedule, {violations} violations", deliveriesPerOperation: deliveries / (double)calls);
        }

        host?.Dispose();
    }

    [Benchmark]
    public ExplorationResult RandomMutexOn() => Explore(nameof(RandomMutexOn), 1);

    [Benchmark]
    public ExplorationResult RandomMutexOnTwoWorkers() => Explore(nameof(RandomMutexOnTwoWorkers), 2);

    private ExplorationResult Explore(string name, int workers)
    {
        ran = name;
        var result = explorer!.Explore(spec!, new ExploreOptions
        {
            Strategy = "random",
            Iterations = Schedules,
            Seed = seed++,
            All = true,
            Shrink = false,
            Workers = workers,
        });
        if (result.Error is { } error)
        {
            throw new InvalidOperationException($"random: {error}");
        }

        calls++;
        schedules += result.Schedules;
        deliveries += result.Deliveries;
        violations += result.Violations.Count;
        return result;
    }
}

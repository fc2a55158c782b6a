using BenchmarkDotNet.Attributes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 11, scale of exploration: <c>hotadd-concurrent</c> (<c>hotplug_mutex=on</c>, random) on a
/// 1 TiB machine without PSE, whose boot holds 524,288 PTE pages as runs of pages. One operation is
/// one <see cref="Explorer.Explore"/> of <see cref="Schedules"/> schedules, as the CLI runs it: the
/// boot, the engine's first state hash of the booted machine, then schedules that each copy it.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("4 explore hotadd-concurrent")]
public class LargeMachineExplorationBenchmarks
{
    public const int Schedules = 40;

    private RunSpec? spec;
    private ActorHost? host;
    private Explorer? explorer;

    [GlobalSetup]
    public void Setup()
    {
        spec = Machines.LoadSpec("hotadd-concurrent", "hotplug_mutex=on", "memory=1T", "pse=off",
            "workload=[{concurrent=[{cpu=1, hotadd{start=1T, size=16M}}, {cpu=2, hotadd{start=1T, size=16M}}]}]");
        host = Machines.CreateHost();
        explorer = new Explorer(host);
    }

    [GlobalCleanup]
    public void Cleanup() => host?.Dispose();

    [Benchmark]
    public ExplorationResult NoPse1TiB()
    {
        var result = explorer!.Explore(spec!, new ExploreOptions { Strategy = "random", Iterations = Schedules, Seed = 1, All = true, Shrink = false });
        return result.Error is { } error ? throw new InvalidOperationException($"random: {error}")
            : result.Schedules == Schedules ? result
            : throw new InvalidOperationException($"{result.Schedules} schedules");
    }
}

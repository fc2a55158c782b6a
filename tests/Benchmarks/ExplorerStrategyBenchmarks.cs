using BenchmarkDotNet.Attributes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 5, Speed: schedules/s of each exploration strategy on <c>hotadd-concurrent</c>, through the
/// <see cref="Explorer"/> (boot once, every schedule from a copy of the booted machine on one
/// ActorSystem). One operation is one <see cref="Explorer.Explore"/> call of up to
/// <see cref="Iterations"/> schedules that keeps going after the violation (<c>All</c>) without
/// shrinking, so the time is the schedules' (plus one boot and one report per call); Work/op is
/// the schedules it ran.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("4 explore hotadd-concurrent")]
public class ExplorerStrategyBenchmarks
{
    public const int Iterations = 200;

    /// <summary>dfs/dpor: the preemption bound, so that the bounded space is small enough to cover.</summary>
    public const int MaxPreemptions = 2;

    private RunSpec? spec;
    private ActorHost? host;
    private Explorer? explorer;
    private long seed;
    private string? ran;
    private long calls;
    private long schedules;
    private long found;
    private long pruned;
    private bool exhausted;

    [GlobalSetup]
    public void Setup()
    {
        spec = Machines.LoadSpec("hotadd-concurrent");
        host = Machines.CreateHost();
        explorer = new Explorer(host);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (ran is not null && calls > 0)
        {
            var extra = ran is "dfs" or "dpor" ? $", pruned {pruned / calls:#,0}/call, {(exhausted ? "space covered" : "space not covered")}" : "";
            Work.Record(typeof(ExplorerStrategyBenchmarks), Method(ran), schedules / (double)calls, "schedule",
                $"{ran}: violation in {found} of {calls} explorations{extra}");
        }

        host?.Dispose();
    }

    [Benchmark]
    public ExplorationResult Random() => Explore("random");

    [Benchmark]
    public ExplorationResult Pct() => Explore("pct");

    [Benchmark]
    public ExplorationResult Dfs() => Explore("dfs");

    [Benchmark]
    public ExplorationResult Dpor() => Explore("dpor");

    private static string Method(string strategy) => strategy switch
    {
        "random" => nameof(Random),
        "pct" => nameof(Pct),
        "dfs" => nameof(Dfs),
        _ => nameof(Dpor),
    };

    private ExplorationResult Explore(string strategy)
    {
        var result = explorer!.Explore(spec!, new ExploreOptions
        {
            Strategy = strategy,
            Iterations = Iterations,
            Seed = seed++,
            All = true,
            Shrink = false,
            MaxPreemptions = strategy is "dfs" or "dpor" ? MaxPreemptions : null,
        });
        if (result.Error is { } error)
        {
            throw new InvalidOperationException($"{strategy}: {error}");
        }

        ran = strategy;
        calls++;
        schedules += result.Schedules;
        found += result.Found ? 1 : 0;
        pruned += result.Pruned;
        exhausted |= result.Exhausted;
        return result;
    }
}

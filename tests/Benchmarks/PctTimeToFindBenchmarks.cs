using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 5, Speed: how long PCT takes to find <c>hotadd-concurrent</c>'s lost update, seed after seed
/// (0, 1, … 19, 0, …). One operation is one whole <see cref="Explorer.Explore"/> as the CLI does it:
/// boot snapshot, schedules until the violation, shrinking, the replayed report. The note gives the
/// median of the first 20 seeds' times and the worst; the target is a median under 1 s.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("4 explore hotadd-concurrent")]
public class PctTimeToFindBenchmarks
{
    private const int Seeds = 20;

    private readonly List<double> seconds = new();
    private readonly List<int> schedules = new();
    private RunSpec? spec;
    private ActorHost? host;
    private Explorer? explorer;
    private int next;

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
        if (seconds.Count >= Seeds)
        {
            var first = seconds.Take(Seeds).Order().ToList();
            var median = (first[(Seeds / 2) - 1] + first[Seeds / 2]) / 2;
            Work.Record(typeof(PctTimeToFindBenchmarks), nameof(PctFindsTheLostUpdate), 1, "exploration",
                string.Create(CultureInfo.InvariantCulture,
                    $"seeds 0-19: median {median * 1000:0.0} ms, worst {first[^1] * 1000:0.0} ms, {schedules.Take(Seeds).Average():0.#} schedules on average, found every time"));
        }

        host?.Dispose();
    }

    [Benchmark]
    public ExplorationResult PctFindsTheLostUpdate()
    {
        var seed = next++ % Seeds;
        var sw = Stopwatch.StartNew();
        var result = explorer!.Explore(spec!, new ExploreOptions { Strategy = "pct", Seed = seed, Iterations = 10_000 });
        sw.Stop();
        if (!result.Found || result.Violations[0].Kind != "overwrote_present_entry")
        {
            throw new InvalidOperationException($"pct seed {seed} did not find the lost update in {result.Schedules} schedules");
        }

        seconds.Add(sw.Elapsed.TotalSeconds);
        schedules.Add(result.Schedules);
        return result;
    }
}

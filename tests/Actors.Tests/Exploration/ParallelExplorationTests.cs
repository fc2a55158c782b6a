using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;
using BootActors.Model.Workload;
using TempDir = BootActors.Actors.Tests.Scenarios.TempDir;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// random and pct on several engines at once (<see cref="ExploreOptions.Workers"/>) give exactly the
/// result of one engine: the same schedules counted, the same coverage, the same violations at the
/// same schedule numbers with the same shrunk replay files, and the same stops.
/// </summary>
public sealed class ParallelExplorationTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    private static RunSpec Spec(string name, params string[] sets)
    {
        var s = Shipped.Load(name, sets);
        return new RunSpec(s.Name, s.Machine, s.Workload);
    }

    public static TheoryData<string, string, bool, int> Explorations() => new()
    {
        // strategy, hotplug_mutex, --all, schedules
        { "random", "off", false, 300 },
        { "random", "off", true, 300 },
        { "random", "on", false, 400 },
        { "pct", "off", true, 300 },
        { "pct", "on", false, 300 },
    };

    [Theory]
    [MemberData(nameof(Explorations))]
    public void ThreeWorkersGiveTheResultOfOne(string strategy, string mutex, bool all, int schedules)
    {
        var spec = Spec("hotadd-concurrent", $"hotplug_mutex={mutex}");
        var options = new ExploreOptions { Strategy = strategy, Seed = 5, Iterations = schedules, All = all, PctDepth = 2 };

        var one = new Explorer(fixture.Host).Explore(spec, options);
        var three = new Explorer(fixture.Host).Explore(spec, options with { Workers = 3 });

        Assert.Equal(Signature(one), Signature(three));
        Assert.Equal(mutex == "off", one.Found);
        if (!all && one.Found)
        {
            // Stopped at the first violation, as one engine does: the workers' schedules past it are not counted.
            Assert.Equal(one.Violations[0].Schedule + 1, three.Schedules);
        }
    }

    [Fact]
    public void ACancellationBetweenSchedulesStopsTheWorkersAtTheSameCount()
    {
        using var cancel = new CancellationTokenSource();
        var result = new Explorer(fixture.Host).Explore(Spec("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions
        {
            Iterations = 1_000_000,
            Workers = 2,
            Cancellation = cancel.Token,
            OnProgress = p =>
            {
                if (p.Schedules == 25)
                {
                    cancel.Cancel();
                }
            },
        });

        Assert.True(result.Interrupted);
        Assert.Equal(25, result.Schedules);
        Assert.Null(result.Error);
    }

    [Fact]
    public void ReplayFilesWrittenWithWorkersAreByteForByteThoseOfOneEngine()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var spec = Spec("hotadd-concurrent");
        var options = new ExploreOptions { Strategy = "random", Seed = 2, Iterations = 200, All = true };

        new Explorer(fixture.Host).Explore(spec, options with { ReplayOut = a.Path });
        new Explorer(fixture.Host).Explore(spec, options with { ReplayOut = b.Path, Workers = 2 });

        var files = Directory.GetFiles(a.Path).Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(files);
        Assert.Equal(files, Directory.GetFiles(b.Path).Select(Path.GetFileName).Order().ToList());
        Assert.All(files, f => Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f!)), File.ReadAllBytes(Path.Combine(b.Path, f!))));
    }

    [Fact]
    public void SchedulesCutByTheirOwnTimeoutAreCountedInOrderByTheWorkersToo()
    {
        var result = new Explorer(fixture.Host).Explore(ExplorerStopTests.Slow(),
            new ExploreOptions { MaxSteps = int.MaxValue, Iterations = 3, Workers = 2, Timeout = TimeSpan.FromMilliseconds(200) });

        Assert.True(result.Schedules == 3, $"{result.Schedules} schedules; error: {result.Error}");
        Assert.Equal(3, result.TimedOut);
        Assert.Null(result.Error);
    }

    [Theory]
    [InlineData("dfs", 2)]
    [InlineData("dpor", 2)]
    [InlineData("random", 0)]
    public void WorkersAreRefusedWhereTheyCannotApply(string strategy, int workers)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new Explorer(fixture.Host).Explore(Spec("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions { Strategy = strategy, Workers = workers, Iterations = 1 }));
        Assert.Contains($"workers {workers}", ex.Message);
    }

    internal static string Signature(ExplorationResult r) => string.Join("\n",
        $"{r.Strategy}: {r.Schedules} schedules, {r.Deliveries} deliveries, {r.DistinctTraces} traces, {r.DistinctStates} states, {r.DistinctEndStates} end states, " +
        $"{r.ChoicePoints} choice points, {r.Incomplete} incomplete, {r.TimedOut} timed out, pct k {r.PctLength}, error {r.Error ?? "none"}, interrupted {r.Interrupted}",
        string.Join("\n", r.Violations.Select(v => $"{v.Kind} at schedule {v.Schedule}, {v.Steps} → {v.ShrunkSteps} steps: {v.Replay.ToJson()}")));
}

using BootActors.TestKit;
using Xunit.Abstractions;

namespace BootActors.Race.Tests;

/// <summary>DFS and DPOR on a small scenario: both report their schedule counts and agree on whether the bug exists.</summary>
public sealed class SystematicSearchTests(ITestOutputHelper output) : BootRaceTest(output)
{
    // Two CPUs hot-add one 2 MiB page each into the same empty GiB: the smallest lost update.
    private const string Small = "workload=[{concurrent=[{cpu=1, hotadd={start=8G, size=2M}}, {cpu=2, hotadd={start=8194M, size=2M}}]}]";

    [Theory]
    [InlineData("dfs")]
    [InlineData("dpor")]
    public void BothFindTheLostUpdateOnTheSmallScenario(string strategy)
    {
        var result = Explore(Scenario("hotadd-concurrent", Small), new ExploreOptions { Strategy = strategy, MaxPreemptions = 2, Iterations = 100_000 });

        AssertViolation<LostUpdate>(result);
        Assert.True(result.Schedules > 1, "the first, non-preemptive schedule has no race");
    }

    [Fact]
    public void WithTheMutexBothCoverTheSpaceAndAgreeThereIsNoBugAndDporNeedsFewerSchedules()
    {
        var spec = Scenario("hotadd-concurrent", Small, "hotplug_mutex=on");
        var dfs = Explore(spec, new ExploreOptions { Strategy = "dfs", MaxPreemptions = 2, Iterations = 100_000 });
        var dpor = Explore(spec, new ExploreOptions { Strategy = "dpor", MaxPreemptions = 2, Iterations = 100_000 });

        AssertNoViolation(dfs);
        AssertNoViolation(dpor);
        Assert.True(dfs.Exhausted && dpor.Exhausted);
        Output!.WriteLine($"dfs: {dfs.Schedules} schedules ({dfs.CutByBound} alternatives over the preemption bound); " +
                          $"dpor: {dpor.Schedules} schedules, {dpor.Pruned} alternatives pruned");
        Assert.True(dpor.Schedules < dfs.Schedules, $"dpor {dpor.Schedules} vs dfs {dfs.Schedules}");
        Assert.True(dpor.Pruned > 0);
    }
}

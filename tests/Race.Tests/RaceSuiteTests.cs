using BootActors.TestKit;
using Xunit.Abstractions;

namespace BootActors.Race.Tests;

/// <summary>
/// For every shipped scenario with a bug: an exploration finds it, the fixed configuration explores
/// the same space and finds nothing, and the found bug's replay file reproduces it.
/// </summary>
public sealed class RaceSuiteTests(ITestOutputHelper output) : BootRaceTest(output)
{
    [Fact]
    public void PctFindsTheConcurrentHotAddLostUpdate()
    {
        var found = AssertViolation<LostUpdate>(Explore(Scenario("hotadd-concurrent"), new ExploreOptions { Strategy = "pct", Seed = 1 }));

        Assert.Contains("pud_populate overwrote present pud[8]", found.Message);
        Assert.True(found.ShrunkContextSwitches <= 2, $"shrunk to {found.ShrunkContextSwitches} context switches");
        AssertReplayReproduces(found);
    }

    [Fact]
    public void RandomFindsTheConcurrentHotAddLostUpdateToo()
    {
        var found = AssertViolation<LostUpdate>(Explore(Scenario("hotadd-concurrent"), new ExploreOptions { Strategy = "random", Seed = 7 }));
        AssertReplayReproduces(found);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void WithTheHotplugMutexNoScheduleLosesAnEntry(string strategy) =>
        AssertNoViolation(Explore(Scenario("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions { Strategy = strategy, Seed = 1, Iterations = 300 }));

    [Fact]
    public void DporCoversTheHotplugMutexScheduleSpaceAndFindsNothing()
    {
        var result = Explore(Scenario("hotadd-concurrent", "hotplug_mutex=on"), new ExploreOptions { Strategy = "dpor", Iterations = 100_000 });

        AssertNoViolation(result);
        Assert.True(result.Exhausted, "DPOR should cover the space within its bounds");
    }

    [Fact]
    public void TheLocalFlushAfterHotRemoveLeavesAStaleTranslationOnTheOtherCpu()
    {
        var found = AssertViolation<StaleTlbUse>(Explore(Scenario("hotremove-local-flush")));
        AssertReplayReproduces(found);
    }

    [Fact]
    public void AGlobalFlushAfterHotRemoveLeavesNoStaleTranslation() =>
        AssertNoViolation(Explore(Scenario("hotremove-local-flush", "flush=global"), new ExploreOptions { Iterations = 50 }));

    [Fact]
    public void AHotAddAboveEveryPgdWithTheSeedWritesThroughPage0() =>
        AssertReplayReproduces(AssertViolation<WildWrite>(Explore(Scenario("hotadd-new-pgd"))));

    [Fact]
    public void TheTwoHotplugFixesMapTheNewPgd() =>
        AssertNoViolation(Explore(Scenario("hotadd-new-pgd", "fixes=8ae3a5a8dff,574977a2edd"), new ExploreOptions { Iterations = 50 }));

    [Fact]
    public void TopDownAllocationBreaksTheSeedsInvariant() =>
        AssertReplayReproduces(AssertViolation<TablePageUnmapped>(Explore(Scenario("topdown-alloc"))));

    [Fact]
    public void BottomUpAllocationKeepsTheSeedsInvariant() =>
        AssertNoViolation(Explore(Scenario("topdown-alloc", "alloc_order=bottom-up"), new ExploreOptions { Iterations = 5 }));

    [Theory]
    [InlineData("native-boot-after", "variant=fixed")]
    [InlineData("hotadd-after-large", "fixes=22b45144f67")]
    public void TheSeedDescendsIntoALargePmdAndTheLargePmdCheckStopsIt(string scenario, string fix)
    {
        AssertReplayReproduces(AssertViolation<DataFrameWrittenAsTable>(Explore(Scenario(scenario))));
        AssertNoViolation(Explore(Scenario(scenario, fix), new ExploreOptions { Iterations = 50 }));
    }

    [Fact]
    public void TheSeedWithoutTheTableSpaceHunkRunsOutOfTablePages()
    {
        AssertViolation<KernelPanic>(Explore(Scenario("table-space-short")));
        AssertNoViolation(Explore(Scenario("table-space-short", "hunks=all"), new ExploreOptions { Iterations = 5 }));
    }

    [Fact]
    public void XenRefusesTheParentsPopulateAndTheSeedFixesIt()
    {
        AssertViolation<HypervisorRefused>(Explore(Scenario("xen-boot-before")));
        AssertNoViolation(Explore(Scenario("xen-boot-before", "variant=after"), new ExploreOptions { Iterations = 5 }));
    }
}

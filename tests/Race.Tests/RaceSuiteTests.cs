using BootActors.TestKit;
using Xunit.Abstractions;

namespace BootActors.Race.Tests;

/// <summary>
/// For every shipped scenario with a bug: an exploration finds it, the fixed configuration explores
/// the same space and finds nothing, and the found bug's replay file reproduces it. A scenario whose
/// bug is in the boot is no race: its exploration reports the failed boot and runs no schedule.
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
    public void TopDownAllocationBreaksTheSeedsInvariantAtBoot()
    {
        var stop = AssertBootFails<TablePageUnmapped>(Explore(Scenario("topdown-alloc")));
        Assert.Contains("xen_alloc_pte_init", stop.Fatal.Message);
    }

    [Fact]
    public void BottomUpAllocationKeepsTheSeedsInvariant() =>
        AssertNoViolation(Explore(Scenario("topdown-alloc", "alloc_order=bottom-up"), new ExploreOptions { Iterations = 5 }));

    [Fact]
    public void TheSeedsBootDescendsIntoALargePmdAndTheLargePmdCheckStopsIt()
    {
        var stop = AssertBootFails<DataFrameWrittenAsTable>(Explore(Scenario("native-boot-after")));
        Assert.Contains("pmd[0] of table 0x203", stop.Fatal.Message);
        AssertNoViolation(Explore(Scenario("native-boot-after", "variant=fixed"), new ExploreOptions { Iterations = 50 }));
    }

    [Fact]
    public void TheSeedWithoutTheTableSpaceHunkRunsOutOfTablePagesAtBoot()
    {
        AssertBootFails<KernelPanic>(Explore(Scenario("table-space-short")));
        AssertNoViolation(Explore(Scenario("table-space-short", "hunks=all"), new ExploreOptions { Iterations = 5 }));
    }

    [Fact]
    public void XenRefusesTheParentsPopulateAtBootAndTheSeedFixesIt()
    {
        AssertBootFails<HypervisorRefused>(Explore(Scenario("xen-boot-before")));
        AssertNoViolation(Explore(Scenario("xen-boot-before", "variant=after"), new ExploreOptions { Iterations = 5 }));
    }
}

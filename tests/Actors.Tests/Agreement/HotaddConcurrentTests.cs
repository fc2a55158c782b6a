using BootActors.Actors.Infrastructure;
using BootActors.Actors.Tests.Host;
using BootActors.Model;
using BootActors.Model.Kernel;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// hotadd-concurrent: two CPUs hot-add into the same empty pud entry. Without the hotplug mutex
/// seed 0's schedule loses an update; with it no schedule among 50 seeds does; free mode ends
/// either way within its timeout.
/// </summary>
public sealed class HotaddConcurrentTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Fact]
    public void WithoutTheHotplugMutexSeed0FindsTheLostUpdateOfPud8()
    {
        var scenario = Shipped.Load("hotadd-concurrent");

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(seed: 0));

        Assert.Equal(ErrorKind.OverwrotePresentEntry, run.Result.Stop?.Fatal.Kind);
        Assert.Contains("pud_populate overwrote present pud[8] of table 0x202", run.Result.Stop!.Fatal.Message);
        Assert.Contains(run.Result.Stop.Cpu, new[] { 1, 2 });
        Assert.True(run.ContextSwitches > 1, run.InterleavingSummary());
    }

    [Fact]
    public void WithTheHotplugMutexNoSeedFrom0To49FindsAViolation()
    {
        var scenario = Shipped.Load("hotadd-concurrent", "hotplug_mutex=on");
        var boot = Simulation.SnapshotAfterBoot(scenario.Machine);
        Assert.Null(boot.Stop);
        var switched = 0;

        for (var seed = 0; seed < 50; seed++)
        {
            var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(seed: seed) with { AfterBoot = boot });

            Assert.True(run.Result.Outcome == Outcome.Ok, $"seed {seed}: {run.Result.Stop?.Fatal.Kind} {run.Result.Stop?.Fatal.Message}");
            switched += run.ContextSwitches > 1 ? 1 : 0;
        }

        // The schedules did interleave the CPUs (the mutex, not a lack of interleaving, kept them apart).
        Assert.True(switched > 25, $"only {switched} of 50 schedules switched CPUs more than once");
    }

    [Fact]
    public void WithoutTheMutexTheSameSeedsFromTheSnapshotDoFindTheLostUpdate()
    {
        var scenario = Shipped.Load("hotadd-concurrent");
        var boot = Simulation.SnapshotAfterBoot(scenario.Machine);

        var found = Enumerable.Range(0, 50)
            .Count(seed => fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(seed: seed) with { AfterBoot = boot })
                .Result.Stop?.Fatal.Kind == ErrorKind.OverwrotePresentEntry);

        Assert.True(found > 0, "no seed in 0..49 found the lost update without the mutex: the search above proves nothing");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeModeRunsEndOkOrWithTheLostUpdateWithinTheirTimeout(bool mutex)
    {
        var scenario = mutex ? Shipped.Load("hotadd-concurrent", "hotplug_mutex=on") : Shipped.Load("hotadd-concurrent");

        for (var i = 0; i < 5; i++)
        {
            var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(HostMode.Free) with { Timeout = TimeSpan.FromSeconds(20) });

            var got = run.Result.Stop?.Fatal.Kind;
            Assert.True(got is null || (!mutex && got == ErrorKind.OverwrotePresentEntry),
                $"run {i}: {got}: {run.Result.Stop?.Fatal.Message} ({run.InterleavingSummary()})");
            Assert.Equal("free", run.Strategy);
        }
    }
}

using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;

namespace BootActors.Actors.Tests.Host;

/// <summary>Controlled mode: the same scenario and seed write the same trace bytes; another seed another schedule.</summary>
public sealed class DeterminismTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("hotadd-concurrent", 5)]
    [InlineData("hotadd-concurrent", 0)]
    [InlineData("xen-boot-after", 3)]
    [InlineData("hotremove-local-flush", 11)]
    public void TheSameScenarioAndSeedRunTwiceInOneProcessWriteByteIdenticalTraces(string name, long seed)
    {
        var scenario = Shipped.Load(name);

        var first = Trace(scenario, seed);
        var second = Trace(scenario, seed);

        Assert.True(first.Split('\n').Length > 1000, $"{name}: a trace of {first.Split('\n').Length} lines");
        Assert.Equal(first, second);
    }

    [Fact]
    public void HotaddConcurrentWithAnotherSeedDeliversInAnotherOrder()
    {
        var scenario = Shipped.Load("hotadd-concurrent");

        var five = Events(Trace(scenario, 5));
        var six = Events(Trace(scenario, 6));

        Assert.NotEqual(five, six);
    }

    [Fact]
    public void ASessionReusedForSeveralRunsWritesTheSameTraceAsAFreshHostForEachSeed()
    {
        var scenario = Shipped.Load("hotadd-concurrent");
        var fresh = new[] { 5L, 6L }.ToDictionary(seed => seed, seed => Trace(scenario, seed));
        using var session = fixture.Host.OpenSession(scenario.Machine.Cpus, scenario.Machine.Xen);

        foreach (var seed in new[] { 5L, 6L, 5L })
        {
            var sink = Shipped.Trace(scenario, HostMode.Controlled, seed);
            session.Run(scenario.Machine, scenario.Workload, Shipped.Options(seed: seed) with { Trace = sink });

            Assert.Equal(fresh[seed], sink.Text());
        }
    }

    [Fact]
    public void TheTraceHasNoWallClockFields()
    {
        var text = Trace(Shipped.Load("hotadd-concurrent"), 5);

        Assert.DoesNotContain("\"time", text, StringComparison.Ordinal);
        Assert.DoesNotContain("elapsed", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("timestamp", text, StringComparison.OrdinalIgnoreCase);
    }

    private static string Events(string trace) => trace[(trace.IndexOf('\n', StringComparison.Ordinal) + 1)..];

    private string Trace(Scenario scenario, long seed)
    {
        var sink = Shipped.Trace(scenario, HostMode.Controlled, seed);
        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(seed: seed) with { Trace = sink });
        Assert.NotEqual(Model.Kernel.Outcome.Failed, run.Result.Outcome);
        return sink.Text();
    }
}

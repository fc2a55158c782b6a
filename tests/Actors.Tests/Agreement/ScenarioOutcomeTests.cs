using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;
using BootActors.Actors.Tests.Host;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>Each shipped scenario's expect block is met on the actor host (controlled, seed 0: what `bootactors run` does).</summary>
public sealed class ScenarioOutcomeTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    public static TheoryData<string> Files() => new(Shipped.Names());

    [Theory]
    [MemberData(nameof(Files))]
    public void TheActorHostsRunWithSeed0MeetsTheExpectBlock(string name)
    {
        var scenario = Shipped.Load(name);
        var expect = Assert.IsType<Expectation>(scenario.Expect);

        var run = fixture.Host.Run(scenario.Machine, scenario.Workload, Shipped.Options(HostMode.Controlled, seed: 0));

        var check = expect.Check(run.Result);
        Assert.True(check.Met, $"{name}: expected {expect.Describe()}, got {check.Got}: {run.Result.Stop?.Fatal.Message}");
    }
}

using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// Shrinking a found violation: the result is never longer than the schedule found (in deliveries,
/// and at equal length in context switches), it is what the replay file holds, and replaying it
/// reproduces the same violation in the same call chain.
/// </summary>
public sealed class ShrinkTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    [Theory]
    [InlineData("random", "hotadd-concurrent", new string[0])]
    [InlineData("pct", "hotadd-concurrent", new string[0])]
    public void AShrunkScheduleIsNeverLongerAndReplaysToTheSameViolation(string strategy, string name, string[] sets)
    {
        var spec = ExplorationRig.Spec(name, sets);
        var shrunkStrictly = 0;
        var found = 0;
        for (var seed = 0; seed < 6; seed++)
        {
            var result = new Explorer(fixture.Host).Explore(spec, new ExploreOptions { Strategy = strategy, Seed = seed, Iterations = 300 });
            Assert.Null(result.Error);
            foreach (var v in result.Violations)
            {
                found++;
                Assert.True(v.ShrunkSteps <= v.Steps, $"seed {seed}: shrunk {v.Steps} → {v.ShrunkSteps} steps");
                Assert.True(v.ShrunkSteps < v.Steps || v.ShrunkContextSwitches <= v.ContextSwitches,
                    $"seed {seed}: {v.Steps} steps both, but {v.ContextSwitches} → {v.ShrunkContextSwitches} context switches");
                Assert.Equal(v.ShrunkSteps, v.Replay.Deliveries.Count);
                shrunkStrictly += v.ShrunkSteps < v.Steps || v.ShrunkContextSwitches < v.ContextSwitches ? 1 : 0;

                var replay = new Explorer(fixture.Host).Replay(v.Replay);
                Assert.True(replay.Reproduced, $"seed {seed}: the shrunk schedule gave {replay.Got}, not {v.Kind}");
                Assert.Equal(v.CallChain, replay.Run.Result.Stop!.CallChain);
            }
        }

        // Not vacuous: violations were found, and some of them shrank (in deliveries or context switches).
        Assert.True(found >= 3, $"{strategy} found only {found} violation(s) in 6 seeds");
        Assert.True(shrunkStrictly > 0, "no found schedule was shortened");
    }
}

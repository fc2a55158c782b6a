using BootActors.Actors.Exploration;
using BootActors.Actors.Tests.Host;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>
/// The dependence relation DPOR relies on, checked against the system itself: at decision points of
/// random schedules, for every two deliveries open at once whose recorded footprints do not conflict,
/// delivering them in either order reaches the same state (machine, every actor's own state, the
/// pending messages). If the access recorder missed a read or a write that matters, some pair here
/// would be called independent and yet not commute; and where only one of the two orders stops with a
/// violation, the two must conflict.
/// </summary>
public sealed class FootprintSoundnessTests(ActorHostFixture fixture) : IClassFixture<ActorHostFixture>
{
    /// <summary>Scenario, sets, and how many decision points to try per schedule (0: all).</summary>
    public static TheoryData<string, string[], int> Machines() => new()
    {
        { "hotadd-concurrent", [], 0 },
        { "hotadd-concurrent", ["hotplug_mutex=on"], 0 },
        { "hotadd-concurrent", ["pse=off", "pte_grain=entry", ExplorationRig.SmallHotadd], 16 },
        { "hotremove-local-flush", ExplorationRig.RemoveWhileReading, 0 },

        // With a local flush no message reaches the readers' TLBs, and the readers are done before the
        // remove writes: every pair met commutes, so this row is not asked to meet a dependent one.
        { "hotremove-local-flush", [.. ExplorationRig.RemoveWhileReading, "flush=local"], 64 },
        { "xen-boot-after", ["cpus=2", "workload=[{concurrent=[{cpu=0, hotadd={start=4G, size=2M}}, {cpu=1, hotadd={start=4100M, size=2M}}]}]"], 16 },
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void DeliveriesWhoseFootprintsDoNotConflictCommute(string name, string[] sets, int perSchedule)
    {
        var spec = ExplorationRig.Spec(name, sets);
        using var engine = ExplorationRig.Open(fixture.Host, spec, "random");
        Assert.Null(engine.BootStop);
        int independent = 0, dependent = 0;

        for (var seed = 0; seed < 3; seed++)
        {
            var (walk, _) = Run(engine, [], int.MaxValue, seed);
            var points = walk.Steps.Select((s, i) => (s, i)).Where(x => x.s.Open.Length > 1).Select(x => x.i).ToList();

            // Every decision point, or some spread over the schedule.
            var tried = perSchedule == 0 ? points : points.Where((_, n) => n % Math.Max(1, points.Count / perSchedule) == 0).Take(perSchedule);
            foreach (var at in tried)
            {
                var prefix = walk.Steps.Take(at).Select(s => s.Taken).ToList();
                var open = walk.Steps[at].Open;
                for (var x = 0; x < open.Length; x++)
                {
                    for (var y = x + 1; y < open.Length; y++)
                    {
                        var (ab, abStop) = Run(engine, [.. prefix, open[x], open[y]], at + 2, 0);
                        var (ba, baStop) = Run(engine, [.. prefix, open[y], open[x]], at + 2, 0);
                        if (ab.StateAtStop is null || ba.StateAtStop is null)
                        {
                            // One of the two ended the run. If only one order stops with a violation, the two
                            // do not commute: their footprints (in the order that ran both) must conflict.
                            if ((abStop is null) != (baStop is null) && ab.Footprints.Count >= at + 2)
                            {
                                Assert.True(Footprints.Conflict(ab.Footprints[at], ab.Footprints[at + 1]),
                                    $"{name} {string.Join(' ', sets)}, seed {seed}, step {at}: deliveries {ab.Recorded[at]} and {ab.Recorded[at + 1]} " +
                                    $"do not conflict ({Describe(ab.Footprints[at])} / {Describe(ab.Footprints[at + 1])}) but only one order stops ({baStop?.Fatal.Kind})");
                                dependent++;
                            }
                            else if ((abStop is null) != (baStop is null) && ba.Footprints.Count >= at + 2)
                            {
                                Assert.True(Footprints.Conflict(ba.Footprints[at], ba.Footprints[at + 1]),
                                    $"{name} {string.Join(' ', sets)}, seed {seed}, step {at}: deliveries {ba.Recorded[at]} and {ba.Recorded[at + 1]} " +
                                    $"do not conflict ({Describe(ba.Footprints[at])} / {Describe(ba.Footprints[at + 1])}) but only one order stops ({abStop?.Fatal.Kind})");
                                dependent++;
                            }

                            continue;
                        }

                        Assert.False(ab.Diverged || ba.Diverged, $"{name}: an option open at step {at} was not open after the other one");
                        if (Footprints.Conflict(ab.Footprints[at], ab.Footprints[at + 1]))
                        {
                            dependent++;
                            continue;
                        }

                        independent++;
                        Assert.True(ab.StateAtStop == ba.StateAtStop,
                            $"{name} {string.Join(' ', sets)}, seed {seed}, step {at}: deliveries {ab.Recorded[at]} and {ab.Recorded[at + 1]} " +
                            $"do not conflict ({Describe(ab.Footprints[at])} / {Describe(ab.Footprints[at + 1])}) but do not commute");
                    }
                }
            }
        }

        // Not vacuous: pairs were checked, and where every decision point was tried, dependent ones were met too.
        Assert.True(independent > 0, $"{name}: no independent pair was tried");
        Assert.True(perSchedule != 0 || dependent > 0, $"{name}: no dependent pair was met at any decision point ({independent} independent pairs)");
    }

    /// <summary>Runs the script; the violation it stopped with, if any (null when it stopped where asked or the workload ended).</summary>
    private static (ScriptedOptions Run, Model.Interpreter.RunStop? Violation) Run(ExplorationEngine engine, IReadOnlyList<int> script, int stopAt, int seed)
    {
        var s = new ScriptedOptions(script, stopAt, seed);
        s.BeginSchedule(0);
        var result = engine.Run(s, m => s.Start(m, engine.Boot.Machine));
        return (s, s.StateAtStop is null && result.Result.Outcome == Model.Kernel.Outcome.Violation ? result.Result.Stop : null);
    }

    private static string Describe(Access[] footprint) =>
        string.Join(", ", footprint.Select(a => $"{a.Mode} {Resource.Describe(a.Resource)}"));
}

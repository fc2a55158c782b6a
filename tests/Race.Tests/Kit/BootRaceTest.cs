using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Scenarios;
using BootActors.Actors.Testing;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BootActors.Race.Tests.Kit;

/// <summary>
/// Base class for race tests (on Akka.TestKit.Xunit2's TestKit, so the ActorSystem is the test's own
/// and its probes can stand in for model actors): build or load a scenario, explore it, assert on
/// what was found — a failure names the replay file to run locally with `bootactors replay` — play a
/// hand-written interleaving, or run with an actor replaced by a probe.
/// </summary>
public abstract class BootRaceTest : Akka.TestKit.Xunit2.TestKit
{
    private ActorHost? host;

    protected BootRaceTest(ITestOutputHelper output)
        : base(ActorHost.Defaults, output: output)
    {
    }

    /// <summary>The actor host on this test's ActorSystem.</summary>
    protected ActorHost Host => host ??= new ActorHost(Sys);

    /// <summary>Where replay files of found violations go (kept after the test, for CI artifacts).</summary>
    protected virtual string ReplayDirectory => Path.Combine(AppContext.BaseDirectory, "replays", GetType().Name);

    /// <summary>A scenario from config/scenarios by name (or a path), with --set style overrides.</summary>
    protected static RunSpec Scenario(string nameOrPath, params string[] sets)
    {
        var s = ScenarioLoader.Load(ScenarioLoader.Find(nameOrPath, null), sets);
        return new RunSpec(s.Name, s.Machine, s.Workload);
    }

    /// <summary>A scenario built in code.</summary>
    protected static RunSpec Scenario(string name, MachineConfig machine, WorkloadPlan workload) => new(name, machine, workload);

    protected ExplorationResult Explore(RunSpec spec, ExploreOptions? options = null)
    {
        var result = new Explorer(Host).Explore(spec, (options ?? new ExploreOptions()) with { ReplayOut = options?.ReplayOut ?? ReplayDirectory });
        Output!.WriteLine($"explored {spec.Name} with {result.Strategy}: {result.Schedules} schedules in {result.Seconds:0.000} s, " +
                         $"{result.Violations.Count} violation(s){(result.Error is { } e ? $", error: {e}" : "")}");
        foreach (var v in result.Violations)
        {
            Output!.WriteLine($"  {v.Kind}: {v.Message}");
            Output!.WriteLine($"  replay: bootactors replay {v.ReplayPath}");
        }

        return result;
    }

    protected static void AssertNoViolation(ExplorationResult result)
    {
        if (result.Error is { } error)
        {
            throw new XunitException($"the exploration failed: {error}");
        }

        if (result.Violations.FirstOrDefault() is { } v)
        {
            throw new XunitException(
                $"expected no violation, but {result.Strategy} found {v.Kind} after {v.Schedule + 1} schedule(s): {v.Message}\n" +
                $"{string.Join("\n", v.Narrative)}\nreplay it: bootactors replay {v.ReplayPath}");
        }
    }

    /// <summary>Asserts the exploration found a violation of kind <typeparamref name="T"/>; returns it.</summary>
    protected static FoundViolation AssertViolation<T>(ExplorationResult result)
        where T : IViolationKind
    {
        var want = T.Kind.JsonName();
        if (result.Violations.FirstOrDefault(v => v.Kind == want) is { } found)
        {
            return found;
        }

        var got = result.Violations.Count == 0
            ? $"nothing in {result.Schedules} schedule(s)"
            : string.Join("; ", result.Violations.Select(v => $"{v.Kind} (replay: bootactors replay {v.ReplayPath})"));
        throw new XunitException($"expected a {want} violation, {result.Strategy} found {got}{(result.Error is { } e ? $"; error: {e}" : "")}");
    }

    /// <summary>Plays a hand-written interleaving from the booted machine.</summary>
    protected ActorRunResult RunScripted(RunSpec spec, Script script)
    {
        var boot = Simulation.SnapshotAfterBoot(spec.Machine);
        var strategy = new ScriptedStrategy(script);
        strategy.BeginSchedule(0);
        var run = Host.Run(spec.Machine, spec.Workload, Host.DefaultOptions() with { Strategy = strategy, AfterBoot = boot });
        Output!.WriteLine($"scripted {script}: {run.Result.Outcome.JsonName()} {run.Result.Stop?.Fatal.Message}");
        return run;
    }

    /// <summary>Runs with model actors replaced by probes; the run goes on in the background while the test answers them.</summary>
    protected Task<ActorRunResult> RunWith(RunSpec spec, params ActorReplacement[] replacements) =>
        Task.Run(() => Host.Run(spec.Machine, spec.Workload, Host.DefaultOptions() with
        {
            Replacements = replacements,
            AfterBoot = Simulation.SnapshotAfterBoot(spec.Machine),
            Timeout = TimeSpan.FromSeconds(30),
        }));
}

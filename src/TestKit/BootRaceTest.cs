using Akka.Configuration;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Model;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BootActors.TestKit;

/// <summary>
/// Base class for race tests, on Akka.TestKit.Xunit2's TestKit, so the ActorSystem is the test's own
/// and its probes can stand in for model actors: load a scenario (<see cref="Scenario(string, string[])"/>),
/// explore its schedules (<see cref="Explore"/>) and assert on what was found (<see cref="AssertViolation{TKind}(ExplorationResult)"/>,
/// <see cref="AssertNoViolation(ExplorationResult)"/>; a failure names the replay file to run with
/// <c>bootactors replay</c>), play a hand-written interleaving (<see cref="RunScripted"/>), or run with
/// an actor replaced by a probe (<see cref="RunWith"/>).
/// </summary>
public abstract class BootRaceTest : Akka.TestKit.Xunit2.TestKit
{
    private ActorHost? host;

    /// <summary>A race test on an ActorSystem with the actor host's defaults (its one-thread model dispatcher).</summary>
    /// <param name="output">xUnit's output: the kit writes what each exploration found, and how to replay it.</param>
    /// <param name="config">
    /// HOCON over the defaults, e.g. <c>bootactors.run-timeout = 120s</c> (the <c>bootactors</c> section of
    /// the CLI's akka.hocon: run-timeout, conductor.max-steps); null: the defaults.
    /// </param>
    protected BootRaceTest(ITestOutputHelper output, Config? config = null)
        : base(config is null ? KitDefaults : config.WithFallback(KitDefaults), output: output)
    {
    }

    // The host's defaults send Akka's log through Serilog (the CLI's stdout is its output); a test's log
    // goes to Akka.TestKit's listener instead, so that EventFilter works and xUnit shows it.
    private static readonly Config KitDefaults = ConfigurationFactory.ParseString("""
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit"]
        akka.logger-formatter = "Akka.Event.DefaultLogMessageFormatter, Akka"
        """).WithFallback(ActorHost.Defaults);

    /// <summary>The actor host on this test's ActorSystem.</summary>
    protected ActorHost Host => host ??= new ActorHost(Sys);

    /// <summary>Where replay files of found violations go (kept after the test, for CI artifacts).</summary>
    protected virtual string ReplayDirectory => Path.Combine(AppContext.BaseDirectory, "replays", GetType().Name);

    /// <summary>
    /// A scenario by name (<c>"hotadd-concurrent"</c>: config/scenarios/NAME.hocon when the test runs
    /// inside a checkout that has one, else the scenario shipped in this package) or by the path of a
    /// .hocon file, with <c>--set</c>-style overrides (<c>"hotplug_mutex=on"</c>, <c>"cpus=2"</c>).
    /// </summary>
    /// <exception cref="Actors.Scenarios.ScenarioException">No such scenario, or the file or an override is bad (file:line: key: reason).</exception>
    protected static RunSpec Scenario(string nameOrPath, params string[] sets)
    {
        var s = ShippedScenarios.Load(nameOrPath, sets);
        return new RunSpec(s.Name, s.Machine, s.Workload);
    }

    /// <summary>A scenario built in code.</summary>
    protected static RunSpec Scenario(string name, MachineConfig machine, WorkloadPlan workload) => new(name, machine, workload);

    /// <summary>
    /// Explores <paramref name="spec"/>'s schedules on this test's ActorSystem (one booted machine, a
    /// copy per schedule); a found violation is shrunk and written as a replay file under
    /// <see cref="ReplayDirectory"/> unless <c>options.ReplayOut</c> says where.
    /// </summary>
    protected ExplorationResult Explore(RunSpec spec, ExploreOptions? options = null)
    {
        options ??= new ExploreOptions();
        var result = new Explorer(Host).Explore(spec, options with { ReplayOut = options.ReplayOut ?? ReplayDirectory });
        Output!.WriteLine($"explored {spec.Name} with {result.Strategy}: {result.Schedules} schedules in {result.Seconds:0.000} s, " +
                          $"{result.Violations.Count} violation(s){(result.Error is { } e ? $", error: {e}" : "")}");
        foreach (var v in result.Violations)
        {
            Output!.WriteLine($"  {v.Kind}: {v.Message}");
            Output!.WriteLine($"  replay: bootactors replay {v.ReplayPath}");
        }

        return result;
    }

    /// <summary>Asserts the exploration ended without error and found no violation; a failure explains the schedule and names its replay file.</summary>
    protected static void AssertNoViolation(ExplorationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Boot is { } boot)
        {
            throw new XunitException($"expected no violation, but the machine did not boot: {Describe(boot)}");
        }

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

    /// <summary>Asserts the exploration found a violation of kind <typeparamref name="TKind"/> (e.g. <see cref="LostUpdate"/>); returns it.</summary>
    protected static FoundViolation AssertViolation<TKind>(ExplorationResult result)
        where TKind : IViolationKind
    {
        ArgumentNullException.ThrowIfNull(result);
        var want = TKind.Kind.JsonName();
        if (result.Violations.FirstOrDefault(v => v.Kind == want) is { } found)
        {
            return found;
        }

        if (result.Boot is { } boot)
        {
            throw new XunitException($"expected a {want} violation, but the machine did not boot, so no schedule ran: {Describe(boot)}");
        }

        var got = result.Violations.Count == 0
            ? $"nothing in {result.Schedules} schedule(s)"
            : string.Join("; ", result.Violations.Select(v => $"{v.Kind} (replay: bootactors replay {v.ReplayPath})"));
        throw new XunitException($"expected a {want} violation, {result.Strategy} found {got}{(result.Error is { } e ? $"; error: {e}" : "")}");
    }

    /// <summary>
    /// Asserts the machine did not boot, stopping with <typeparamref name="TKind"/> (a failed boot is not a
    /// race: no schedule ran, and the exploration reports it as a failed boot, not as a violation found).
    /// Returns where and why the boot stopped.
    /// </summary>
    protected static RunStop AssertBootFails<TKind>(ExplorationResult result)
        where TKind : IViolationKind
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Boot is { } boot && boot.Stop.Fatal.Kind == TKind.Kind)
        {
            if (result.Schedules != 0 || result.Found)
            {
                throw new XunitException($"the boot failed, yet {result.Schedules} schedule(s) ran and {result.Violations.Count} violation(s) were reported");
            }

            return boot.Stop;
        }

        throw new XunitException(result.Boot is { } other
            ? $"expected the boot to fail with {TKind.Kind.JsonName()}, it failed with {Describe(other)}"
            : $"expected the boot to fail with {TKind.Kind.JsonName()}, but it booted and {result.Schedules} schedule(s) ran");
    }

    /// <summary>Asserts a single run (e.g. <see cref="RunScripted"/>'s) ended ok: no violation, refusal, panic or host failure.</summary>
    protected static void AssertNoViolation(ActorRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Result.Outcome != Outcome.Ok)
        {
            throw new XunitException($"expected the run to end ok, it ended {Describe(run)}");
        }
    }

    /// <summary>Asserts a single run stopped on a violation of kind <typeparamref name="TKind"/>; returns where and why it stopped.</summary>
    protected static RunStop AssertViolation<TKind>(ActorRunResult run)
        where TKind : IViolationKind
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Result.Stop is { } stop && stop.Fatal.Kind == TKind.Kind)
        {
            return stop;
        }

        throw new XunitException($"expected the run to stop with {TKind.Kind.JsonName()}, it ended {Describe(run)}");
    }

    /// <summary>
    /// Asserts that the violation's replay file reproduces it: the same schedule re-delivered from the
    /// file stops with the same kind and message (what <c>bootactors replay</c> does).
    /// </summary>
    protected void AssertReplayReproduces(FoundViolation found)
    {
        ArgumentNullException.ThrowIfNull(found);
        if (found.ReplayPath is not { } path)
        {
            throw new XunitException($"the {found.Kind} violation has no replay file (the exploration's ReplayOut was null)");
        }

        var outcome = new Explorer(Host).Replay(ReplayFile.Load(path));
        if (!outcome.Reproduced || outcome.Run.Result.Stop?.Fatal.Message != found.Message)
        {
            throw new XunitException(
                $"the replay of {path} gave {outcome.Got}: {outcome.Run.Result.Stop?.Fatal.Message ?? "no stop"}; expected {found.Kind}: {found.Message}");
        }
    }

    /// <summary>
    /// Plays a hand-written interleaving from the booted machine: e.g.
    /// <c>Script.Run(1).Until(HoldPoint.AfterPudValCheck).Then(2).ToEnd().Then(1).ToEnd()</c>.
    /// </summary>
    protected ActorRunResult RunScripted(RunSpec spec, Script script)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(script);
        var boot = Simulation.SnapshotAfterBoot(spec.Machine);
        var strategy = new ScriptedStrategy(script);
        strategy.BeginSchedule(0);
        var run = Host.Run(spec.Machine, spec.Workload, Host.DefaultOptions() with { Strategy = strategy, AfterBoot = boot });
        Output!.WriteLine($"scripted {script}: {Describe(run)}");
        return run;
    }

    /// <summary>
    /// Runs <paramref name="spec"/>'s workload from the booted machine with model actors replaced by
    /// probes; the run goes on in the background (bounded by the host's run timeout) while the test
    /// answers the probes.
    /// </summary>
    protected Task<ActorRunResult> RunWith(RunSpec spec, params ActorReplacement[] replacements)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = Host.DefaultOptions() with
        {
            Replacements = replacements,
            AfterBoot = Simulation.SnapshotAfterBoot(spec.Machine),
        };
        return Task.Run(() => Host.Run(spec.Machine, spec.Workload, options));
    }

    private static string Describe(BootFailure boot) =>
        $"{boot.Outcome}: {boot.Stop.Fatal.Kind.JsonName()} on CPU{boot.Stop.Cpu} in {boot.Stop.CallChain}: {boot.Stop.Fatal.Message}";

    private static string Describe(ActorRunResult run) =>
        run.Result.Stop is { } stop
            ? $"{run.Result.Outcome.JsonName()}: {stop.Fatal.Kind.JsonName()} on CPU{stop.Cpu}: {stop.Fatal.Message}"
            : run.Result.Outcome.JsonName();
}

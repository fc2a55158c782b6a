using Akka.Actor;
using BootActors.Actors.Conductor;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Scenarios;
using BootActors.Actors.Tests.Scenarios;
using BootActors.Actors.Trace;
using BootActors.Model.Machine;

namespace BootActors.Actors.Tests.Host;

/// <summary>One actor host for a test class (an ActorSystem each).</summary>
public sealed class ActorHostFixture : IDisposable
{
    public ActorHost Host { get; } = new(name: "bootactors-tests");

    public void Dispose() => Host.Dispose();
}

/// <summary>The shipped scenarios and runs of them.</summary>
internal static class Shipped
{
    public static IEnumerable<string> Names() =>
        Directory.GetFiles(ScenarioText.ScenariosDir(), "*" + ScenarioLoader.Extension)
            .Select(f => Path.GetFileNameWithoutExtension(f)!)
            .Order(StringComparer.Ordinal);

    public static Scenario Load(string name, params string[] sets) =>
        ScenarioLoader.Load(Path.Combine(ScenarioText.ScenariosDir(), name + ScenarioLoader.Extension), sets);

    /// <summary>A trace in memory, with the header the CLI would write.</summary>
    public static MemoryTraceSink Trace(Scenario scenario, HostMode mode, long seed) =>
        new(new TraceHeader(scenario.Name, mode == HostMode.Controlled ? "controlled" : "free", seed, "random",
            new Topology(scenario.Machine.Cpus, scenario.Machine.Xen).Names));

    public static ActorRunOptions Options(HostMode mode = HostMode.Controlled, long seed = 0) => new()
    {
        Mode = mode,
        Seed = seed,
        Timeout = TimeSpan.FromSeconds(30),
    };
}

/// <summary>
/// Runs a <see cref="RunHostActor"/> directly, below the <see cref="ActorHost"/> facade, so that a
/// test owns the <see cref="RunContext"/> (and the machine) the run uses.
/// </summary>
internal sealed class RunHostRig
{
    public RunHostRig(Machine machine, HostMode mode = HostMode.Controlled)
    {
        Machine = machine;
        Run = new RunContext(new Topology(machine.Tlbs.Length, machine.Config.Xen), machine, mode, null);
    }

    public Machine Machine { get; }

    public RunContext Run { get; }

    public Topology Topology => Run.Topology;

    /// <summary>Creates the run host (on the default dispatcher) and starts the run; the Finished goes to <paramref name="replyTo"/>.</summary>
    public IActorRef Start(ActorSystem system, IActorRef replyTo, Model.Workload.WorkloadPlan plan, IScheduleStrategy strategy, ActorRunOptions options)
    {
        var host = system.ActorOf(RunHostActor.Props(Run, null));
        host.Tell(new RunHost.Start(Machine, plan, strategy, options), replyTo);
        return host;
    }
}

/// <summary>
/// A strategy that runs <paramref name="beforeFirstChoice"/> once, when the conductor first asks it
/// to choose: after the run host has created every actor and filled the topology, before the first
/// delivery: where a test that owns the RunContext can put a stand-in into the topology.
/// </summary>
internal sealed class BeforeFirstChoice(IScheduleStrategy inner, Action beforeFirstChoice) : IScheduleStrategy
{
    private bool done;

    public string Name => inner.Name;

    public int Choose(IReadOnlyList<PendingMessage> pending)
    {
        if (!done)
        {
            done = true;
            beforeFirstChoice();
        }

        return inner.Choose(pending);
    }
}

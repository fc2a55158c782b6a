using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Settings;
using BootActors.Actors.Trace;
using BootActors.Model;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Host;

/// <summary>How to run on the actor host.</summary>
public sealed record ActorRunOptions
{
    public HostMode Mode { get; init; } = HostMode.Controlled;

    /// <summary>Controlled mode's strategy; default: seeded random with <see cref="Seed"/>.</summary>
    public IScheduleStrategy? Strategy { get; init; }

    public long Seed { get; init; }

    public ITraceSink? Trace { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public long MaxSteps { get; init; } = 50_000_000;

    public Action<LogLine>? OnLog { get; init; }

    /// <summary>Start from a copy of this booted machine and run only the workload (exploration: boot once, explore many).</summary>
    public BootSnapshot? AfterBoot { get; init; }

    /// <summary>Model actors to replace by a test's probe (fixed when a session's actors are first created).</summary>
    public IReadOnlyList<Testing.ActorReplacement> Replacements { get; init; } = [];

    /// <summary>Controlled mode: stop after delivering this many messages (to look at the machine at that point).</summary>
    public long? StopAfter { get; init; }

    /// <summary>
    /// Called with the run's machine (a fresh one or the copy of <see cref="AfterBoot"/>'s) before the
    /// first delivery, once the strategy knows the topology: exploration attaches its access recorder
    /// here, a tool that follows the state as the run goes (the trace viewer's page-table history) its observers.
    /// </summary>
    public Action<Machine>? OnMachine { get; init; }

    /// <summary>The dispatcher of every model actor in controlled mode (one thread: no handoffs, nothing lost in order).</summary>
    public string? ControlledDispatcher { get; init; } = ActorHost.ModelDispatcher;
}

/// <summary>A run on the actor host: the model's result plus what only this host knows.</summary>
public sealed record ActorRunResult(RunResult Result, long Delivered, HostMode Mode, string Strategy, IReadOnlyList<int> Interleaving, bool StoppedEarly = false)
{
    /// <summary>The interleaving as runs of consecutive deliveries serving one CPU, e.g. "cpu0×12 cpu1×3".</summary>
    public string InterleavingSummary(int maxRuns = 40)
    {
        var runs = InterleavingLog.CpuRuns(Interleaving).ToList();
        var text = string.Join(" ", runs.Take(maxRuns).Select(r => $"cpu{r.Cpu}×{r.Count}"));
        return runs.Count > maxRuns ? $"{text} … ({runs.Count} runs)" : text;
    }

    /// <summary>Switches between CPUs in delivery order.</summary>
    public int ContextSwitches => Exploration.ExplorationStrategy.ContextSwitches(Interleaving);
}

/// <summary>A run an <see cref="ActorSession"/> has begun; <see cref="Wait"/> gives its result (once; later calls give the same).</summary>
public sealed class PendingRun
{
    private readonly RunContext run;
    private readonly Machine machine;
    private readonly IScheduleStrategy strategy;
    private readonly ActorRunOptions options;
    private readonly RunHost.Completion done;
    private readonly Stopwatch sw = Stopwatch.StartNew();
    private ActorRunResult? result;

    internal PendingRun(RunContext run, Machine machine, IScheduleStrategy strategy, ActorRunOptions options, RunHost.Completion done)
    {
        this.run = run;
        this.machine = machine;
        this.strategy = strategy;
        this.options = options;
        this.done = done;
    }

    /// <summary>Whether the run has ended (<see cref="Wait"/> will not block).</summary>
    public bool HasEnded => result is not null || done.HasCome;

    /// <summary>Waits up to <paramref name="limit"/> for the run's end, without taking its result; false when it did not come.</summary>
    public bool WaitEnd(TimeSpan limit) => result is not null || done.Wait(limit) is not null;

    /// <summary>How long <see cref="Wait"/> waits before it gives the host up.</summary>
    internal TimeSpan WaitLimit => options.Timeout + TimeSpan.FromSeconds(10);

    /// <summary>Waits for the run's end: its timeout and ten seconds from now (a run queued behind another starts its clock when this is called).</summary>
    public ActorRunResult Wait()
    {
        if (result is not null)
        {
            return result;
        }

        var finished = done.Wait(WaitLimit) ??
            new RunHost.Finished(new Model.Interpreter.RunStop(-1, "host", new Model.Kernel.FatalEvent(Model.Kernel.ErrorKind.Timeout,
                $"the run host did not answer within {WaitLimit.TotalSeconds:0} s")), [], 0, run.Delivered);

        // Taken by the host when the run ended; else (no answer, a broken host) what the context holds.
        var interleaving = finished.Interleaving ?? run.InterleavingSnapshot();
        var r = new RunResult
        {
            Machine = machine,
            Stop = finished.Stop,
            Log = finished.Log,
            Steps = finished.Delivered,
            Elapsed = finished.Elapsed ?? sw.Elapsed,
            LastMapAddr = options.AfterBoot?.LastMapAddr ?? finished.LastMapAddr,
        };
        result = new ActorRunResult(r, finished.Delivered, run.Mode, run.Mode == HostMode.Controlled ? strategy.Name : "free", interleaving, finished.StoppedEarly);
        return result;
    }
}

/// <summary>The actors of a run, kept for the next run of the same shape.</summary>
public sealed class ActorSession : IDisposable
{
    private readonly ActorHost owner;
    private readonly RunContext run;
    private readonly IActorRef host;
    private bool used;

    internal ActorSession(ActorHost owner, ActorSystem system, int cpus, bool xen, HostMode mode, string? dispatcher, string name)
    {
        this.owner = owner;
        var topology = new Topology(cpus, xen);
        Topology = topology;

        // The first Start gives the real machine; until then the context holds none.
        run = new RunContext(topology, null!, mode, null);

        // Controlled: the host shares the model actors' one thread, so a run wakes no other thread
        // (a thread-pool worker woken per phase or printk spins, and takes a core from the run).
        var props = RunHostActor.Props(run, dispatcher);
        host = system.ActorOf(dispatcher is null ? props : props.WithDispatcher(dispatcher), name);
    }

    public Topology Topology { get; }

    public ActorRunResult Run(MachineConfig config, WorkloadPlan plan, ActorRunOptions? options = null) => Begin(config, plan, options).Wait();

    /// <summary>
    /// Starts a run and returns without waiting for it. A run begun while another is in progress
    /// (controlled mode) starts on the model thread as soon as that one ends, so the caller can
    /// prepare the next run — copy the booted machine, hash the last result — while this one runs.
    /// </summary>
    public PendingRun Begin(MachineConfig config, WorkloadPlan plan, ActorRunOptions? options = null)
    {
        options ??= owner.DefaultOptions();
        if (config.Cpus != Topology.Cpus && Math.Max(1, config.Cpus) != Topology.Cpus || config.Xen != (Topology.Hypervisor >= 0))
        {
            throw new ArgumentException($"this session's actors are for {Topology.Cpus} CPU(s), {(Topology.Hypervisor >= 0 ? "Xen" : "native")}");
        }

        if (used && run.Mode != HostMode.Controlled)
        {
            throw new InvalidOperationException("free-mode actors serve one run only");
        }

        foreach (var r in options.Replacements)
        {
            if (!Topology.Names.Contains(r.Actor) || r.Actor == "host")
            {
                throw new ArgumentException($"cannot replace '{r.Actor}': the run's actors are {string.Join(", ", Topology.Names.Skip(1))}");
            }
        }

        used = true;
        var machine = options.AfterBoot is { } boot ? boot.Machine.Clone() : new Machine(config);
        machine.Validate(plan);
        var strategy = options.Strategy ?? new RandomStrategy(options.Seed);
        strategy.Attach(Topology);
        options.OnMachine?.Invoke(machine);
        var done = new RunHost.Completion();
        host.Tell(new RunHost.Start(machine, plan, strategy, options, done), ActorRefs.NoSender);
        return new PendingRun(run, machine, strategy, options, done);
    }

    public void Dispose()
    {
        // Stop the actors before anyone reads the machine they owned.
        try
        {
            host.GracefulStop(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            run.Release();
        }
        catch (TaskCanceledException)
        {
        }
    }
}

/// <summary>
/// The actor host: one ActorSystem, any number of runs. Each run builds the same
/// <see cref="Machine"/> the sequential interpreter would, gives each actor the part it owns, and
/// drives the same step machines through messages.
/// </summary>
public sealed class ActorHost : IDisposable
{
    public const string ModelDispatcher = "bootactors.model-dispatcher";

    /// <summary>
    /// Defaults under whatever config/akka.hocon sets. Akka's own default logger prints to stdout,
    /// which belongs to a command's output (one JSON object with --json); its messages go through
    /// Serilog instead, which the CLI writes to stderr.
    /// </summary>
    public static readonly Config Defaults = ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
          logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        bootactors.model-dispatcher {
          type = Dispatcher
          executor = "BootActors.Actors.Infrastructure.ModelThreadExecutorConfigurator, BootActors.Actors"
          throughput = 1000
        }
        """);

    private readonly ActorSystem system;
    private readonly bool ownsSystem;
    private int runs;

    public ActorHost(Config? config = null, string name = "bootactors")
    {
        var full = (config ?? Config.Empty).WithFallback(Defaults);
        Settings = BootActorsSettings.From(full);
        system = ActorSystem.Create(name, full);
        Name = name;
        ownsSystem = true;
        try
        {
            // The model dispatcher is built on first use; a bad one (an executor type that does not
            // exist, a throughput that is not a number) is the configuration's mistake, said now.
            system.Dispatchers.Lookup(Settings.ModelDispatcher);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw new ConfigurationException($"{Settings.ModelDispatcher}: {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>An actor host configured by the nearest config/akka.hocon (Akka's logging through Serilog).</summary>
    /// <exception cref="AkkaConfigException">The file is not HOCON, or a value in it is unusable.</exception>
    public static ActorHost FromConfigDirectory() => BootActorsSettings.UseAkkaConfig(c => new ActorHost(c));

    /// <summary>The bootactors section of the configuration.</summary>
    public BootActorsSettings Settings { get; } = BootActorsSettings.Default;

    /// <summary>Options with the configured run timeout and step bound.</summary>
    public ActorRunOptions DefaultOptions() => new()
    {
        Timeout = Settings.RunTimeout,
        MaxSteps = Settings.ConductorMaxSteps,
        ControlledDispatcher = Settings.ModelDispatcher,
    };

    /// <summary>An actor host on an ActorSystem someone else owns (a TestKit's); its bootactors section configures the host.</summary>
    public ActorHost(ActorSystem system)
    {
        this.system = system;
        Name = system.Name;
        Settings = BootActorsSettings.From(system.Settings.Config);
    }

    public ActorSystem System => system;

    /// <summary>The actor system's name.</summary>
    public string Name { get; }

    /// <summary>
    /// A host of its own (its own ActorSystem, so its own model-dispatcher thread) with this one's
    /// configuration: an exploration's parallel engines each run on one.
    /// </summary>
    public ActorHost Sibling(string name) => new(system.Settings.Config, name);

    /// <summary>One run on fresh actors (any mode).</summary>
    public ActorRunResult Run(MachineConfig config, WorkloadPlan plan, ActorRunOptions? options = null)
    {
        options ??= DefaultOptions();
        using var session = OpenSession(config.Cpus, config.Xen, options.Mode, options.ControlledDispatcher);
        return session.Run(config, plan, options);
    }

    /// <summary>
    /// A set of actors for machines of one shape (CPU count, native or Xen) that serves many runs in
    /// turn — an exploration's schedules — each starting from fresh state. Controlled mode only for
    /// more than one run.
    /// </summary>
    public ActorSession OpenSession(int cpus, bool xen, HostMode mode = HostMode.Controlled, string? dispatcher = ModelDispatcher)
    {
        var n = Interlocked.Increment(ref runs);
        return new ActorSession(this, system, Math.Max(1, cpus), xen, mode, mode == HostMode.Controlled ? dispatcher : null, $"run-{n}");
    }

    public void Dispose()
    {
        if (ownsSystem)
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
    }
}

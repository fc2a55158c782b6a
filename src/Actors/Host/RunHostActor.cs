using Akka.Actor;
using BootActors.Actors.Components;
using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Host;

/// <summary>The host's protocol with the facade.</summary>
public static class RunHost
{
    /// <summary>Run this machine (a fresh one, or a copy of a booted one in <see cref="ActorRunOptions.AfterBoot"/>) on the host's actors.</summary>
    /// <param name="Done">Given the <see cref="Finished"/> instead of the sender (the facade's wait; see <see cref="ActorSession.Run"/>).</param>
    public sealed record Start(Model.Machine.Machine Machine, WorkloadPlan Plan, IScheduleStrategy Strategy, ActorRunOptions Options, Completion? Done = null);

    /// <summary>
    /// Where the facade waits for a run's <see cref="Finished"/>. Not Ask: its reply wakes the caller
    /// through a thread-pool hop, two wake-ups per run where an exploration runs thousands a second.
    /// The host's thread sets an event the caller blocks on without spinning (<c>Task.Wait</c> spins
    /// and yields first, on the core that parallel engines' model threads need).
    /// </summary>
    public sealed class Completion
    {
        private readonly ManualResetEventSlim set = new(false, 0);
        private Finished? result;

        public void Complete(Finished finished)
        {
            result = finished;
            set.Set();
        }

        /// <summary>The run's end, or null when it did not come within <paramref name="timeout"/>.</summary>
        public Finished? Wait(TimeSpan timeout) => set.Wait(timeout) ? result : null;

        public bool HasCome => set.IsSet;
    }

    /// <summary>How the run ended (the machine itself is read by the facade once the actors are stopped).</summary>
    /// <param name="Interleaving">The CPUs in delivery order, taken when the run ended (a run queued behind it clears the context's).</param>
    /// <param name="Elapsed">From the run's start on the host to its end (a queued run's wait not included).</param>
    public sealed record Finished(RunStop? Stop, IReadOnlyList<LogLine> Log, ulong LastMapAddr, long Delivered, bool StoppedEarly = false)
    {
        public InterleavingLog? Interleaving { get; init; }

        public TimeSpan? Elapsed { get; init; }
    }

    internal sealed record RunTimeout(TimeSpan After, int Epoch);

    internal sealed record ActorFailed(string Actor, Exception Cause);
}

/// <summary>
/// Runs machines on the actor host: creates the model actors under itself once (supervising them),
/// and for each Start resets them, starts the boot on CPU0 (or starts from a booted copy), sets
/// after_bootmem, then runs the workload's steps; a run ends on the first fatal event, an actor
/// failure, a deadlock, the step bound or the timeout — each reported as such. Reuse across runs
/// (an exploration's schedules) needs controlled mode; a failed actor ends the host's usefulness.
/// </summary>
internal sealed class RunHostActor : ReceiveActor, IWithTimers
{
    private readonly RunContext run;
    private readonly string? dispatcher;
    private WorkloadPlan plan = WorkloadPlan.BootOnly;
    private ActorRunOptions options = new();
    private List<LogLine> log = new();
    private bool created;
    private string? broken;
    private readonly long[] clock;
    private readonly HashSet<int> running = new();
    private readonly Dictionary<int, string> runningLabels = new();
    private IActorRef? replyTo;
    private RunHost.Completion? done;
    private IActorRef conductor = ActorRefs.Nobody;
    private int phase = -1;
    private RunStop? stop;
    private bool finished;
    private bool stoppedEarly;

    // Starts that came while a run was in progress (an exploration prepares its next schedule
    // meanwhile), begun in order as each run ends.
    private readonly Queue<RunHost.Start> queued = new();
    private bool active;
    private long startedAt;

    public RunHostActor(RunContext run, string? dispatcher)
    {
        this.run = run;
        this.dispatcher = dispatcher;
        clock = new long[run.Topology.Count];
        Receive<RunHost.Start>(s =>
        {
            if (active)
            {
                queued.Enqueue(s);
                return;
            }

            Begin(s);
        });
        Receive<Cpu.Printk>(p =>
        {
            if (p.Epoch != run.Epoch)
            {
                return;
            }

            Log(new LogLine(p.Cpu, p.Fn.ToString(), p.Text));
        });
        Receive<Cpu.ProgramDone>(d =>
        {
            if (d.Epoch == run.Epoch)
            {
                OnProgramDone(d.Cpu);
            }
        });
        Receive<Cpu.Stopped>(s =>
        {
            if (s.Epoch == run.Epoch)
            {
                End(new RunStop(s.Cpu, s.CallChain, s.Fatal));
            }
        });
        Receive<Conductor.Conductor.Quiescent>(q =>
        {
            // A Quiescent of an earlier run (its conductor pumped once more after the host had moved on) says nothing of this one.
            if (q.Epoch == run.Epoch && q.Phase == phase && running.Count > 0 && !finished)
            {
                var waiting = string.Join(", ", running.Select(c => $"CPU{c} ({runningLabels[c]})"));
                var pt = run.Machine.Lock.Owner is { } o ? $"CPU{o}" : "nobody";
                var hm = run.Machine.HotplugMutex.Owner is { } h ? $"CPU{h}" : "nobody";
                End(new RunStop(running.Min(), "deadlock", new FatalEvent(ErrorKind.Deadlock,
                    $"no message can be delivered but {waiting} have not finished: they wait for a lock " +
                    $"(init_mm.page_table_lock held by {pt}, the hotplug mutex by {hm})")));
            }
        });
        Receive<Conductor.Conductor.StepLimit>(l =>
        {
            if (l.Epoch != run.Epoch)
            {
                return;
            }

            if (options.StopAfter is not null)
            {
                stoppedEarly = true;
                End(null);
                return;
            }

            End(new RunStop(-1, "conductor", new FatalEvent(ErrorKind.Timeout,
                $"the run reached its step bound after {l.Delivered} deliveries without finishing")));
        });
        Receive<Conductor.Conductor.Cut>(c =>
        {
            if (c.Epoch == run.Epoch)
            {
                stoppedEarly = true;
                End(null);
            }
        });
        Receive<RunHost.RunTimeout>(t =>
        {
            if (t.Epoch == run.Epoch)
            {
                End(new RunStop(-1, "host", new FatalEvent(ErrorKind.Timeout,
                    $"the run did not finish within {t.After.TotalSeconds:0.#} s ({run.Delivered} messages delivered; still running: " +
                    $"{string.Join(", ", running.Select(c => $"CPU{c} ({runningLabels[c]})"))})")));
            }
        });
        Receive<RunHost.ActorFailed>(f =>
        {
            broken = $"actor {f.Actor} failed: {f.Cause.GetType().Name}: {f.Cause.Message}";
            End(new RunStop(-1, f.Actor, new FatalEvent(ErrorKind.ActorFailed, broken)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RunContext run, string? dispatcher) =>
        Akka.Actor.Props.Create<RunHostActor>(run, dispatcher); // not an expression: see OwnerActor.Props

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(0, 0, ex =>
        {
            Self.Tell(new RunHost.ActorFailed(Sender.Path.Name, ex));
            return Directive.Stop;
        }, loggingEnabled: false); // the run's result reports the failure; Akka's log line would repeat it

    private void Begin(RunHost.Start start)
    {
        replyTo = Sender;
        done = start.Done;
        if (broken is not null)
        {
            BeginQueued();
            Reply(new RunHost.Finished(new RunStop(-1, "host", new FatalEvent(ErrorKind.ActorFailed,
                $"this host cannot run again: {broken}")), [], 0, 0));
            return;
        }

        active = true;
        startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        run.Reset(start.Machine, start.Options.Trace);
        plan = start.Plan;
        options = start.Options;
        log = new List<LogLine>();
        Array.Clear(clock);
        running.Clear();
        runningLabels.Clear();
        phase = -1;
        stop = null;
        finished = false;
        stoppedEarly = false;
        run.Host = Self;
        CreateActors();
        foreach (var actor in run.Topology.Refs.Skip(1))
        {
            actor.Tell(new ResetActor(run.Epoch));
        }

        if (run.Controlled)
        {
            conductor.Tell(new Conductor.Conductor.Reset(start.Strategy, options.StopAfter ?? options.MaxSteps, run.Epoch));
        }

        Timers.StartSingleTimer("run-timeout", new RunHost.RunTimeout(options.Timeout, run.Epoch), options.Timeout);

        if (options.AfterBoot is { } boot)
        {
            log.AddRange(boot.Log);
            if (boot.Stop is not null)
            {
                End(boot.Stop);
                return;
            }

            phase = 0;
            NextPhase();
            return;
        }

        foreach (var line in Simulation.SetupArchLines(run.Machine))
        {
            Log(new LogLine(0, nameof(KernelFn.setup_arch), line));
        }

        if (finished)
        {
            return;
        }

        var m = run.Machine;
        StartPhase(0, [(0, ctx => m.Code.InitMemoryMapping(ctx, 0, m.End), "boot: init_memory_mapping(0, end)")]);
    }

    private void CreateActors()
    {
        if (created)
        {
            return;
        }

        created = true;
        run.HandsOnForced = options.Replacements.Count == 0;
        var topo = run.Topology;
        Props On(Props p) => dispatcher is null ? p : p.WithDispatcher(dispatcher);
        foreach (var r in options.Replacements)
        {
            if (!topo.Names.Contains(r.Actor) || r.Actor == "host")
            {
                throw new ArgumentException($"cannot replace '{r.Actor}': the run's actors are {string.Join(", ", topo.Names.Skip(1))}");
            }
        }

        void Create(int id, Props props)
        {
            var name = topo.Names[id];
            var replacement = options.Replacements.FirstOrDefault(r => r.Actor == name);
            topo.Refs[id] = replacement is null
                ? Context.ActorOf(On(props), name)
                : Context.ActorOf(On(Testing.ProbeRelayActor.Props(run, id, replacement, On(props))), name);
        }

        if (run.Controlled)
        {
            conductor = Context.ActorOf(On(ConductorActor.Props(run, new FifoStrategy(), long.MaxValue)), "conductor");
            run.Conductor = conductor;
        }

        for (var i = 0; i < topo.Cpus; i++)
        {
            Create(topo.Cpu(i), CpuActor.Props(run, i));
            Create(topo.Tlb(i), OwnerActor.Props(run, StageOwner.Tlb, i));
        }

        Create(topo.Memory, OwnerActor.Props(run, StageOwner.PhysicalMemory));
        Create(topo.Allocator, OwnerActor.Props(run, StageOwner.PageAllocator));
        Create(topo.PageTableLock, OwnerActor.Props(run, StageOwner.Lock, (int)KernelCode.PageTableLock));
        Create(topo.HotplugMutex, OwnerActor.Props(run, StageOwner.Lock, (int)KernelCode.HotplugMutexLock));
        if (topo.Hypervisor >= 0)
        {
            Create(topo.Hypervisor, OwnerActor.Props(run, StageOwner.Hypervisor));
        }

        topo.Refs[Topology.Host] = Self;
    }

    /// <summary>Keeps a printk line and hands it to the caller's log; a callback that throws ends the run with its cause.</summary>
    private void Log(LogLine line)
    {
        log.Add(line);
        try
        {
            options.OnLog?.Invoke(line);
        }
        catch (Exception ex)
        {
            End(new RunStop(line.Cpu, "host", new FatalEvent(ErrorKind.ActorFailed,
                $"the run's log callback failed on \"{line.Text}\": {ex.GetType().Name}: {ex.Message}")));
        }
    }

    private void StartPhase(int number, IReadOnlyList<(int Cpu, Func<CpuContext, IEnumerable<Effect>> Program, string Label)> programs)
    {
        phase = number;
        running.Clear();
        runningLabels.Clear();
        var envelopes = new List<ModelEnvelope>();
        foreach (var (cpu, program, label) in programs)
        {
            running.Add(cpu);
            runningLabels[cpu] = label;
            clock[Topology.Host]++;
            var snapshot = (long[])clock.Clone();
            var msg = new Cpu.RunProgram(program, label);
            var to = run.Topology.Cpu(cpu);
            if (run.Controlled)
            {
                envelopes.Add(new ModelEnvelope(Topology.Host, to, msg, snapshot));
            }
            else
            {
                run.Topology.Refs[to].Tell(new Deliver(0, Topology.Host, msg, snapshot));
            }
        }

        if (run.Controlled)
        {
            conductor.Tell(new Conductor.Conductor.StartPhase(number, envelopes));
        }

        if (programs.Count == 0)
        {
            NextPhase();
        }
    }

    private void OnProgramDone(int cpu)
    {
        if (finished || !running.Remove(cpu) || running.Count > 0)
        {
            return;
        }

        NextPhase();
    }

    private void NextPhase()
    {
        var m = run.Machine;
        if (phase == 0)
        {
            // mem_init: free_all_bootmem, then after_bootmem = 1 (all actors are idle here).
            m.Globals.after_bootmem = true;
            m.Memory.TrackWrites = true;
        }

        var next = phase + 1;
        if (next - 1 >= plan.Steps.Count)
        {
            End(Simulation.EndOfRunChecks(m));
            return;
        }

        var programs = new List<(int, Func<CpuContext, IEnumerable<Effect>>, string)>();
        foreach (var (cpu, events, label) in StepByCpu(next - 1))
        {
            programs.Add((cpu, ctx => Simulation.Program(m, ctx, events), label));
        }

        StartPhase(next, programs);
    }

    // The plan's steps by CPU, with their labels: made once per plan, not once per explored schedule.
    private WorkloadPlan? groupedPlan;
    private IReadOnlyList<(int Cpu, WorkloadEvent[] Events, string Label)>?[] grouped = [];

    private IReadOnlyList<(int Cpu, WorkloadEvent[] Events, string Label)> StepByCpu(int index)
    {
        if (!ReferenceEquals(groupedPlan, plan))
        {
            groupedPlan = plan;
            grouped = new IReadOnlyList<(int, WorkloadEvent[], string)>?[plan.Steps.Count];
        }

        return grouped[index] ??= Simulation.ByCpu(plan.Steps[index]);
    }

    private void End(RunStop? result)
    {
        if (finished)
        {
            return;
        }

        finished = true;
        stop = result;
        run.Halted = true;
        Timers.Cancel("run-timeout");
        if (run.Controlled)
        {
            conductor.Tell(Conductor.Conductor.Halt.Instance);
        }

        active = false;
        var ended = new RunHost.Finished(stop, log, run.CpuContexts[0].BootLastMapAddr, run.Delivered, stoppedEarly)
        {
            Interleaving = run.InterleavingSnapshot(),
            Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(startedAt),
        };
        BeginQueued();
        Reply(ended);
    }

    /// <summary>
    /// The Start that came while the run was in progress goes after whatever of that run is still in
    /// the mailbox (its epoch ignores it there), and before the caller, woken by the reply, can send another.
    /// </summary>
    private void BeginQueued()
    {
        if (queued.TryDequeue(out var next))
        {
            Self.Tell(next);
        }
    }

    private void Reply(RunHost.Finished finished)
    {
        if (done is { } d)
        {
            done = null;
            d.Complete(finished);
        }
        else
        {
            replyTo?.Tell(finished);
        }
    }
}

using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// A CPU (boot CPU 0 or an AP): runs the model's step machines. Each step is its plan's stages
/// (<see cref="StepPlans"/>, under Xen the hypervisor's for page-table writes and flushes): each
/// stage a request to every owner it names, sent at once (e.g. an IPI to every TLB); the next stage
/// when all have answered; at the end the last answer's value in %rax. A fatal answer stops the CPU.
/// </summary>
internal sealed class CpuActor : ModelActor
{
    private readonly int index;
    private readonly Queue<Cpu.RunProgram> programs = new();
    private CpuThread? thread;
    private string label = "";
    private StepPlan? plan;
    private StepTag step;
    private int stage;
    private int awaiting;
    private StepResult last;

    // The delivery during which this CPU asked for folded iterations (their step's first request).
    private long foldedFrom;

    public CpuActor(RunContext run, int index)
        : base(run, run.Topology.Cpu(index))
    {
        this.index = index;
    }

    private CpuContext Registers => Run.CpuContexts[index];

    protected override void OnReset()
    {
        programs.Clear();
        thread = null;
        plan = null;
        stage = 0;
        awaiting = 0;
    }

    public static Props Props(RunContext run, int index) => Akka.Actor.Props.Create<CpuActor>(run, index); // not an expression: see OwnerActor.Props

    protected override void Handle(int from, ModelMessage message)
    {
        switch (message)
        {
            case Cpu.RunProgram p:
                programs.Enqueue(p);
                if (thread is null)
                {
                    StartNext();
                }

                break;
            case StepReply r:
                OnReply(r.Result);
                break;
            default:
                throw new InvalidOperationException($"{Topo.Names[Self]} got {message.TypeName} from {Topo.Names[from]}");
        }
    }

    private void StartNext()
    {
        if (programs.Count == 0)
        {
            return;
        }

        var p = programs.Dequeue();
        label = p.Label;
        thread = new CpuThread(Registers, p.Program(Registers), p.Label);
        Continue();
    }

    private void OnReply(StepResult result)
    {
        if (thread is null)
        {
            return;
        }

        if (result.IsFatal)
        {
            Stop(result.Fatal!);
            return;
        }

        last = result;
        if (--awaiting > 0)
        {
            return;
        }

        if (++stage < plan!.Count)
        {
            SendStage();
            return;
        }

        if (FoldedIterations.Folds(plan.Kind))
        {
            Folded(step.Step, last.Value);
        }

        Registers.Rax = last.Value;
        Continue();
    }

    /// <summary>
    /// Folded iterations have answered: the run counts the deliveries their steps would have taken
    /// instead of the two to six this step took (a request and answer, and the allocator's and, under Xen, the hypervisor's between).
    /// </summary>
    private void Folded(in Effect e, ulong done)
    {
        var took = CurrentSeq - foldedFrom;
        if (took is not (2 or 4 or 6))
        {
            throw new InvalidOperationException(
                $"CPU{index}: folded {(e.Kind == EffectKind.PudIterations ? "phys_pud_init" : "phys_pmd_init")} iterations took deliveries {foldedFrom + 1}..{CurrentSeq}; another delivery came between them");
        }

        var folded = (FoldedIterations)e.Payload!;
        var delivered = folded.Deliveries(FoldedIterations.Done(done), Topo.Hypervisor >= 0, Topo.Cpus, FoldedIterations.WithoutReadOnlyWrite(done));
        Represent(delivered - took);
    }

    /// <summary>
    /// Folded iterations may stand only for deliveries no one else could have made or watched: a
    /// forced run the conductor left to the actors, untraced, with nothing recording or observing.
    /// </summary>
    private bool MayFold => FoldRoom > 1 && Machine.StepsUnwatched;

    /// <summary>The folded iterations <paramref name="e"/> asks for, cut to what the run's bound leaves room for.</summary>
    private Effect WithinRoom(in Effect e)
    {
        var folded = (FoldedIterations)e.Payload!;
        var perIteration = folded.Deliveries(1, Topo.Hypervisor >= 0, Topo.Cpus);
        var room = (FoldRoom - 1) / perIteration;
        foldedFrom = CurrentSeq;
        return room >= folded.Count ? e : e.With(folded.WithCount((int)Math.Max(0, room)));
    }

    private void Continue()
    {
        var xen = Topo.Hypervisor >= 0;
        Registers.MayFold = MayFold;
        while (thread is not null)
        {
            if (!thread.Advance())
            {
                thread = null;
                NotifyHost(new Cpu.ProgramDone(index, label, Epoch));
                StartNext();
                return;
            }

            var e = thread.Current;
            var p = StepPlans.Of(e.Kind, xen);
            if (p.Count == 0)
            {
                var alone = Machine.CpuStep(Registers, e);
                if (alone.IsFatal)
                {
                    Stop(alone.Fatal!);
                    return;
                }

                if (e.Kind == EffectKind.Printk)
                {
                    NotifyHost(new Cpu.Printk(index, e.Fn, (string)e.Payload!, Epoch));
                }

                continue;
            }

            plan = p;
            step = new StepTag(index, FoldedIterations.Folds(e.Kind) ? WithinRoom(e) : e);
            stage = 0;
            SendStage();
            return;
        }
    }

    private void SendStage()
    {
        var s = plan![stage];
        awaiting = s.TargetCount(Topo.Cpus);
        for (var i = 0; i < awaiting; i++)
        {
            Send(Topo.OwnerOf(s, index, i, step.Step), new StepRequest(s, step));
        }
    }

    private void Stop(FatalEvent fatal)
    {
        var chain = thread?.Chain() ?? "";
        thread = null;
        StoppedRun = true;
        Run.Halted = true;
        NotifyHost(new Cpu.Stopped(index, chain, fatal, Epoch));
    }
}

using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// A CPU (boot CPU 0 or an AP): runs the model's step machines. Each step becomes a message to the
/// actor that owns that state (under Xen, the hypervisor for page-table writes and flushes), and
/// the CPU continues when the reply comes, with the reply's value in %rax. A step some actors own
/// together is a plan of stages, each stage's messages sent at once (e.g. an IPI to every TLB).
/// </summary>
internal sealed class CpuActor : ModelActor
{
    private readonly int index;
    private readonly Queue<Cpu.RunProgram> programs = new();
    private CpuThread? thread;
    private string label = "";
    private List<List<(int To, ModelMessage Message)>> plan = new();
    private int stage;
    private int awaiting;
    private StepResult last;

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
        plan = new();
        stage = 0;
        awaiting = 0;
    }

    public static Props Props(RunContext run, int index) => Akka.Actor.Props.Create(() => new CpuActor(run, index));

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

        if (++stage < plan.Count)
        {
            SendStage();
            return;
        }

        Registers.Rax = last.Value;
        Continue();
    }

    private void Continue()
    {
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
            switch (e.Kind)
            {
                case EffectKind.Enter:
                case EffectKind.Leave:
                    continue;
                case EffectKind.Printk:
                    NotifyHost(new Cpu.Printk(index, e.Fn, (string)e.Payload!, Epoch));
                    continue;
                case EffectKind.Fatal:
                    Stop((FatalEvent)e.Payload!);
                    return;
            }

            plan = Plan(e, new StepTag(index, e));
            stage = 0;
            SendStage();
            return;
        }
    }

    private void SendStage()
    {
        var messages = plan[stage];
        awaiting = messages.Count;
        foreach (var (to, m) in messages)
        {
            Send(to, m);
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

    /// <summary>Who carries out a step, in what order: the same parts Model.Machine.Apply composes.</summary>
    private List<List<(int, ModelMessage)>> Plan(in Effect e, StepTag tag)
    {
        var xen = Topo.Hypervisor >= 0;
        var hyp = Topo.Hypervisor;
        List<(int, ModelMessage)> One(int to, ModelMessage m) => [(to, m)];
        StepMessage Step(in Effect step) => new(step) { Tag = tag };

        switch (e.Kind)
        {
            case EffectKind.SetEntry when xen:
                return [One(hyp, new Hypervisor.MmuUpdate(e) { Tag = tag })];
            case EffectKind.Populate when xen:
                return [One(hyp, new Hypervisor.UpdateVaMapping(e) { Tag = tag }), One(hyp, new Hypervisor.MmuUpdate(e) { Tag = tag })];
            case EffectKind.PteInitLoop when xen:
                return [One(hyp, new Hypervisor.PteStores(e) { Tag = tag })];
            case EffectKind.EarlyIoremap when xen:
                return [One(hyp, new Hypervisor.FixmapStore(e) { Tag = tag }), One(Topo.Allocator, Step(e))];
            case EffectKind.EarlyIounmap when xen:
                return [One(Topo.Allocator, Step(e)), One(hyp, new Hypervisor.FixmapStore(e) { Tag = tag })];
            case EffectKind.FlushTlbAll when xen:
            case EffectKind.FlushTlbGlobal when xen:
                return [One(hyp, new Hypervisor.MmuextOp(e) { Tag = tag })];
            case EffectKind.FlushTlbAll:
            case EffectKind.Touch:
                return [One(Topo.Tlb(index), Step(e))];
            case EffectKind.FlushTlbGlobal:
                var ipi = new List<(int, ModelMessage)>();
                for (var i = 0; i < Topo.Cpus; i++)
                {
                    ipi.Add((Topo.Tlb(i), Step(e)));
                }

                return [ipi];
            case EffectKind.SpinLock:
            case EffectKind.SpinUnlock:
                return [One(Topo.Lock(e.Value), Step(e))];
        }

        return Model.Machine.Machine.OwnerOf(e.Kind) switch
        {
            StepOwner.PageAllocator => [One(Topo.Allocator, Step(e))],
            StepOwner.PhysicalMemory => [One(Topo.Memory, Step(e))],
            _ => throw new InvalidOperationException($"no owner for {e.Kind}"),
        };
    }
}

using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// One CPU's TLB. Translate (a memory access of the CPU's step): a hit is checked for staleness
/// against memory; a miss sends PhysicalMemory a Walk and caches what comes back. FlushTlbAll
/// (__flush_tlb_all, or Xen's MMUEXT_TLB_FLUSH_LOCAL) and FlushTlbIpi (a shootdown) empty it and
/// acknowledge.
/// </summary>
internal sealed class TlbActor : ModelActor
{
    private readonly int cpu;
    private readonly Queue<(int From, StepMessage Request)> walks = new();

    public TlbActor(RunContext run, int cpu)
        : base(run, run.Topology.Tlb(cpu))
    {
        this.cpu = cpu;
    }

    public static Props Props(RunContext run, int cpu) => Akka.Actor.Props.Create(() => new TlbActor(run, cpu));

    protected override void OnReset()
    {
        walks.Clear();
    }

    protected override void Handle(int from, ModelMessage message)
    {
        switch (message)
        {
            case StepMessage { Step.Kind: EffectKind.Touch } m:
                var lookup = Machine.TlbLookupStep(cpu, m.Step.Value);
                if (!lookup.IsFatal && lookup.Value == Model.Machine.Machine.TlbMiss)
                {
                    walks.Enqueue((from, m));
                    Send(Topo.Memory, new PhysicalMemory.Walk(m.Step) { Tag = m.Tag });
                    return;
                }

                Send(from, new StepDone(m.Step, lookup) { Tag = m.Tag });
                break;
            case PhysicalMemory.Walked w:
                var (requester, request) = walks.Dequeue();
                if (w.Entry is not null)
                {
                    Machine.Tlbs[cpu].Insert(w.Entry);
                }

                Send(requester, new StepDone(request.Step, w.Result) { Tag = request.Tag });
                break;
            case StepMessage { Step.Kind: EffectKind.FlushTlbAll or EffectKind.FlushTlbGlobal } f:
                Machine.Tlbs[cpu].FlushAll();
                Send(from, new StepDone(f.Step, StepResult.Ok()) { Tag = f.Tag });
                break;
            default:
                throw new InvalidOperationException($"{Topo.Names[Self]} got {message.TypeName} from {Topo.Names[from]}");
        }
    }
}

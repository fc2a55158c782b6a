using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;

namespace BootActors.Actors.Components;

/// <summary>Owns the machine's memory (Model.Machine.MemoryStep): the only actor that writes page-table frames.</summary>
internal sealed class PhysicalMemoryActor : ModelActor
{
    public PhysicalMemoryActor(RunContext run)
        : base(run, run.Topology.Memory)
    {
    }

    public static Props Props(RunContext run) => Akka.Actor.Props.Create(() => new PhysicalMemoryActor(run));

    protected override void Handle(int from, ModelMessage message)
    {
        Machine.Memory.CurrentSeq = CurrentSeq;
        switch (message)
        {
            case StepMessage m:
                Send(from, new StepDone(m.Step, Machine.MemoryStep(m.Step)) { Tag = m.Tag });
                break;
            case PhysicalMemory.ApplyUpdate a:
                if (a.ClearRw is { } ro)
                {
                    Machine.Mmu.ClearRw(ro);
                }

                var result = a.StepToo ? Machine.MemoryStep(a.Step, a.StopAt) : Model.Machine.StepResult.Ok();
                Send(from, new PhysicalMemory.UpdateApplied(result) { Tag = a.Tag });
                break;
            case PhysicalMemory.Walk w:
                var (entry, walked) = Machine.WalkStep(w.Tag.Cpu, w.Step.Value, CurrentSeq);
                Send(from, new PhysicalMemory.Walked(entry, walked) { Tag = w.Tag });
                break;
            default:
                throw new InvalidOperationException($"PhysicalMemory got {message.TypeName} from {Topo.Names[from]}");
        }
    }
}

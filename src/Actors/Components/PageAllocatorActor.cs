using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Components;

/// <summary>
/// Owns alloc_low_page's early table buffer and the early_ioremap slots (Model.Machine.AllocatorStep);
/// after bootmem it hands out zeroed pages. Protocol: <see cref="StepMessage"/> for FindEarlyTableSpace,
/// AllocLowPage, EarlyIoremap, EarlyIounmap; replies <see cref="StepDone"/> (a panic when the buffer is used up).
/// </summary>
internal sealed class PageAllocatorActor : ModelActor
{
    public PageAllocatorActor(RunContext run)
        : base(run, run.Topology.Allocator)
    {
    }

    public static Props Props(RunContext run) => Akka.Actor.Props.Create(() => new PageAllocatorActor(run));

    protected override void Handle(int from, ModelMessage message)
    {
        if (message is not StepMessage m)
        {
            throw new InvalidOperationException($"PageAllocator got {message.TypeName} from {Topo.Names[from]}");
        }

        Send(from, new StepDone(m.Step, Machine.AllocatorStep(m.Step)) { Tag = m.Tag });
    }
}

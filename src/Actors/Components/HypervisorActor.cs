using Akka.Actor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.Components;

/// <summary>
/// Xen: keeps page types, writable references and hypercall counts (Model.Xen.XenHypervisor),
/// checks each hypercall against them, has PhysicalMemory apply what it accepts, and answers the
/// CPU once memory has. Hypercalls are handled one at a time, as Xen serialises them per domain
/// on the page's type lock.
/// </summary>
internal sealed class HypervisorActor : ModelActor
{
    private readonly Queue<(int From, StepRequest Request)> queue = new();
    private (int From, StepRequest Request)? current;
    private int acksDue;
    private string? pendingRefusal;

    public HypervisorActor(RunContext run)
        : base(run, run.Topology.Hypervisor)
    {
    }

    private Model.Xen.XenHypervisor Xen => Machine.Xen!;

    public static Props Props(RunContext run) => Akka.Actor.Props.Create(() => new HypervisorActor(run));

    protected override void OnReset()
    {
        queue.Clear();
        current = null;
        acksDue = 0;
        pendingRefusal = null;
    }

    protected override void Handle(int from, ModelMessage message)
    {
        switch (message)
        {
            case PhysicalMemory.UpdateApplied applied:
                Finish(pendingRefusal is { } refusal && !applied.Result.IsFatal
                    ? StepResult.Fail(ErrorKind.HypervisorRefused, refusal)
                    : applied.Result);
                break;
            case StepDone { Step.Kind: EffectKind.FlushTlbAll or EffectKind.FlushTlbGlobal }:
                if (--acksDue == 0)
                {
                    Finish(StepResult.Ok());
                }

                break;
            case StepRequest r:
                queue.Enqueue((from, r));
                if (current is null)
                {
                    Next();
                }

                break;
            default:
                throw new InvalidOperationException($"Hypervisor got {message.TypeName} from {Topo.Names[from]}");
        }
    }

    private void Next()
    {
        while (current is null && queue.Count > 0)
        {
            current = queue.Dequeue();
            Start(current.Value.From, current.Value.Request);
        }
    }

    private void Start(int from, StepRequest request)
    {
        var e = request.Step;
        pendingRefusal = null;
        switch (request)
        {
            case Hypervisor.MmuUpdate when e.Kind == EffectKind.SetEntry:
                if (Xen.CheckEntryWrite(e.Table, e.Level, e.Index, new Model.Paging.PageTableEntry(e.Value)) is { } refused)
                {
                    Finish(StepResult.Fail(ErrorKind.HypervisorRefused, $"{Mmu.SetName(e.Level)}: {refused}"));
                    return;
                }

                Apply(e, null, true, PTRS_PER_PTE);
                return;
            case Hypervisor.UpdateVaMapping:
                var (fatal, readOnly) = Xen.AllocHook(e.Table, e.Level, e.Index, new Model.Paging.Pfn(e.Value));
                if (fatal is not null)
                {
                    Finish(StepResult.Fail(fatal));
                }
                else if (readOnly is { } ro)
                {
                    Apply(e, ro, false, PTRS_PER_PTE);
                }
                else
                {
                    Finish(StepResult.Ok());
                }

                return;
            case Hypervisor.MmuUpdate:
                var va = e.Arg & ~(EntrySpan(e.Level) - 1);
                if (Xen.CheckPopulate(e.Table, e.Level, e.Index, new Model.Paging.Pfn(e.Value), va, Mmu.PopulateName(e.Level)) is { } no)
                {
                    Finish(StepResult.Fail(ErrorKind.HypervisorRefused, no));
                    return;
                }

                Apply(e, null, true, PTRS_PER_PTE);
                return;
            case Hypervisor.PteStores:
                var (stopAt, refusal) = Machine.XenPteInitLoop(e);
                pendingRefusal = refusal;
                Apply(e, null, true, stopAt);
                return;
            case Hypervisor.FixmapStore when e.Kind == EffectKind.EarlyIoremap:
                Finish(Xen.MapWritableAlias(e.Table) is { } bad ? StepResult.Fail(ErrorKind.HypervisorRefused, bad) : StepResult.Ok());
                return;
            case Hypervisor.FixmapStore:
                Xen.DropWritableAlias(e.Table);
                Finish(StepResult.Ok());
                return;
            case Hypervisor.MmuextOp when e.Kind == EffectKind.FlushTlbAll:
                Xen.FlushTlbLocal();
                acksDue = 1;
                Send(Topo.Tlb(request.Tag.Cpu), new StepMessage(e) { Tag = request.Tag });
                return;
            case Hypervisor.MmuextOp:
                Xen.FlushTlbAll();
                acksDue = Topo.Cpus;
                for (var i = 0; i < Topo.Cpus; i++)
                {
                    Send(Topo.Tlb(i), new StepMessage(e) { Tag = request.Tag });
                }

                return;
            default:
                throw new InvalidOperationException($"Hypervisor cannot handle {request.TypeName}");
        }
    }

    private void Apply(Effect e, Model.Memory.EntryRef? ro, bool stepToo, int stopAt) =>
        Send(Topo.Memory, new PhysicalMemory.ApplyUpdate(e, ro, stepToo, stopAt) { Tag = current!.Value.Request.Tag });

    private void Finish(StepResult result)
    {
        var (from, request) = current!.Value;
        current = null;
        Send(from, new Hypervisor.HypercallDone(result) { Tag = request.Tag });
        Next();
    }
}

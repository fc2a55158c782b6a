using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;

namespace BootActors.Actors.Components;

/// <summary>
/// The protocol of the PhysicalMemory actor, owner of the page-table frames: entry reads and
/// writes (natively from the CPUs, under Xen the writes from the Hypervisor), __va reaches, page
/// zeroing and freeing, the DirectMap counters, and page walks for the TLBs.
/// </summary>
public static class PhysicalMemory
{
    /// <summary>Apply a write Xen has accepted: optionally clear RW on a direct-map PTE, then the step (up to StopAt for a PTE page).</summary>
    public sealed record ApplyUpdate(Effect Step, EntryRef? ClearRw, bool StepToo, int StopAt) : StepRequest(Step)
    {
        public override string TypeName => ClearRw is not null && !StepToo ? "ApplyReadOnly" : "ApplyUpdate";
    }

    public sealed record UpdateApplied(StepResult Result) : StepReply(Result);

    /// <summary>A TLB miss: walk the live tables for the virtual address of the step.</summary>
    public sealed record Walk(Effect Step) : StepRequest(Step);

    public sealed record Walked(TlbEntry? Entry, StepResult Result) : StepReply(Result)
    {
        public override string TypeName => Result.IsFatal ? "Faulted" : Entry is null ? "NotMapped" : "Walked";
    }
}

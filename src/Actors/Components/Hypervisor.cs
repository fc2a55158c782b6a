using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Components;

/// <summary>
/// The protocol of the Xen hypervisor actor (a PV guest's page-table writes, pins and flushes go
/// through it, as the 2.6.27 pvops code issued them): each request is one hypercall or trapped store.
/// </summary>
public static class Hypervisor
{
    /// <summary>HYPERVISOR_mmu_update (MMU_NORMAL_PT_UPDATE) of a set_pmd/pud/pgd or a p?d_populate; set_pte's trapped store for an L1.</summary>
    public sealed record MmuUpdate(Effect Step) : StepRequest(Step)
    {
        public override string TypeName => Step.Kind == EffectKind.SetEntry && Step.Level == Model.Paging.Level.Pte ? "PteStore" : "MmuUpdate";
    }

    /// <summary>HYPERVISOR_update_va_mapping from xen_alloc_pte_init's make_lowmem_page_readonly (before a populate).</summary>
    public sealed record UpdateVaMapping(Effect Step) : StepRequest(Step);

    /// <summary>phys_pte_init's stores into one PTE page (trapped one by one when the page is a pinned L1).</summary>
    public sealed record PteStores(Effect Step) : StepRequest(Step);

    /// <summary>early_ioremap / early_iounmap's store into the fixmap L1: a writable mapping made or dropped.</summary>
    public sealed record FixmapStore(Effect Step) : StepRequest(Step);

    /// <summary>HYPERVISOR_mmuext_op: MMUEXT_TLB_FLUSH_LOCAL (__flush_tlb_all) or MMUEXT_TLB_FLUSH_ALL.</summary>
    public sealed record MmuextOp(Effect Step) : StepRequest(Step)
    {
        public override string TypeName => Step.Kind == EffectKind.FlushTlbGlobal ? "MmuextTlbFlushAll" : "MmuextTlbFlushLocal";
    }

    /// <summary>The hypercall's result: 0, or Xen's refusal (-EINVAL) as a fatal event.</summary>
    public sealed record HypercallDone(StepResult Result) : StepReply(Result)
    {
        public override string TypeName => Result.Fatal?.Kind == ErrorKind.HypervisorRefused ? "HypercallRefused" : Result.IsFatal ? "GuestBug" : "HypercallDone";
    }
}

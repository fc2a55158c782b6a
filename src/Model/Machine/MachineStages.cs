using BootActors.Model.Kernel;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>The owners' parts of a step (<see cref="StepPlans"/>), and the sequential interpreter's inline run of them.</summary>
public sealed partial class Machine
{
    /// <summary>
    /// Applies one step of kernel code for <paramref name="cpu"/>: its plan's stages in order, each
    /// stage on every owner it names, each forwarded part before its owner completes — what the actor
    /// host does with messages, done inline.
    /// </summary>
    public StepResult Apply(CpuContext cpu, in Effect e, long seq = 0)
    {
        var plan = StepPlans.Of(e.Kind, Xen is not null);
        if (plan.Count == 0)
        {
            return CpuStep(cpu, e);
        }

        var r = default(StepResult);
        for (var i = 0; i < plan.Count; i++)
        {
            var stage = plan[i];
            r = stage.Forward is null && stage.Owner != StageOwner.EveryTlb
                ? Execute(stage, cpu.Id, stage.Target(cpu.Id, 0), e, null, seq).Result
                : RunInline(stage, cpu.Id, e, null, seq).Result;
            if (r.IsFatal || r.Blocked)
            {
                break;
            }
        }

        return r;
    }

    /// <summary>A step the CPU takes alone: entering or leaving a function and a printk keep %rax; the code's own fatal event stops it.</summary>
    public StepResult CpuStep(CpuContext cpu, in Effect e) => e.Kind switch
    {
        EffectKind.Fatal => StepResult.Fail((FatalEvent)e.Payload!),
        EffectKind.Enter or EffectKind.Leave or EffectKind.Printk => StepResult.Ok(cpu.Rax),
        _ => throw new InvalidOperationException($"{e.Kind} is not a step the CPU takes alone"),
    };

    /// <summary>
    /// One owner's part of <paramref name="stage"/> for the step <paramref name="e"/> of
    /// <paramref name="cpu"/>: a settled result, or a request to forward <see cref="Stage.Forward"/>
    /// with the data it needs. <paramref name="target"/> is the TLB for a TLB's part
    /// (<see cref="Stage.Target"/>); <paramref name="seq"/> the delivery position writes are stamped with.
    /// </summary>
    public StageOutcome Execute(Stage stage, int cpu, int target, in Effect e, StageData? input, long seq)
    {
        switch (stage.Op)
        {
            case StageOp.MemoryStep:
                Memory.CurrentSeq = seq;
                return StageOutcome.Settled(MemoryStep(e, input?.StopAt ?? PTRS_PER_PTE));
            case StageOp.ClearRw:
                Memory.CurrentSeq = seq;
                return StageOutcome.Settled(Mmu.ClearRw(input?.ReadOnly ?? throw new InvalidOperationException("update_va_mapping's write without the PTE the alloc hook found")));
            case StageOp.Walk:
                var (entry, walked) = WalkStep(cpu, e.Value, seq);
                return StageOutcome.Settled(walked, entry is null ? null : new StageData { Walked = entry });
            case StageOp.AllocatorStep:
                return StageOutcome.Settled(AllocatorStep(e));
            case StageOp.LockStep:
                return StageOutcome.Settled(LockStep(cpu, e));
            case StageOp.Translate:
                var lookup = TlbLookupStep(target, e.Value);
                return lookup.IsFatal || lookup.Value != TlbMiss ? StageOutcome.Settled(lookup) : StageOutcome.Forwarding();
            case StageOp.FlushTlb:
                Tlbs[target].FlushAll();
                return StageOutcome.Settled(StepResult.Ok());
            case StageOp.XenEntryWrite:
                return XenOf(stage).CheckEntryWrite(e.Table, e.Level, e.Index, new PageTableEntry(e.Value)) is { } refused
                    ? StageOutcome.Settled(StepResult.Fail(ErrorKind.HypervisorRefused, $"{Mmu.SetName(e.Level)}: {refused}"))
                    : StageOutcome.Forwarding();
            case StageOp.XenAllocHook:
                var (bug, readOnly) = XenOf(stage).AllocHook(e.Table, e.Level, e.Index, new Pfn(e.Value));
                if (bug is not null)
                {
                    return StageOutcome.Settled(StepResult.Fail(bug));
                }

                return readOnly is { } ro ? StageOutcome.Forwarding(new StageData { ReadOnly = ro }) : StageOutcome.Settled(StepResult.Ok());
            case StageOp.XenPopulate:
                // The entry's virtual range starts at the address rounded down to what one entry of the level maps.
                var va = e.Arg & ~(EntrySpan(e.Level) - 1);
                return XenOf(stage).CheckPopulate(e.Table, e.Level, e.Index, new Pfn(e.Value), va, Mmu.PopulateName(e.Level)) is { } no
                    ? StageOutcome.Settled(StepResult.Fail(ErrorKind.HypervisorRefused, no))
                    : StageOutcome.Forwarding();
            case StageOp.XenPteStores:
                var (stopAt, refusal) = XenOf(stage).CheckPteInitLoop(e.Table, e.Index, e.Value, e.Arg, Globals.__supported_pte_mask);
                return StageOutcome.Forwarding(refusal is null && stopAt == PTRS_PER_PTE ? null : new StageData { StopAt = stopAt, Refusal = refusal });
            case StageOp.XenMapAlias:
                return StageOutcome.Settled(XenOf(stage).MapWritableAlias(e.Table) is { } bad
                    ? StepResult.Fail(ErrorKind.HypervisorRefused, bad)
                    : StepResult.Ok());
            case StageOp.XenDropAlias:
                XenOf(stage).DropWritableAlias(e.Table);
                return StageOutcome.Settled(StepResult.Ok());
            case StageOp.XenFlushLocal:
                XenOf(stage).FlushTlbLocal();
                return StageOutcome.Forwarding();
            case StageOp.XenFlushAll:
                XenOf(stage).FlushTlbAll();
                return StageOutcome.Forwarding();
            case StageOp.EmptyPmdEntries:
                return EmptyPmdEntries(e);
            case StageOp.BootPages:
                // Under Xen the hypervisor first takes the pages' hypercalls; they are handed out on completion.
                return stage.Forward is null
                    ? StageOutcome.Settled(StepResult.Ok(), new StageData { Pages = Allocator.AllocBootPages(input?.Count ?? 0, Level.Pte) })
                    : StageOutcome.Forwarding(new StageData { Pages = Allocator.NextBootPages(input?.Count ?? 0) });
            case StageOp.EmptyPudEntries:
                return EmptyPudEntries(e);
            case StageOp.BootTables:
                return StageOutcome.Settled(StepResult.Ok(), new StageData { Pages = Allocator.AllocBootTables(input?.Count ?? 0, ((FoldedIterations)e.Payload!).PagesPerIteration - 1) });
            case StageOp.PmdLeaves:
                Memory.CurrentSeq = seq;
                return StageOutcome.Settled(FoldedPmdLeaves(e));
            case StageOp.XenFoldedHypercalls:
                return StageOutcome.Settled(StepResult.Ok(), XenOf(stage).FoldedHypercalls(e.Table, e.Index, e.Value, e.Arg, input?.Pages ?? default, Globals.__supported_pte_mask));
            default:
                throw new InvalidOperationException($"no owner carries out {stage.Op}");
        }
    }

    /// <summary>
    /// The owner's end of a stage that forwarded, once every forwarded message has answered
    /// (<paramref name="answered"/>, joined): the TLB caches what the walk found; a PTE page fill
    /// returns Xen's refusal once memory has written the leaves before it.
    /// </summary>
    public StageOutcome Complete(Stage stage, int target, in Effect e, StageData? carried, in StageOutcome answered)
    {
        switch (stage.Op)
        {
            case StageOp.Translate:
                if (answered.Data?.Walked is { } entry)
                {
                    Tlbs[target].Insert(entry);
                }

                return StageOutcome.Settled(answered.Result);
            case StageOp.XenPteStores:
                return StageOutcome.Settled(carried?.Refusal is { } refusal && !answered.Result.IsFatal
                    ? StepResult.Fail(ErrorKind.HypervisorRefused, refusal)
                    : answered.Result);
            case StageOp.BootPages:
                // Under Xen: the pages the hypervisor accepted, the first of those named.
                var accepted = answered.Data?.Count ?? 0;
                return StageOutcome.Settled(StepResult.Ok(), new StageData
                {
                    Pages = Allocator.AllocBootPages(accepted, Level.Pte),
                    ReadOnlys = answered.Data?.ReadOnlys,
                });
            case StageOp.EmptyPmdEntries:
                return StageOutcome.Settled(FoldedPmdIterations(e, answered.Data?.Pages ?? default, answered.Data?.ReadOnlys));
            case StageOp.EmptyPudEntries:
                return StageOutcome.Settled(FoldedPudIterations(e, answered.Data?.Pages ?? default));
            default:
                return StageOutcome.Settled(answered.Result);
        }
    }

    /// <summary>
    /// A CPU told to wait by <paramref name="stage"/> (a spin_lock on a held lock) goes on when the
    /// lock has been handed to it: the result it continues with, or null while it still waits.
    /// </summary>
    public StepResult? Resume(Stage stage, int cpu, in Effect e) =>
        stage.Op == StageOp.LockStep && LockFor(e.Value).Owner == cpu ? StepResult.Ok() : null;

    /// <summary><see cref="Resume(Stage, int, in Effect)"/> for the step's waiting stage (a plan's last).</summary>
    public StepResult? Resume(int cpu, in Effect e)
    {
        var plan = StepPlans.Of(e.Kind, Xen is not null);
        return plan.Count == 0 ? null : Resume(plan[plan.Count - 1], cpu, e);
    }

    /// <summary>
    /// What <see cref="Execute"/> of this part would touch if it ran now: the stage's
    /// <see cref="Stage.Footprint"/>, narrowed where the state decides it — a write into an empty
    /// entry, or of the value already there, does not look below the entry (the overwrite monitor
    /// returns at once).
    /// </summary>
    public StageFootprint Footprint(Stage stage, int cpu, int target, in Effect e, StageData? input)
    {
        var footprint = stage.Footprint(e, input, cpu, target);
        if (stage.Op == StageOp.MemoryStep && e.Kind is EffectKind.SetEntry or EffectKind.Populate && Memory.IsTablePage(e.Table))
        {
            var old = Memory.Read(e.Table, e.Index);
            var value = e.Kind == EffectKind.Populate ? mk_table(new Pfn(e.Value)) : new PageTableEntry(e.Value);
            if (!old.Present || !value.Present || old == value)
            {
                return footprint with { Reads = Resources.Entry };
            }
        }

        return footprint;
    }

    private StageOutcome RunInline(Stage stage, int cpu, in Effect e, StageData? input, long seq)
    {
        var joined = default(StageOutcome);
        var targets = stage.TargetCount(Tlbs.Length);
        for (var i = 0; i < targets; i++)
        {
            var target = stage.Target(cpu, i);
            var own = Execute(stage, cpu, target, e, input, seq);
            if (own.Forward)
            {
                var answered = RunInline(stage.Forward!, cpu, e, own.Data, seq);
                own = Complete(stage, target, e, own.Data, answered);
            }

            joined = i == 0 ? own : StageOutcome.Join(joined, own);
        }

        return joined;
    }

    private Xen.XenHypervisor XenOf(Stage stage) =>
        Xen ?? throw new InvalidOperationException($"{stage.Op} is Xen's part, but this machine is native");
}

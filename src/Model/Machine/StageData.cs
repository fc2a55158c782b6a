using BootActors.Model.Memory;
using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>
/// What one part of a step hands the next, as data: from an owner to the part it forwards, and
/// back. None (null) between a CPU and its stages, and wherever a part has nothing to hand on, so
/// that the common message carries no more than a reference.
/// </summary>
public sealed record StageData
{
    /// <summary>The alloc hook's direct-map PTE that update_va_mapping makes read-only (for <see cref="StageOp.ClearRw"/>).</summary>
    public EntryRef? ReadOnly { get; init; }

    /// <summary>A PTE page fill stops before this index, where Xen refused a leaf (null: the whole page).</summary>
    public int? StopAt { get; init; }

    /// <summary>Xen's refusal of a leaf of a PTE page fill; the hypervisor returns it once memory has written the leaves before it.</summary>
    public string? Refusal { get; init; }

    /// <summary>What a page walk found, for the TLB to cache (null: not mapped, or faulted).</summary>
    public TlbEntry? Walked { get; init; }

    /// <summary>Folded iterations: how many pages memory asks the allocator for.</summary>
    public int Count { get; init; }

    /// <summary>Folded iterations: the pages the allocator handed out (or, under Xen, would hand out), in order.</summary>
    public BootPageRange Pages { get; init; }

    /// <summary>Folded iterations under Xen: for each accepted page, the direct-map PTE its alloc hook makes read-only (null: none).</summary>
    public EntryRef?[]? ReadOnlys { get; init; }
}

/// <summary>What an owner's part of a stage gave: a settled result, or "forward, and carry this on".</summary>
public readonly struct StageOutcome
{
    private StageOutcome(StepResult result, bool forward, StageData? data)
    {
        Result = result;
        Forward = forward;
        Data = data;
    }

    /// <summary>The part's result (a value for %rax, a wait, or a fatal event) when it settles the stage.</summary>
    public StepResult Result { get; }

    /// <summary>The owner must hand the stage's forward part on, with <see cref="Data"/>, and answer when it has answered.</summary>
    public bool Forward { get; }

    public StageData? Data { get; }

    public static StageOutcome Settled(in StepResult result, StageData? data = null) => new(result, false, data);

    public static StageOutcome Forwarding(StageData? data = null) => new(default, true, data);

    /// <summary>Several owners' answers to one stage as one: the first fatal event, otherwise the last answer.</summary>
    public static StageOutcome Join(in StageOutcome soFar, in StageOutcome next) => soFar.Result.IsFatal ? soFar : next;
}

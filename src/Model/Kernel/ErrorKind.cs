namespace BootActors.Model.Kernel;

/// <summary>The kinds of fatal events a run can end with; the JSON names are the snake_case ones.</summary>
public enum ErrorKind
{
    /// <summary>The kernel panics (alloc_low_page: ran out of memory; no space for the tables).</summary>
    Panic,

    /// <summary>Xen refuses a hypercall (outcome "rejected").</summary>
    HypervisorRefused,

    /// <summary>A large entry's data frame is treated as a page table.</summary>
    DataFrameWrittenAsTable,

    /// <summary>A present entry replaced so that in-use translations are lost (the lost update).</summary>
    OverwrotePresentEntry,

    /// <summary>A table page reached through __va is not mapped in the linear map (the seed's invariant).</summary>
    TablePageUnmapped,

    /// <summary>A write through a pointer derived from an empty entry or an uninitialised variable.</summary>
    WildWrite,

    /// <summary>A CPU used a cached translation whose source entry has changed since.</summary>
    StaleTlbUse,

    /// <summary>A page-table page allocated and never linked, or unlinked while still referenced.</summary>
    LostTablePage,

    /// <summary>At the end, a usable-RAM page below end or a hot-added page is not mapped.</summary>
    UnmappedRam,

    /// <summary>A memory touch faulted: no translation for an address that should be mapped.</summary>
    PageFault,

    /// <summary>init_mm.page_table_lock released by a CPU that does not hold it.</summary>
    UnlockByNonOwner,

    /// <summary>A CPU tried to take init_mm.page_table_lock while holding it.</summary>
    SelfDeadlock,

    /// <summary>CPUs wait for locks nobody can release (no message can be delivered, yet CPUs have not finished).</summary>
    Deadlock,

    /// <summary>A wait exceeded its timeout.</summary>
    Timeout,

    /// <summary>An actor threw; supervision stopped the run.</summary>
    ActorFailed,
}

public enum Outcome
{
    Ok,
    Panic,
    Rejected,
    Violation,
    Failed,
}

public static class ErrorKindNames
{
    public static string JsonName(this ErrorKind kind) => kind switch
    {
        ErrorKind.Panic => "panic",
        ErrorKind.HypervisorRefused => "hypervisor_refused",
        ErrorKind.DataFrameWrittenAsTable => "data_frame_written_as_table",
        ErrorKind.OverwrotePresentEntry => "overwrote_present_entry",
        ErrorKind.TablePageUnmapped => "table_page_unmapped",
        ErrorKind.WildWrite => "wild_write",
        ErrorKind.StaleTlbUse => "stale_tlb_use",
        ErrorKind.LostTablePage => "lost_table_page",
        ErrorKind.UnmappedRam => "unmapped_ram",
        ErrorKind.PageFault => "page_fault",
        ErrorKind.UnlockByNonOwner => "unlock_by_non_owner",
        ErrorKind.SelfDeadlock => "self_deadlock",
        ErrorKind.Deadlock => "deadlock",
        ErrorKind.Timeout => "timeout",
        ErrorKind.ActorFailed => "actor_failed",
        _ => kind.ToString(),
    };

    public static Outcome Outcome(this ErrorKind kind) => kind switch
    {
        ErrorKind.Panic => Kernel.Outcome.Panic,
        ErrorKind.HypervisorRefused => Kernel.Outcome.Rejected,
        ErrorKind.Timeout or ErrorKind.ActorFailed => Kernel.Outcome.Failed,
        _ => Kernel.Outcome.Violation,
    };

    public static string JsonName(this Outcome outcome) => outcome switch
    {
        Kernel.Outcome.Ok => "ok",
        Kernel.Outcome.Panic => "panic",
        Kernel.Outcome.Rejected => "rejected",
        Kernel.Outcome.Violation => "violation",
        _ => "failed",
    };
}

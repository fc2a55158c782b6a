using BootActors.Model.Kernel;

namespace BootActors.TestKit;

/// <summary>A kind of violation, as a type: <c>AssertViolation&lt;LostUpdate&gt;(result)</c>. The kinds are type arguments only, never instances.</summary>
public interface IViolationKind
{
    /// <summary>The model's error kind this type stands for (its JSON name is what <c>bootactors</c> prints).</summary>
    static abstract ErrorKind Kind { get; }
}

/// <summary>overwrote_present_entry: a present entry replaced by one under which some translation to a frame in use is no longer reachable (the lost update of two concurrent hot-adds: pud_populate over a pmd page another CPU linked meanwhile).</summary>
public sealed class LostUpdate : IViolationKind
{
    private LostUpdate()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.OverwrotePresentEntry;
}

/// <summary>stale_tlb_use: a CPU used a cached translation whose entry has changed since (a hot-remove that flushed only its own CPU's TLB).</summary>
public sealed class StaleTlbUse : IViolationKind
{
    private StaleTlbUse()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.StaleTlbUse;
}

/// <summary>wild_write: a write through a pointer derived from an empty entry or an uninitialised variable (after bootmem, pud_offset on an empty pgd entry writes into physical page 0).</summary>
public sealed class WildWrite : IViolationKind
{
    private WildWrite()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.WildWrite;
}

/// <summary>data_frame_written_as_table: phys_pte_update reached with a 2 MiB leaf, whose data frame would be written as a PTE page (the seed without 22b45144f67).</summary>
public sealed class DataFrameWrittenAsTable : IViolationKind
{
    private DataFrameWrittenAsTable()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.DataFrameWrittenAsTable;
}

/// <summary>table_page_unmapped: a page-table page reached through __va is not mapped in the direct map (the seed's invariant broken, e.g. by top-down allocation).</summary>
public sealed class TablePageUnmapped : IViolationKind
{
    private TablePageUnmapped()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.TablePageUnmapped;
}

/// <summary>hypervisor_refused (outcome rejected), Xen PV only: Xen refuses an mmu_update, e.g. a populate while the page still has its writable early_ioremap alias, or a PSE leaf.</summary>
public sealed class HypervisorRefused : IViolationKind
{
    private HypervisorRefused()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.HypervisorRefused;
}

/// <summary>panic: "alloc_low_page: ran out of memory" or "Cannot find space for the kernel page tables".</summary>
public sealed class KernelPanic : IViolationKind
{
    private KernelPanic()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.Panic;
}

/// <summary>unmapped_ram: at the end of the run a usable RAM page below end, or a hot-added page, is not mapped.</summary>
public sealed class UnmappedRam : IViolationKind
{
    private UnmappedRam()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.UnmappedRam;
}

/// <summary>lost_table_page: a page-table page allocated and never linked, or unlinked while still referenced.</summary>
public sealed class LostTablePage : IViolationKind
{
    private LostTablePage()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.LostTablePage;
}

/// <summary>page_fault: a memory touch found no translation for an address that should be mapped.</summary>
public sealed class PageFault : IViolationKind
{
    private PageFault()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.PageFault;
}

/// <summary>unlock_by_non_owner: init_mm.page_table_lock released by a CPU that does not hold it.</summary>
public sealed class UnlockByNonOwner : IViolationKind
{
    private UnlockByNonOwner()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.UnlockByNonOwner;
}

/// <summary>self_deadlock: a CPU tried to take init_mm.page_table_lock while holding it.</summary>
public sealed class SelfDeadlock : IViolationKind
{
    private SelfDeadlock()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.SelfDeadlock;
}

/// <summary>deadlock: CPUs wait for locks that nobody can release.</summary>
public sealed class Deadlock : IViolationKind
{
    private Deadlock()
    {
    }

    /// <inheritdoc />
    public static ErrorKind Kind => ErrorKind.Deadlock;
}

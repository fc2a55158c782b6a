using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>How a step used a resource: two uses conflict unless both read, or both add to a counter.</summary>
public enum AccessMode : byte
{
    Read,
    Write,

    /// <summary>A commutative update (a counter's +=): conflicts with reads and writes, not with other adds.</summary>
    Add,
}

/// <summary>The kinds of state a step can use; a resource is a kind and a number (<see cref="Resource"/>).</summary>
public enum ResourceKind : byte
{
    /// <summary>One page-table entry: (table pfn, index).</summary>
    Entry = 1,

    /// <summary>Every entry of one table page at once (a subtree read by a monitor or by Xen, a fill, a zeroing, a free).</summary>
    Page = 2,

    /// <summary>Whether a frame holds a table page, its level, origin and the entry that last linked it.</summary>
    PageMeta = 3,

    /// <summary>The set of table pages and their origins (what the overwrite monitor counts as in use); making or freeing one page is an add.</summary>
    TablePageSet = 4,

    /// <summary>alloc_low_page's table_end and get_zeroed_page's next page: the allocator's next free page.</summary>
    Allocator = 5,

    /// <summary>The early_ioremap fixmap slots (the nesting stack).</summary>
    IoremapSlots = 6,

    /// <summary>A lock: its owner and waiters.</summary>
    Lock = 7,

    /// <summary>One CPU's TLB contents.</summary>
    Tlb = 8,

    /// <summary>direct_pages_count[level].</summary>
    Counter = 9,

    /// <summary>The hot-added and hot-removed ranges (what the monitors expect mapped); adding one is an add (the monitors read them as sets).</summary>
    Ranges = 10,

    /// <summary>Xen's writable-mapping reference of one frame (an early_ioremap alias).</summary>
    XenAlias = 11,

    /// <summary>The pages free_pagetable has freed.</summary>
    Freed = 12,

    /// <summary>A model actor's own state (a CPU's program, a queue); recorded by the host, not by the model.</summary>
    Actor = 13,

    /// <summary>A lock released with nobody waiting (an add: it changes the lock, yet commutes with every spin_lock).</summary>
    LockRelease = 14,
}

/// <summary>A resource: its kind in the top byte, its number below.</summary>
public static class Resource
{
    private const int Shift = 56;

    public static ulong Entry(Pfn table, int index) => ((ulong)ResourceKind.Entry << Shift) | (table.Value << 9) | (uint)index;

    public static ulong Page(Pfn table) => ((ulong)ResourceKind.Page << Shift) | table.Value;

    public static ulong PageMeta(Pfn table) => ((ulong)ResourceKind.PageMeta << Shift) | table.Value;

    public static readonly ulong TablePageSet = (ulong)ResourceKind.TablePageSet << Shift;

    public static readonly ulong Allocator = (ulong)ResourceKind.Allocator << Shift;

    public static readonly ulong IoremapSlots = (ulong)ResourceKind.IoremapSlots << Shift;

    public static ulong Lock(ulong id) => ((ulong)ResourceKind.Lock << Shift) | id;

    public static ulong LockRelease(ulong id) => ((ulong)ResourceKind.LockRelease << Shift) | id;

    public static ulong Tlb(int cpu) => ((ulong)ResourceKind.Tlb << Shift) | (uint)cpu;

    public static ulong Counter(int index) => ((ulong)ResourceKind.Counter << Shift) | (uint)index;

    public static readonly ulong Ranges = (ulong)ResourceKind.Ranges << Shift;

    public static ulong XenAlias(Pfn frame) => ((ulong)ResourceKind.XenAlias << Shift) | frame.Value;

    public static readonly ulong Freed = (ulong)ResourceKind.Freed << Shift;

    public static ulong Actor(int id) => ((ulong)ResourceKind.Actor << Shift) | (uint)id;

    public static ResourceKind KindOf(ulong resource) => (ResourceKind)(resource >> Shift);

    /// <summary>The table page an <see cref="ResourceKind.Entry"/> resource lies in.</summary>
    public static ulong PageOfEntry(ulong entry) => ((ulong)ResourceKind.Page << Shift) | ((entry & ((1UL << Shift) - 1)) >> 9);

    /// <summary>The table pfn of an Entry, Page or PageMeta resource.</summary>
    public static Pfn PfnOf(ulong resource) => KindOf(resource) == ResourceKind.Entry
        ? new Pfn((resource & ((1UL << Shift) - 1)) >> 9)
        : new Pfn(resource & ((1UL << Shift) - 1));

    public static string Describe(ulong r) => KindOf(r) switch
    {
        ResourceKind.Entry => $"entry {(int)(r & 511)} of table {PfnOf(r)}",
        ResourceKind.Page => $"table page {PfnOf(r)}",
        ResourceKind.PageMeta => $"frame {PfnOf(r)} (table or not)",
        ResourceKind.Lock => Machine.LockName(r & 0xff),
        ResourceKind.Tlb => $"tlb{r & 0xffff}",
        ResourceKind.Counter => $"direct_pages_count[{r & 0xff}]",
        ResourceKind.XenAlias => $"Xen's writable alias of {PfnOf(r)}",
        ResourceKind.Actor => $"actor {r & 0xffff}",
        var k => k.ToString(),
    };
}

/// <summary>A use of a resource by a step.</summary>
public readonly record struct Access(ulong Resource, AccessMode Mode);

/// <summary>
/// Records what the machine's functions read and write while one step (one delivery on the actor
/// host) runs: the footprint from which exploration decides which steps are independent, and which
/// table pages changed. The model's functions report to it when one is attached
/// (<see cref="Machine.Recorder"/>); unattached, recording costs one null test.
/// </summary>
/// <remarks>
/// What counts: every entry read or written, including the entries a page walk reads (a TLB fill,
/// a __va reach check, Xen's check that a page is mapped or linked) and the pages a monitor or Xen
/// reads whole (the overwrite monitor's subtrees, Xen's validation); whether a frame is a table page
/// and which entry links it; the set of table pages; the allocator's next page and early_ioremap
/// slots; each lock; each TLB; the DirectMap counters (as adds); the hot-added and removed ranges;
/// Xen's writable aliases. Not counted: Xen's hypercall statistics (only the summary reads them) and
/// the trace positions kept for stale-TLB messages.
/// </remarks>
public sealed class AccessRecorder
{
    private Access[] buffer = new Access[32];
    private int count;

    public int Count => count;

    public ReadOnlySpan<Access> Accesses => buffer.AsSpan(0, count);

    public void Clear() => count = 0;

    public void Read(ulong resource) => Add(new Access(resource, AccessMode.Read));

    public void Write(ulong resource) => Add(new Access(resource, AccessMode.Write));

    public void AddTo(ulong resource) => Add(new Access(resource, AccessMode.Add));

    private void Add(Access a)
    {
        if (count == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }

        buffer[count++] = a;
    }
}

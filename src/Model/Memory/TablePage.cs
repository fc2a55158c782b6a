using System.Diagnostics;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Memory;

/// <summary>
/// One page-table page: 512 entries, held compactly while they form one arithmetic run.
/// </summary>
/// <remarks>
/// <para>
/// Representation invariant: when <c>entries</c> is null the page's content is exactly
/// <c>run</c> (a <see cref="UniformRun"/>: zeros, or entry i = First + (i − Lo) × Stride on [Lo, Hi));
/// otherwise it is exactly <c>entries</c>, 512 values, and <c>run</c> is ignored. A page starts as
/// <see cref="UniformRun.Empty"/> (alloc_low_page's memset), stays a run while every write keeps
/// it one (phys_pte_init's loop over a fresh page, a pmd page of 2 MiB leaves filled in order, a
/// clear at either end), and is materialised into 512 entries by the first write that breaks the
/// run. Only <see cref="PhysicalMemory.Zero"/> turns it back into a run. Which representation holds
/// never shows: every reader sees the same 512 values either way, and the last-write records of
/// the stale-TLB monitor live beside the page, per entry, in <see cref="PhysicalMemory"/>.
/// </para>
/// <para>
/// Copy-on-write: <see cref="PhysicalMemory.CopyFrom"/> shares a run (immutable) and a
/// materialised array (marked shared on both sides); the first write to a shared array copies it.
/// Readers on another thread (free mode's TLB and hypervisor actors) see either representation
/// whole: the run is swapped in one reference write, and an array is published before it is used.
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class TablePage
{
    private volatile ulong[]? entries;
    private volatile UniformRun run = UniformRun.Empty;
    private bool shared;

    public TablePage(Pfn pfn, Level level, TablePageOrigin origin)
    {
        Pfn = pfn;
        Level = level;
        Origin = origin;
    }

    public Pfn Pfn { get; }

    /// <summary>The level this page serves as (the level of its entries).</summary>
    public Level Level { get; set; }

    public TablePageOrigin Origin { get; set; }

    /// <summary>The entry that most recently linked this page.</summary>
    public EntryRef? Parent { get; set; }

    public string? Name { get; set; }

    /// <summary>Entry <paramref name="index"/>, from whichever representation holds.</summary>
    public ulong this[int index] => entries is { } a ? a[index] : run.At(index);

    /// <summary>Whether entries [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) are all zero.</summary>
    public bool IsEmptyRange(int first, int count)
    {
        if (entries is null && (run.IsEmpty || run.Hi <= first || run.Lo >= first + count))
        {
            return true;
        }

        for (var i = first; i < first + count; i++)
        {
            if (this[i] != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The run descriptor while the page is held as one, else null (the page holds 512 entries).</summary>
    public UniformRun? Run => entries is null ? run : null;

    /// <summary>
    /// The entries that are not zero, in index order, read as the page is held: a run is not
    /// materialised and a shared array is not copied (what <see cref="Entries"/> does). For readers
    /// that walk every entry (hashes, recorded reads, a trace's first tables) of pages a snapshot shares.
    /// </summary>
    public NonZeroEntries NonZero() => entries is { } a ? new NonZeroEntries(null, a, 0, a.Length) : new NonZeroEntries(run, default, run.Lo, run.Hi);

    /// <summary>The walk of <see cref="NonZero"/>: (index, value) of each entry that is not zero.</summary>
    public ref struct NonZeroEntries
    {
        private readonly UniformRun? run;
        private readonly ReadOnlySpan<ulong> held;
        private readonly int end;
        private int index;

        internal NonZeroEntries(UniformRun? run, ReadOnlySpan<ulong> held, int start, int end)
        {
            this.run = run;
            this.held = held;
            this.end = end;
            index = start - 1;
        }

        public (int Index, ulong Value) Current { get; private set; }

        public readonly NonZeroEntries GetEnumerator() => this;

        public bool MoveNext()
        {
            while (++index < end)
            {
                var v = run is null ? held[index] : run.At(index);
                if (v != 0)
                {
                    Current = (index, v);
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The 512 entries as a mutable array. This materialises the page (and takes it out of a shared
    /// copy), so the model's own readers use the indexer and <see cref="Run"/> instead.
    /// </summary>
    public ulong[] Entries => Own();

    private string DebuggerDisplay => $"{Level.Name()} page {Pfn} ({Origin}): {(entries is null ? run.ToString() : "512 entries")}";

    /// <summary>Stores one entry, keeping the run when the value continues it at either end (or clears an end).</summary>
    public void Store(int index, ulong value)
    {
        if (entries is null && TryStoreInRun(index, value))
        {
            AssertInvariants();
            return;
        }

        Own()[index] = value;
        AssertInvariants();
    }

    /// <summary>The contents of a page not yet published (a <see cref="PtePageRun"/>'s page made on demand).</summary>
    internal void SetRun(UniformRun contents)
    {
        run = contents;
        AssertInvariants();
    }

    /// <summary>memset(page, 0, PAGE_SIZE): back to the empty run.</summary>
    public void Clear()
    {
        run = UniformRun.Empty;
        entries = null;
        shared = false;
        AssertInvariants();
    }

    /// <summary>
    /// phys_pte_init's loop on a page held as a run, in O(1): entries [first, first + count) that are
    /// zero get <paramref name="firstLeaf"/> + (i − first) × <paramref name="stride"/>, the others stay;
    /// then, when <paramref name="clearFrom"/> ≥ 0, entries [clearFrom, 512) become zero. Returns how
    /// many entries were written, or −1 (page unchanged) when the result is not one run: the caller
    /// then runs the loop on <see cref="Entries"/>.
    /// </summary>
    public int TryFillRun(int first, int count, ulong firstLeaf, ulong stride, int clearFrom)
    {
        Debug.Assert(first >= 0 && count >= 0 && first + count <= PTRS_PER_PTE, "the fill lies inside the page");
        Debug.Assert(clearFrom < 0 || clearFrom >= first + count, "the clear comes after the filled entries");
        if (entries is not null)
        {
            return -1;
        }

        var r = run;
        var overlap = Math.Max(0, Math.Min(r.Hi, first + count) - Math.Max(r.Lo, first));
        var written = count - overlap;
        UniformRun? next;
        if (written == 0)
        {
            next = r;
        }
        else if (r.IsEmpty)
        {
            next = UniformRun.Of(first, first + count, firstLeaf, stride);
        }
        else
        {
            // Both must lie on one line and touch or overlap, so that the union is one run.
            var lo = Math.Min(r.Lo, first);
            var hi = Math.Max(r.Hi, first + count);
            var sameLine = r.Stride == stride &&
                           (r.Lo >= first
                               ? firstLeaf + ((ulong)(r.Lo - first) * stride) == r.First
                               : r.First + ((ulong)(first - r.Lo) * stride) == firstLeaf);
            next = sameLine && first <= r.Hi && r.Lo <= first + count
                ? UniformRun.Of(lo, hi, lo == first ? firstLeaf : r.First, stride)
                : null;
        }

        if (next is null)
        {
            return -1;
        }

        run = clearFrom >= 0 ? next.TruncateAt(clearFrom) : next;
        AssertInvariants();
        return written;
    }

    /// <summary>An independent copy sharing this page's contents until either side writes.</summary>
    internal TablePage CopyOnWrite()
    {
        var copy = new TablePage(Pfn, Level, Origin) { Parent = Parent, Name = Name, run = run };
        if (entries is { } a)
        {
            shared = true;
            copy.shared = true;
            copy.entries = a;
        }

        return copy;
    }

    private bool TryStoreInRun(int index, ulong value)
    {
        var r = run;
        if (r.At(index) == value)
        {
            return true;
        }

        UniformRun? next = null;
        if (r.IsEmpty)
        {
            next = UniformRun.Of(index, index + 1, value, StrideFor(value));
        }
        else if (value == 0)
        {
            // A clear at either end shortens the run; one inside it splits it.
            if (index == r.Hi - 1)
            {
                next = r.TruncateAt(index);
            }
            else if (index == r.Lo)
            {
                next = UniformRun.Of(index + 1, r.Hi, r.First + r.Stride, r.Stride);
            }
        }
        else if (index == r.Hi && value == r.First + ((ulong)r.Count * r.Stride))
        {
            next = UniformRun.Of(r.Lo, index + 1, r.First, r.Stride);
        }
        else if (index == r.Lo - 1 && value + r.Stride == r.First && (value & PTE_MASK) + r.Stride == (r.First & PTE_MASK))
        {
            next = UniformRun.Of(index, r.Hi, value, r.Stride);
        }

        if (next is null)
        {
            return false;
        }

        run = next;
        return true;
    }

    /// <summary>
    /// The step a run started by one entry expects of the next: a leaf maps the next span of memory
    /// (4 KiB, or 2 MiB / 1 GiB for a PSE leaf); a link points at the next page, as alloc_low_page
    /// hands them out bottom-up.
    /// </summary>
    private ulong StrideFor(ulong value)
    {
        var e = new PageTableEntry(value);
        return Level is Level.Pmd or Level.Pud && e.Large ? EntrySpan(Level) : PAGE_SIZE;
    }

    /// <summary>The page's own array of 512 entries: materialised from the run, copied if shared.</summary>
    private ulong[] Own()
    {
        if (entries is not { } a)
        {
            a = run.ToArray();
            entries = a;
            shared = false;
        }
        else if (shared)
        {
            a = (ulong[])a.Clone();
            entries = a;
            shared = false;
        }

        return a;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        var a = entries;
        Debug.Assert(a is null || a.Length == PTRS_PER_PTE, "a materialised page holds 512 entries");
        Debug.Assert(a is not null || !shared, "only an array is shared");
        if (a is null)
        {
            run.AssertInvariants();
        }
    }
}

using System.Diagnostics;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Memory;

/// <summary>
/// The descriptor of a table page whose entries form one arithmetic run: entry i is
/// <c>First + (i − Lo) × Stride</c> for Lo ≤ i &lt; Hi and 0 everywhere else. A freshly zeroed page
/// is <see cref="Empty"/>; a PTE page phys_pte_init filled is [0, 512) with Stride = 4 KiB; a pmd
/// page of 2 MiB leaves has Stride = 2 MiB, one of links to consecutive PTE pages Stride = 4 KiB.
/// Immutable, so a page can swap it in one reference write while another actor reads it (free mode).
/// </summary>
/// <remarks>
/// Invariants (checked by <see cref="AssertInvariants"/>): 0 ≤ Lo ≤ Hi ≤ 512; an empty run is the one
/// <see cref="Empty"/> instance; Stride is a multiple of 4 KiB; the frame field of the last entry
/// still fits PTE_MASK. The last two mean that every entry of a run has First's flag bits (present,
/// RW, PSE, NX, ...) and only the frame changes, which is what lets the readers treat a run as one
/// range of translations.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class UniformRun
{
    /// <summary>All 512 entries zero: memset(page, 0, PAGE_SIZE).</summary>
    public static readonly UniformRun Empty = new(0, 0, 0, 0);

    private UniformRun(int lo, int hi, ulong first, ulong stride)
    {
        Lo = lo;
        Hi = hi;
        First = first;
        Stride = stride;
    }

    /// <summary>The first index of the run.</summary>
    public int Lo { get; }

    /// <summary>One past the last index of the run.</summary>
    public int Hi { get; }

    /// <summary>The value of entry <see cref="Lo"/>.</summary>
    public ulong First { get; }

    /// <summary>What each next entry adds to the frame field (bytes, a multiple of 4 KiB).</summary>
    public ulong Stride { get; }

    public int Count => Hi - Lo;

    public bool IsEmpty => Hi == Lo;

    /// <summary>The flag bits every entry of the run shares.</summary>
    public ulong Flags => First & ~PTE_MASK;

    /// <summary>The value of entry <paramref name="index"/> (0 outside the run).</summary>
    public ulong At(int index) => index >= Lo && index < Hi ? First + ((ulong)(index - Lo) * Stride) : 0;

    /// <summary>The run [lo, hi) from <paramref name="first"/>, or <see cref="Empty"/>; null when its frames would overflow PTE_MASK.</summary>
    public static UniformRun? Of(int lo, int hi, ulong first, ulong stride)
    {
        Debug.Assert(lo >= 0 && hi <= PTRS_PER_PTE && stride % PAGE_SIZE == 0, "a run lies inside one page and steps by whole frames");
        if (hi <= lo)
        {
            return Empty;
        }

        if (first == 0)
        {
            // A zero inside a run would give one content two descriptors; only Empty holds zeros.
            return null;
        }

        var frame = first & PTE_MASK;
        var span = (ulong)(hi - lo - 1) * stride;
        if (span > PTE_MASK - frame)
        {
            return null;
        }

        var run = new UniformRun(lo, hi, first, stride);
        run.AssertInvariants();
        return run;
    }

    /// <summary>The run cut to indexes below <paramref name="end"/> (what clearing [end, 512) leaves).</summary>
    public UniformRun TruncateAt(int end) =>
        end >= Hi ? this : end <= Lo ? Empty : new UniformRun(Lo, end, First, Stride);

    /// <summary>The 512 entries, for a page that stops being a run.</summary>
    public ulong[] ToArray()
    {
        var entries = new ulong[PTRS_PER_PTE];
        var value = First;
        for (var i = Lo; i < Hi; i++, value += Stride)
        {
            entries[i] = value;
        }

        return entries;
    }

    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        Debug.Assert(Lo >= 0 && Lo <= Hi && Hi <= PTRS_PER_PTE, "0 <= Lo <= Hi <= 512");
        Debug.Assert(Hi > Lo || (First == 0 && Stride == 0), "an empty run holds nothing");
        Debug.Assert(Stride % PAGE_SIZE == 0, "the stride is whole frames, so the flag bits never change along the run");
        Debug.Assert(Hi == Lo || (ulong)(Hi - Lo - 1) * Stride <= PTE_MASK - (First & PTE_MASK), "the last frame still fits PTE_MASK");
        Debug.Assert(Hi == Lo || First != 0, "entries inside a run are never zero");
    }

    public override string ToString() =>
        IsEmpty ? "all zero" : $"[{Lo}, {Hi}) from {First:x16} step {Stride:x}";
}

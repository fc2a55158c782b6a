using System.Globalization;

namespace BootActors.Model.Paging;

/// <summary>A 4 KiB frame number (pseudo-physical under Xen, never an mfn).</summary>
public readonly record struct Pfn(ulong Value) : IComparable<Pfn>
{
    public PhysAddr PhysAddr => new(Value << X86.PAGE_SHIFT);
    public int CompareTo(Pfn other) => Value.CompareTo(other.Value);
    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);
    public static Pfn operator +(Pfn p, ulong n) => new(p.Value + n);
    public static bool operator <(Pfn a, Pfn b) => a.Value < b.Value;
    public static bool operator >(Pfn a, Pfn b) => a.Value > b.Value;
    public static bool operator <=(Pfn a, Pfn b) => a.Value <= b.Value;
    public static bool operator >=(Pfn a, Pfn b) => a.Value >= b.Value;
}

public readonly record struct PhysAddr(ulong Value)
{
    public Pfn Pfn => new(Value >> X86.PAGE_SHIFT);
    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);
}

public readonly record struct VirtAddr(ulong Value)
{
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>One 64-bit page-table entry at any level.</summary>
public readonly record struct PageTableEntry(ulong Value)
{
    public static readonly PageTableEntry None = new(0);

    public bool IsNone => Value == 0;
    public bool Present => (Value & X86._PAGE_PRESENT) != 0;
    public bool Writable => (Value & X86._PAGE_RW) != 0;

    /// <summary>pmd_large / pud_large: PSE and PRESENT both set.</summary>
    public bool Large => (Value & (X86._PAGE_PSE | X86._PAGE_PRESENT)) == (X86._PAGE_PSE | X86._PAGE_PRESENT);

    public ulong Flags => Value & ~X86.PTE_MASK;

    /// <summary>The frame bits (entry &amp; PTE_MASK), as pgd_page_vaddr / pmd_page_vaddr use them.</summary>
    public Pfn Frame => new((Value & X86.PTE_MASK) >> X86.PAGE_SHIFT);

    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

public static class Hex
{
    public static string Of(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}

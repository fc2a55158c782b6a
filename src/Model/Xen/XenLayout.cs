using BootActors.Model.E820;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Xen;

/// <summary>
/// Where Xen's domain builder (libxc, xc_dom_core.c / xc_dom_x86.c of Xen 3.3.1) puts the
/// guest's initial segments and page tables, in pseudo-physical addresses
/// (model-conventions items 13–16).
/// </summary>
public sealed record XenLayout
{
    public required ulong NrPages { get; init; }

    public required ulong KernelStart { get; init; }

    public required ulong KernelEnd { get; init; }

    /// <summary>The phys-to-machine list, nr_pages × 8 bytes rounded up to a page.</summary>
    public required ulong P2mStart { get; init; }

    public required ulong P2mEnd { get; init; }

    /// <summary>Start info, xenstore and console pages.</summary>
    public required ulong SpecialPagesStart { get; init; }

    public required ulong PtBase { get; init; }

    public required int L4 { get; init; }

    public required int L3 { get; init; }

    public required int L2 { get; init; }

    public required int L1 { get; init; }

    public int NrPtFrames => L4 + L3 + L2 + L1;

    public ulong PtEnd => PtBase + ((ulong)NrPtFrames << PAGE_SHIFT);

    /// <summary>The end of Xen's initial 4 KiB mapping [0, v_end).</summary>
    public required ulong VEnd { get; init; }

    /// <summary>Xen's L1 page k sits at pfn pt_base/4K + L4 + L3 + L2 + k (setup_pgtables_x86_64).</summary>
    public ulong L1Pfn(int k) => (PtBase >> PAGE_SHIFT) + (ulong)(L4 + L3 + L2 + k);

    /// <summary>L1′ = min(L1, 512): the Xen L1 pages xen_setup_kernel_pagetable copies into level2_ident_pgt.</summary>
    public int L1Linked => Math.Min(L1, PTRS_PER_PMD);

    /// <summary>n of item 16: level2_ident_pgt entries present after xen_map_identity_early.</summary>
    public int IdentEntries
    {
        get
        {
            var chunks = (NrPages + (ulong)PTRS_PER_PTE - 1) / (ulong)PTRS_PER_PTE;
            var want = (int)Math.Min(Math.Min(chunks, (ulong)(L1Linked + StaticTables.Level1IdentPages)), (ulong)PTRS_PER_PMD);
            return Math.Max(L1Linked, want);
        }
    }

    /// <summary>ISA_START_ADDRESS / ISA_END_ADDRESS (include/asm-x86/e820.h): the range xen_memory_setup reserves.</summary>
    public const ulong IsaStart = 0xa0000;

    public const ulong IsaEnd = 0x100000;

    /// <summary>
    /// The map arch/x86/xen/setup.c's xen_memory_setup (v2.6.27) gives the guest (conventions item
    /// 10): RAM [0, PFN_PHYS(nr_pages)); the ISA range reserved "because too many things think
    /// they can poke about in there"; [__pa(mfn_list), pt_base) reserved, which keeps the
    /// phys-to-machine list and the start info, xenstore and console pages out of RAM; then
    /// sanitize_e820_map (conventions item 8). Returned as "Xen", the name e820_print_map uses.
    /// </summary>
    public E820Map MemorySetupMap() => E820Map.FromEntries(
        [
            new E820Entry(0, NrPages << PAGE_SHIFT, E820Type.Ram),
            new E820Entry(IsaStart, IsaEnd, E820Type.Reserved),
            new E820Entry(P2mStart, PtBase, E820Type.Reserved),
        ],
        "Xen");

    /// <summary>Lays out a PV guest of <paramref name="end"/> bytes; null when the builder would refuse (too little memory).</summary>
    public static XenLayout? Compute(ulong end, ulong kernelSize, out string? error)
    {
        error = null;
        var nrPages = end >> PAGE_SHIFT;
        var kernelStart = StaticTables.PHYSICAL_START;
        var kernelEnd = kernelStart + round_up(kernelSize, PAGE_SIZE);
        var p2mStart = kernelEnd;
        var p2mEnd = p2mStart + round_up(nrPages * 8, PAGE_SIZE);
        var special = p2mEnd;
        var ptBase = special + 3 * PAGE_SIZE;

        // count_pgtables: extra = 1 boot stack + 128 pages of 512 KiB padding.
        const ulong extra = 1 + 128;
        ulong pages = extra;
        ulong tryEnd;
        int l4, l3, l2, l1;
        while (true)
        {
            tryEnd = (ptBase + (pages << PAGE_SHIFT)) | 0x3fffff;
            l4 = 1;
            l3 = 1;
            l2 = (int)(tryEnd >> PUD_SHIFT) + 1;
            l1 = (int)(tryEnd >> PMD_SHIFT) + 1;
            pages = (ulong)(l4 + l3 + l2 + l1) + extra;
            if (ptBase + (pages << PAGE_SHIFT) <= tryEnd + 1)
            {
                break;
            }
        }

        var vEnd = tryEnd + 1;
        if ((vEnd >> PAGE_SHIFT) > nrPages)
        {
            error = $"xc_dom_x86.c count_pgtables: not enough memory for initial mapping ({Hex(vEnd >> PAGE_SHIFT)} > {Hex(nrPages)} pages): " +
                    $"a PV guest of {end >> 20} MiB with a {kernelSize >> 20} MiB kernel cannot be built";
            return null;
        }

        return new XenLayout
        {
            NrPages = nrPages,
            KernelStart = kernelStart,
            KernelEnd = kernelEnd,
            P2mStart = p2mStart,
            P2mEnd = p2mEnd,
            SpecialPagesStart = special,
            PtBase = ptBase,
            L4 = l4,
            L3 = l3,
            L2 = l2,
            L1 = l1,
            VEnd = vEnd,
        };
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}

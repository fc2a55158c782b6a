using System.Globalization;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Xen;

/// <summary>
/// The rules Xen 3.3.1 enforces on a 64-bit PV guest's page tables (xen/arch/x86/mm.c), as far as
/// they decide this code's fate (model-conventions items 26 and 28): no PSE leaf in a page it
/// validates (written into a typed table, or linked by a populate), no table page linked while a
/// writable mapping of it is live, no writable mapping of a frame in use as a table.
/// It keeps the writable references of the early_ioremap aliases and the type of every table frame.
/// </summary>
public sealed class XenHypervisor
{
    public const uint PGT_l1_page_table = 1u << 29;
    public const uint PGT_l2_page_table = 2u << 29;
    public const uint PGT_l3_page_table = 3u << 29;
    public const uint PGT_l4_page_table = 4u << 29;
    public const uint PGT_writable_page = 7u << 29;
    public const uint PGT_pinned = 1u << 28;

    /// <summary>Hypercall numbers (xen/include/public/xen.h).</summary>
    public const int __HYPERVISOR_mmu_update = 1;
    public const int __HYPERVISOR_update_va_mapping = 14;
    public const int __HYPERVISOR_mmuext_op = 26;

    public const int EINVAL = 22;

    private readonly PhysicalMemory memory;
    private readonly HashSet<ulong> writableAliases = new();
    private readonly HashSet<ulong> linking = new();

    public XenHypervisor(PhysicalMemory memory, XenLayout layout)
    {
        this.memory = memory;
        Layout = layout;
    }

    public XenLayout Layout { get; }

    /// <summary>The domain id in Xen's log lines: the first domU.</summary>
    public int DomId { get; init; } = 1;

    /// <summary>Hypercalls made, by kind, for the summary and benchmarks.</summary>
    public long MmuUpdates { get; private set; }

    public long TrappedPteWrites { get; private set; }

    public long UpdateVaMappings { get; private set; }

    public long MmuextOps { get; private set; }

    public IReadOnlyCollection<ulong> WritableAliases => writableAliases;

    /// <summary>Where what Xen's checks read (types, links, aliases) is reported; null: not recorded. Hypercall counts are not.</summary>
    public AccessRecorder? Recorder { get; set; }

    public static uint TypeOf(Level level) => level switch
    {
        Level.Pte => PGT_l1_page_table,
        Level.Pmd => PGT_l2_page_table,
        Level.Pud => PGT_l3_page_table,
        _ => PGT_l4_page_table,
    };

    /// <summary>
    /// Whether Xen holds <paramref name="frame"/> as a page table now: the static tables, the Xen L1
    /// pages and level1_ident_pgt pages in use, every boot page linked to init_level4_pgt, and
    /// the pages the populate under check is linking (item 28).
    /// </summary>
    public bool IsPageTableFrame(Pfn frame, IReadOnlySet<ulong>? linking = null)
    {
        if (linking is not null && linking.Contains(frame.Value))
        {
            return true;
        }

        Recorder?.Read(Resource.PageMeta(frame));
        var page = memory.Find(frame);
        if (page is null)
        {
            return false;
        }

        return page.Origin switch
        {
            TablePageOrigin.Static or TablePageOrigin.XenLevel1Ident or TablePageOrigin.XenBuilder => true,
            _ => Reachable(frame),
        };
    }

    /// <summary>The type_info Xen would print for a table frame: its type and a count of one reference.</summary>
    public uint TypeInfo(Pfn frame)
    {
        var page = memory.Find(frame);
        var type = page is null ? PGT_writable_page : TypeOf(page.Level);
        var pinned = frame == memory.Root ? PGT_pinned : 0;
        return type | pinned | 1;
    }

    /// <summary>early_ioremap's fixmap PTE (a store into a pinned L1, trapped and validated): a writable mapping.</summary>
    public string? MapWritableAlias(Pfn pfn)
    {
        TrappedPteWrites++;
        if (IsPageTableFrame(pfn))
        {
            return BadType(TypeInfo(pfn), PGT_writable_page, pfn) +
                   $": early_ioremap would map page-table frame {pfn} writable";
        }

        Recorder?.Write(Resource.XenAlias(pfn));
        writableAliases.Add(pfn.Value);
        return null;
    }

    /// <summary>early_iounmap clears the fixmap PTE, which drops the writable type reference.</summary>
    public void DropWritableAlias(Pfn pfn)
    {
        Recorder?.Write(Resource.XenAlias(pfn));
        TrappedPteWrites++;
        writableAliases.Remove(pfn.Value);
    }

    public bool HasWritableAlias(Pfn pfn)
    {
        Recorder?.Read(Resource.XenAlias(pfn));
        return writableAliases.Contains(pfn.Value);
    }

    public void CopyFrom(XenHypervisor other)
    {
        writableAliases.Clear();
        writableAliases.UnionWith(other.writableAliases);
        MmuUpdates = other.MmuUpdates;
        TrappedPteWrites = other.TrappedPteWrites;
        UpdateVaMappings = other.UpdateVaMappings;
        MmuextOps = other.MmuextOps;
    }

    /// <summary>
    /// A leaf or clear written into a table (set_pte trapped for L1, mmu_update for L2–L4).
    /// Returns Xen's refusal, or null when accepted.
    /// </summary>
    public string? CheckEntryWrite(Pfn table, Level level, int index, PageTableEntry value)
    {
        if (level == Level.Pte)
        {
            TrappedPteWrites++;
        }
        else
        {
            MmuUpdates++;
        }

        if (!value.Present)
        {
            return null;
        }

        if (level is Level.Pmd or Level.Pud && value.Large && IsPageTableFrame(table))
        {
            // mod_l2_entry/mod_l3_entry → get_page_from_l2e/l3e: BASE_DISALLOW_MASK forbids PSE in a
            // table Xen has typed (item 28). A page not linked yet is written directly; its PSE
            // leaves are refused when a populate makes it reachable (ValidateSubtree).
            return Log($"Bad L{(int)level} flags {DisallowedFlags(value):x}") +
                   $": a {LeafSize(level)} PSE leaf {value} at {level.Name()}[{index}] of table {table}, which Xen holds as an " +
                   $"L{(int)level} table; PV guests cannot map large pages";
        }

        if (level == Level.Pte && value.Writable && Reachable(table) && IsPageTableFrame(value.Frame))
        {
            return BadType(TypeInfo(value.Frame), PGT_writable_page, value.Frame) +
                   $": pte[{index}] of pinned L1 {table} would map page-table frame {value.Frame} writable";
        }

        return null;
    }

    /// <summary>
    /// mmu_update of a p?d_populate: refused while the child has its writable early_ioremap alias
    /// (item 26 step 2), then, when the written table is reachable, Xen types and validates the
    /// pages it links (step 3, item 28): no pmd or pud entry below may be a PSE leaf, no PTE page
    /// may map a page-table frame writable. Null when accepted.
    /// </summary>
    public string? CheckPopulate(Pfn table, Level level, int index, Pfn child, ulong vaOfEntry, string populate)
    {
        MmuUpdates++;
        var childLevel = level.Below();
        if (HasWritableAlias(child))
        {
            return BadType(PGT_writable_page | 1, TypeOf(childLevel), child) +
                   $": {populate} of {level.Name()}[{index}] in table {table} links {childLevel.Name()} page {child}, " +
                   "which still has its writable early_ioremap alias (unmap_low_page has not run yet)";
        }

        if (!Reachable(table))
        {
            return null;
        }

        if (Recorder is { } r)
        {
            RecordedReads.Table(r, memory, child, childLevel);
        }

        var linking = Subtree(child, childLevel);
        return ValidateSubtree(child, childLevel, vaOfEntry, linking, new Linked(populate, table, level, index, child));
    }

    /// <summary>
    /// The paravirt alloc hook of a p?d_populate (item 26 step 1): xen_alloc_pte_init →
    /// make_lowmem_page_readonly(__va(child)) BUGs when the child is not mapped in the linear map;
    /// otherwise its update_va_mapping clears RW on the direct-map PTE returned here (if any).
    /// </summary>
    public (FatalEvent? Fatal, EntryRef? ReadOnly) AllocHook(Pfn table, Level level, int index, Pfn child)
    {
        UpdateVaMappings++;
        if (PageAllocator.IsDynamic(child))
        {
            return (null, null);
        }

        if (Recorder is { } r)
        {
            RecordedReads.Walk(r, memory, __va(child.PhysAddr.Value));
        }

        var w = memory.WalkVirt(__va(child.PhysAddr.Value));
        if (!w.Mapped)
        {
            return (new FatalEvent(ErrorKind.TablePageUnmapped,
                $"{Mmu.PopulateName(level)} of {level.Name()}[{index}] in table {table}: the paravirt alloc hook xen_alloc_pte_init → " +
                $"make_lowmem_page_readonly(__va({Hex.Of(child.PhysAddr.Value)})) finds {level.Below().Name()} page {child} " +
                $"not mapped in the linear map (the walk stops at empty {w.Level.Name()}[{w.At.Index}] of table {w.At.Table}): BUG in arch/x86/xen/mmu.c"), null);
        }

        return (null, w.Level == Level.Pte && w.Entry.Writable ? w.At : null);
    }

    /// <summary>
    /// phys_pte_init's stores into a PTE page: plain stores unless the page is a pinned L1 (linked
    /// into init_level4_pgt), where each is trapped and validated. Returns the index of the first
    /// refused leaf (the leaves before it are written) and the refusal, or (512, null).
    /// </summary>
    public (int StopAt, string? Refusal) CheckPteInitLoop(Pfn pte_page, int firstIndex, ulong addr, ulong end, ulong supportedPteMask)
    {
        Recorder?.Read(Resource.PageMeta(pte_page));
        var page = memory.Find(pte_page);
        if (page is null || !Reachable(pte_page))
        {
            return (PTRS_PER_PTE, null);
        }

        Recorder?.Read(Resource.Page(pte_page));

        for (var i = firstIndex; i < PTRS_PER_PTE && addr < end; i++, addr += PAGE_SIZE)
        {
            if (page[i] != 0)
            {
                continue;
            }

            var leaf = pfn_pte(addr >> PAGE_SHIFT, PAGE_KERNEL, supportedPteMask);
            if (CheckEntryWrite(pte_page, Level.Pte, i, leaf) is { } refused)
            {
                return (i, $"set_pte in phys_pte_init: {refused}");
            }
        }

        return (PTRS_PER_PTE, null);
    }

    /// <summary>
    /// The hypercalls of folded phys_pmd_init iterations (<see cref="Kernel.FoldedIterations"/>) into
    /// pmd page <paramref name="pmdPage"/>, which is not linked yet, from pmd[<paramref name="index"/>]
    /// and <paramref name="address"/> on, one new PTE page from <paramref name="pages"/> each: early_ioremap's
    /// and early_iounmap's fixmap stores, the PTE page's stores (plain: the page is not pinned), the
    /// alloc hook's update_va_mapping and pmd_populate_kernel's mmu_update, each through the function
    /// its own stage calls. Stops before the first page Xen would refuse or the hook would BUG on, which
    /// the loop then takes step by step. Nothing here depends on the others' memory writes: the new
    /// pages are not reachable, and each hook's PTE maps its own frame.
    /// <para>
    /// When the pmd page is linked already (the first GiB, whose pmd page Xen's domain builder
    /// made), each populate makes Xen validate the new PTE page then, its leaves written
    /// (alloc_l1_table): they map the iteration's 2 MiB writable, refused if a frame in it is a
    /// page table. That is checked here from the frames' range, as <see cref="ValidateSubtree"/>
    /// checks a page held as a run. The iterations still do not see each other's writes: a page
    /// whose frame lies in what they map is not mapped yet (__va of it falls in their empty
    /// entries), so the fold stops before it, and none of its pages is in another's range.
    /// </para>
    /// </summary>
    public StageData FoldedHypercalls(Pfn pmdPage, int index, ulong address, ulong end, BootPageRange pages, ulong supportedPteMask)
    {
        var readOnly = new EntryRef?[pages.Length];
        var linked = Reachable(pmdPage);
        var j = 0;
        for (; j < pages.Length; j++)
        {
            var pte = pages[j];
            if (IsPageTableFrame(pte) || (!PageAllocator.IsDynamic(pte) && !memory.WalkVirt(__va(pte.PhysAddr.Value)).Mapped))
            {
                break;
            }

            var at = address + ((ulong)j * PMD_SIZE);
            if (linked && MapsTableFrameWritable(pte, at, supportedPteMask))
            {
                break;
            }

            var alias = MapWritableAlias(pte);
            var stores = CheckPteInitLoop(pte, pte_index(at), at, end, supportedPteMask);
            DropWritableAlias(pte);
            var (bug, ro) = AllocHook(pmdPage, Level.Pmd, index + j, pte);
            var populate = CheckPopulate(pmdPage, Level.Pmd, index + j, pte, __va(at) & PMD_MASK, Mmu.PopulateName(Level.Pmd));
            if (alias is not null || stores.Refusal is not null || bug is not null || populate is not null)
            {
                // Checked above: the page is no table Xen holds, its frame is mapped, and either the pmd page
                // is not linked or the page's leaves map no table frame writable.
                throw new InvalidOperationException($"Xen refused a folded iteration's page {pte}: {alias ?? stores.Refusal ?? populate ?? bug!.Message}");
            }

            readOnly[j] = ro;
        }

        if (j < readOnly.Length)
        {
            Array.Resize(ref readOnly, j);
        }

        return new StageData { Count = j, ReadOnlys = readOnly };
    }

    /// <summary>
    /// Whether phys_pte_init's leaves in <paramref name="pte"/> for the 2 MiB at <paramref name="at"/>
    /// (pfn_pte of consecutive frames, one pgprot) would map a page-table frame writable once a
    /// populate links the page: what Xen's validation of it then refuses.
    /// </summary>
    private bool MapsTableFrameWritable(Pfn pte, ulong at, ulong supportedPteMask)
    {
        var leaf = pfn_pte(at >> PAGE_SHIFT, PAGE_KERNEL, supportedPteMask);
        if (!leaf.Present || !leaf.Writable)
        {
            return false;
        }

        var first = leaf.Frame;
        var end = new Pfn(first.Value + PTRS_PER_PTE);
        // The page itself counts too (Xen's linking set holds it), but it is not in the page index yet.
        return pte.Value >= first.Value && pte.Value < end.Value || FirstPageTableFrameIn(first, end) is not null;
    }

    /// <summary>
    /// The lowest frame in [<paramref name="first"/>, <paramref name="end"/>) that Xen holds as a page
    /// table (<see cref="IsPageTableFrame"/>): every such frame is in the page index, so only its
    /// table pages in that range are asked.
    /// </summary>
    private Pfn? FirstPageTableFrameIn(Pfn first, Pfn end, IReadOnlySet<ulong>? linking = null)
    {
        for (var frame = memory.FirstTablePageIn(first, end); frame is { } f; frame = memory.FirstTablePageIn(new Pfn(f.Value + 1), end))
        {
            if (IsPageTableFrame(f, linking))
            {
                return f;
            }
        }

        return null;
    }

    /// <summary>memory.IsReachable, its reads recorded.</summary>
    private bool Reachable(Pfn pfn)
    {
        if (Recorder is { } r)
        {
            RecordedReads.Reachable(r, memory, pfn);
        }

        return memory.IsReachable(pfn);
    }

    /// <summary>MMUEXT_TLB_FLUSH_LOCAL, as xen_flush_tlb issues for __flush_tlb_all.</summary>
    public void FlushTlbLocal() => MmuextOps++;

    /// <summary>MMUEXT_TLB_FLUSH_ALL: every CPU in the domain's dirty cpumask.</summary>
    public void FlushTlbAll() => MmuextOps++;

    /// <summary>
    /// The table pages a populate of <paramref name="child"/> links: it and every table page below
    /// it. One set, reused: it lives only while that populate is checked.
    /// </summary>
    private HashSet<ulong> Subtree(Pfn child, Level level)
    {
        linking.Clear();
        AddSubtree(linking, child, level);
        return linking;
    }

    private void AddSubtree(HashSet<ulong> set, Pfn child, Level level)
    {
        set.Add(child.Value);
        if (level == Level.Pte || memory.Find(child) is not { } page)
        {
            return;
        }

        for (var i = 0; i < PTRS_PER_PTE; i++)
        {
            var e = new PageTableEntry(page[i]);
            if (e.Present && !e.Large && memory.IsTablePage(e.Frame))
            {
                AddSubtree(set, e.Frame, level.Below());
            }
        }
    }

    /// <summary>
    /// alloc_page_type as Xen walks a newly linked subtree, depth first in virtual-address order
    /// (alloc_l3_table → get_page_from_l3e → alloc_l2_table → get_page_from_l2e → alloc_l1_table →
    /// get_page_from_l1e): the first PSE leaf or writable mapping of a table frame is refused.
    /// </summary>
    private string? ValidateSubtree(Pfn table, Level level, ulong va, IReadOnlySet<ulong> linking, in Linked linked)
    {
        if (level == Level.Pte)
        {
            var pte = memory.Find(table);
            if (pte is null || pte.Run is { } run && (run.IsEmpty || (run.First & (_PAGE_PRESENT | _PAGE_RW)) != (_PAGE_PRESENT | _PAGE_RW)))
            {
                // No entry of the page is a present writable mapping.
                return null;
            }

            if (pte.Run is { Stride: PAGE_SIZE } leaves && Recorder is null)
            {
                // Leaves that map consecutive frames: the first that maps a page-table frame is at
                // the lowest such frame in their range (the linking set is the new subtree's table pages).
                var first = new PageTableEntry(leaves.First).Frame;
                return FirstPageTableFrameIn(first, new Pfn(first.Value + (ulong)leaves.Count), linking) is { } f
                    ? WritableTableFrame(table, level, va, leaves.Lo + (int)(f.Value - first.Value), f, in linked)
                    : null;
            }

            for (var i = 0; i < PTRS_PER_PTE; i++)
            {
                var e = new PageTableEntry(pte[i]);
                if (e.Present && e.Writable && IsPageTableFrame(e.Frame, linking))
                {
                    return WritableTableFrame(table, level, va, i, e.Frame, in linked);
                }
            }

            return null;
        }

        var page = memory.Find(table);
        if (page is null)
        {
            return null;
        }

        var span = EntrySpan(level);
        for (var i = 0; i < PTRS_PER_PMD; i++)
        {
            var e = new PageTableEntry(page[i]);
            if (!e.Present)
            {
                continue;
            }

            var entryVa = va + ((ulong)i * span);
            if (e.Large)
            {
                var l = (int)level;
                return Log($"Bad L{l} flags {DisallowedFlags(e):x}") + "; " + Log($"Failure in alloc_l{l}_table: entry {i}") +
                       $"; hypercall returns -EINVAL (-{EINVAL}): validating {linked.Describe(table, level)}: " +
                       $"{level.Name()}[{i}] (va {Hex.Of(entryVa)}) is a {LeafSize(level)} PSE leaf {e}; PV guests cannot map large pages";
            }

            if (ValidateSubtree(e.Frame, level.Below(), entryVa, linking, in linked) is { } refused)
            {
                return refused;
            }
        }

        return null;
    }

    private string WritableTableFrame(Pfn table, Level level, ulong va, int i, Pfn frame, in Linked linked) =>
        BadType(TypeInfo(frame), PGT_writable_page, frame) +
        $": validating {linked.Describe(table, level)}: " +
        $"pte[{i}] (va {Hex.Of(va + ((ulong)i << PAGE_SHIFT))}) maps page-table frame {frame} writable";

    /// <summary>The flags BASE_DISALLOW_MASK catches in a large leaf (PSE, and whatever of GLOBAL/PWT/PCD it has).</summary>
    private static ulong DisallowedFlags(PageTableEntry e) => e.Value & 0xfff & (_PAGE_PSE | _PAGE_GLOBAL | _PAGE_PWT | _PAGE_PCD);

    private static string LeafSize(Level level) => level == Level.Pmd ? "2 MiB" : "1 GiB";

    /// <summary>The populate whose mmu_update makes Xen validate a subtree, for its refusal message.</summary>
    private readonly record struct Linked(string Populate, Pfn Table, Level Level, int Index, Pfn Child)
    {
        public string Describe(Pfn page, Level pageLevel)
        {
            var links = $"which {Populate} links into {Level.Name()}[{Index}] of table {Table}";
            return page == Child
                ? $"{Kind(pageLevel)} page {page}, {links}"
                : $"{Kind(pageLevel)} page {page} below {Kind(Level.Below())} page {Child}, {links}";
        }

        private static string Kind(Level l) => l == Level.Pte ? "PTE" : l.Name();
    }

    private string Log(string what) => $"(XEN) mm.c: d{DomId} {what}";

    private string BadType(uint saw, uint exp, Pfn frame) =>
        Log($"Bad type (saw {saw.ToString("x8", CultureInfo.InvariantCulture)} != exp {exp.ToString("x8", CultureInfo.InvariantCulture)}) for pfn {frame}") +
        $"; hypercall returns -EINVAL (-{EINVAL})";
}

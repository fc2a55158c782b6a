using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Memory;
using BootActors.Model.Paging;
using BootActors.Model.Xen;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Machine;

/// <summary>
/// The whole modelled machine: memory with its page tables, the early allocator, the lock, the
/// TLBs, Xen when present, and the kernel's DirectMap counters. Each owner's part of a step is a
/// function here; how a step is composed from them is <see cref="StepPlans"/>, which
/// <see cref="Apply"/> runs inline and the actor host runs as messages (MachineStages.cs).
/// </summary>
public sealed partial class Machine
{
    private readonly List<(ulong Start, ulong End)> hotAdded = new();
    private readonly List<(ulong Start, ulong End)> removed = new();
    private readonly HashSet<ulong> freed = new();

    public Machine(MachineConfig config)
        : this(config, buildTables: true)
    {
    }

    /// <summary>A machine; without <paramref name="buildTables"/> its memory is empty, for <see cref="Clone"/> to fill.</summary>
    private Machine(MachineConfig config, bool buildTables)
    {
        Config = config;
        var e820 = config.BootE820;
        var endPfn = e820.EndOfRamPfn();
        if (endPfn == 0)
        {
            throw new MachineConfigException($"{Origin(config)}: the e820 map has no usable RAM (e820_end_of_ram() is 0)");
        }

        End = endPfn << PAGE_SHIFT;
        if (endPfn >= PageAllocator.FirstDynamicPfn)
        {
            throw new MachineConfigException(
                $"{Origin(config)}: RAM reaches {Hex.Of(End)}; this model numbers get_zeroed_page's pages from " +
                $"{Hex.Of(PageAllocator.FirstDynamicPfn << PAGE_SHIFT)} (63 TiB) up, so RAM must end below that");
        }

        if (config.KernelSize == 0)
        {
            throw new MachineConfigException("--kernel-size must be positive");
        }

        if (config.Xen)
        {
            XenLayout = XenLayout.Compute(End, config.KernelSize, out var error)
                        ?? throw new MachineConfigException($"{Origin(config)}: {error}");
        }

        Globals = new KernelGlobals
        {
            Variant = config.Variant,
            E820 = e820,
            cpu_has_pse = config.EffectivePse,
            direct_gbpages = config.EffectiveGbpages,
            Xen = config.Xen,
            __supported_pte_mask = config.Xen ? ~(_PAGE_GLOBAL | _PAGE_PWT | _PAGE_PCD) : ulong.MaxValue,
            Grain = config.Grain,
            StepEveryIteration = config.StepEveryIteration,
            HotplugMutex = config.HotplugMutex,
            RemoveFlush = config.RemoveFlush,
        };

        Memory = new PhysicalMemory(StaticTables.init_level4_pgt, config.FlatTablePages);
        Xen = XenLayout is null ? null : new XenHypervisor(Memory, XenLayout);
        Allocator = new PageAllocator(e820, Reservations(), config.AllocOrder);
        Mmu = new Mmu(Memory, Globals, InUse);
        Code = new KernelCode(Globals);
        Lock = new InitMmLock { Id = KernelCode.PageTableLock };
        HotplugMutex = new InitMmLock { Id = KernelCode.HotplugMutexLock };
        Tlbs = Enumerable.Range(0, Math.Max(1, config.Cpus)).Select(i => new Tlb(i)).ToArray();
        if (buildTables)
        {
            InitialTables.Build(this);
        }
    }

    public MachineConfig Config { get; }

    public KernelGlobals Globals { get; }

    public KernelCode Code { get; }

    public PhysicalMemory Memory { get; }

    public PageAllocator Allocator { get; }

    public InitMmLock Lock { get; }

    /// <summary>The hotplug_mutex scenario knob's lock (a later kernel's mem_hotplug_lock, as a plain mutex).</summary>
    public InitMmLock HotplugMutex { get; }

    /// <summary>The lock a SpinLock/SpinUnlock step names.</summary>
    public InitMmLock LockFor(ulong id) => id == KernelCode.HotplugMutexLock ? HotplugMutex : Lock;

    public static string LockName(ulong id) => id == KernelCode.HotplugMutexLock ? "the hotplug mutex" : "init_mm.page_table_lock";

    public IReadOnlyCollection<ulong> Freed => freed;

    public Tlb[] Tlbs { get; }

    public XenHypervisor? Xen { get; }

    public XenLayout? XenLayout { get; }

    public Mmu Mmu { get; }

    /// <summary>
    /// Whether steps may be folded (<see cref="Kernel.FoldedIterations"/>) as far as the machine
    /// goes: no footprint recorder and no table observer hears of each step's accesses. Each host
    /// adds its own condition (the interpreter: no per-step callback; the actor host: a run of
    /// forced deliveries without a trace).
    /// </summary>
    public bool StepsUnwatched => Recorder is null && Memory.Observer is null;

    /// <summary>
    /// Where the machine's functions report what each step reads and writes (exploration's
    /// footprints); null: nothing is recorded. Setting it attaches it to every component.
    /// </summary>
    public AccessRecorder? Recorder
    {
        get => Mmu.Recorder;
        set
        {
            Mmu.Recorder = value;
            Allocator.Recorder = value;
            Lock.Recorder = value;
            HotplugMutex.Recorder = value;
            foreach (var t in Tlbs)
            {
                t.Recorder = value;
            }

            if (Xen is not null)
            {
                Xen.Recorder = value;
            }
        }
    }

    /// <summary>e820_end_of_ram() &lt;&lt; PAGE_SHIFT: the end of the boot direct mapping.</summary>
    public ulong End { get; }

    /// <summary>direct_pages_count[PG_LEVEL_4K, 2M, 1G] (arch/x86/mm/pageattr.c).</summary>
    public ulong[] DirectPagesCount { get; } = new ulong[3];

    /// <summary>Level1IdentPages of level1_ident_pgt that xen_map_identity_early used.</summary>
    public int Level1IdentUsed { get; internal set; }

    public IReadOnlyList<(ulong Start, ulong End)> HotAdded => hotAdded;

    public IReadOnlyList<(ulong Start, ulong End)> Removed => removed;

    /// <summary>
    /// An independent copy of this machine's state (tables, allocator, locks, TLBs, Xen, counters,
    /// ranges, after_bootmem). A boot that stopped on a fatal event may leave a lock held; it is copied as is.
    /// </summary>
    public Machine Clone()
    {
        var copy = new Machine(Config, buildTables: false);
        copy.Lock.CopyFrom(Lock);
        copy.HotplugMutex.CopyFrom(HotplugMutex);
        copy.Memory.CopyFrom(Memory);
        copy.Allocator.Restore(Allocator.Snapshot());
        for (var i = 0; i < Tlbs.Length; i++)
        {
            copy.Tlbs[i].CopyFrom(Tlbs[i]);
        }

        if (Xen is not null)
        {
            copy.Xen!.CopyFrom(Xen);
        }

        Array.Copy(DirectPagesCount, copy.DirectPagesCount, DirectPagesCount.Length);
        copy.Level1IdentUsed = Level1IdentUsed;
        copy.hotAdded.AddRange(hotAdded);
        copy.removed.AddRange(removed);
        copy.freed.UnionWith(freed);
        copy.Globals.after_bootmem = Globals.after_bootmem;
        return copy;
    }

    /// <summary>
    /// Refuses a workload this machine cannot run: an event on a CPU it does not have, or memory at or
    /// above 63 TiB, where the model numbers its get_zeroed_page pages (model-conventions item 20).
    /// </summary>
    public void Validate(Workload.WorkloadPlan plan)
    {
        const ulong limit = PageAllocator.FirstDynamicPfn << PAGE_SHIFT;
        foreach (var ev in plan.AllEvents)
        {
            if (ev.Cpu < 0 || ev.Cpu >= Tlbs.Length)
            {
                throw new MachineConfigException($"{ev.Describe()}: the machine has {Tlbs.Length} CPU(s)");
            }

            var (start, size) = ev switch
            {
                Workload.HotAdd h => (h.Start, h.Size),
                Workload.HotRemove r => (r.Start, r.Size),
                Workload.Touch t => (t.PhysAddr, ((ulong)Math.Max(1, t.Count) - 1) * t.Stride + PAGE_SIZE),
                _ => (0UL, 0UL),
            };
            if (size == 0)
            {
                throw new MachineConfigException($"{ev.Describe()}: the size must be positive");
            }

            if (start >= limit || size > limit - start)
            {
                throw new MachineConfigException(
                    $"{ev.Describe()}: reaches {Hex.Of(limit)} (63 TiB), where this model numbers get_zeroed_page's pages; keep workloads below it");
            }
        }
    }

    /// <summary>
    /// The steps PhysicalMemory owns: entry reads and writes after Xen's checks (the overwrite
    /// monitor runs here), __va reaches, page zeroing and freeing, the DirectMap counters and the
    /// ranges hot-add and hot-remove declare. <paramref name="stopAt"/> bounds a PTE page fill
    /// where Xen refused a leaf.
    /// </summary>
    public StepResult MemoryStep(in Effect e, int stopAt = PTRS_PER_PTE)
    {
        switch (e.Kind)
        {
            case EffectKind.ReadEntry:
                return Mmu.Read(e.Table, e.Index);
            case EffectKind.SetEntry:
                return Mmu.Set(e.Table, e.Level, e.Index, new PageTableEntry(e.Value), e.Arg);
            case EffectKind.Populate:
                return Mmu.Populate(e.Table, e.Level, e.Index, new Pfn(e.Value), e.Arg);
            case EffectKind.PteInitLoop:
                return Mmu.PteInitLoop(e.Table, e.Index, e.Value, e.Arg, stopAt);
            case EffectKind.ReachTable:
                return Mmu.Reach(e.Table, (string?)e.Payload ?? "__va");
            case EffectKind.ZeroPage:
                RecordPageChange(e.Table);
                Memory.Zero(e.Table, e.Level, PageAllocator.IsDynamic(e.Table) ? TablePageOrigin.AfterBootmem : TablePageOrigin.Boot);
                return StepResult.Ok();
            case EffectKind.FreePage:
                return FreePage(e.Table);
            case EffectKind.UpdatePageCount:
                Recorder?.AddTo(Resource.Counter(CountIndex(e.Level)));
                DirectPagesCount[CountIndex(e.Level)] += e.Value;
                return StepResult.Ok();
            case EffectKind.AddMemoryRange:
                Recorder?.AddTo(Resource.Ranges);
                hotAdded.Add((e.Value, e.Arg));
                return StepResult.Ok();
            case EffectKind.RemoveMemoryRange:
                Recorder?.AddTo(Resource.Ranges);
                removed.Add((e.Value, e.Arg));
                return StepResult.Ok();
            default:
                throw new InvalidOperationException($"{e.Kind} is not a PhysicalMemory step");
        }
    }

    /// <summary>The steps the PageAllocator owns: the table buffer, alloc_low_page, the early_ioremap slots.</summary>
    public StepResult AllocatorStep(in Effect e)
    {
        switch (e.Kind)
        {
            case EffectKind.FindTableSpace:
                return StepResult.Ok(Allocator.FindTableSpace(e.Value, e.Arg));
            case EffectKind.AllocPage:
                return AllocPage(e.Level);
            case EffectKind.EarlyIoremap:
                return Allocator.EarlyIoremap(e.Table) is { } warn
                    ? StepResult.Fail(ErrorKind.WildWrite, $"{warn}: early_ioremap returns NULL and alloc_low_page's memset writes through it")
                    : StepResult.Ok();
            case EffectKind.EarlyIounmap:
                return Allocator.EarlyIounmap(e.Table) is { } error
                    ? StepResult.Fail(ErrorKind.WildWrite, error)
                    : StepResult.Ok();
            default:
                throw new InvalidOperationException($"{e.Kind} is not a PageAllocator step");
        }
    }

    /// <summary>spin_lock / spin_unlock on the lock the step names. Wait: the CPU spins until handed the lock.</summary>
    public StepResult LockStep(int cpu, in Effect e)
    {
        var lk = LockFor(e.Value);
        if (e.Kind == EffectKind.SpinLock)
        {
            return lk.Lock(cpu) switch
            {
                LockResult.Acquired => StepResult.Ok(),
                LockResult.Queued => StepResult.Wait,
                _ => StepResult.Fail(ErrorKind.SelfDeadlock,
                    $"spin_lock(&{LockName(e.Value)}) by CPU{cpu}, which already holds it: it spins forever"),
            };
        }

        return lk.Unlock(cpu, out _) == LockResult.Released
            ? StepResult.Ok()
            : StepResult.Fail(ErrorKind.UnlockByNonOwner,
                $"spin_unlock(&{LockName(e.Value)}) by CPU{cpu}, which does not hold it (owner: {(lk.Owner is { } o ? $"CPU{o}" : "none")})");
    }

    public static int CountIndex(Level level) => level switch
    {
        Level.Pte => 0,
        Level.Pmd => 1,
        _ => 2,
    };

    /// <summary>The frames whose translations must not be lost (model-conventions item 31), as of now.</summary>
    public InUseFrames InUse()
    {
        if (Recorder is { } r)
        {
            r.Read(Resource.Ranges);
            r.Read(Resource.TablePageSet);
        }

        var parts = new List<(ulong, ulong)>(Globals.E820.RamRanges());
        parts.AddRange(hotAdded);

        // Pages come in pfn order and the boot's lie together in the table space: one range for
        // each stretch, not one per page (6.3 million pages at 12 TiB without PSE).
        ulong start = 0, end = 0;
        foreach (var page in Memory.TablePageHeaders)
        {
            // The boot pages alloc_low_page has handed out so far are exactly those zeroed at boot.
            if (page.Origin is TablePageOrigin.Static or TablePageOrigin.XenLevel1Ident or TablePageOrigin.XenBuilder or TablePageOrigin.Boot)
            {
                var pa = page.Pfn.PhysAddr.Value;
                if (pa != end || end == start)
                {
                    if (end != start)
                    {
                        parts.Add((start, end));
                    }

                    start = pa;
                }

                end = pa + PAGE_SIZE;
            }
        }

        if (end != start)
        {
            parts.Add((start, end));
        }

        if (XenLayout is { } x)
        {
            parts.Add((x.PtBase, x.PtEnd));
        }

        return new InUseFrames(parts);
    }

    private StepResult AllocPage(Level level)
    {
        var pfn = Allocator.AllocPage(Globals.after_bootmem, level);
        if (pfn is { } p)
        {
            return StepResult.Ok(p.Value);
        }

        return StepResult.Fail(ErrorKind.Panic,
            $"Kernel panic - not syncing: alloc_low_page: ran out of memory (a {level.Name()} page: table_end {Hex.Of(Allocator.table_end)} " +
            $"passed table_top {Hex.Of(Allocator.table_top)}; the buffer [{Hex.Of(Allocator.table_start << PAGE_SHIFT)}, {Hex.Of(Allocator.table_top << PAGE_SHIFT)}) " +
            "that find_early_table_space reserved is used up)");
    }

    /// <summary><see cref="TlbLookupStep"/>'s value for a miss.</summary>
    public const ulong TlbMiss = ulong.MaxValue - 1;

    /// <summary>The TLB's side of an access: a hit (the frame), a stale use (fatal), or <see cref="TlbMiss"/>.</summary>
    public StepResult TlbLookupStep(int cpu, ulong va)
    {
        var access = Tlbs[cpu].Lookup(Memory, va);
        if (access.Stale is { } stale)
        {
            var now = stale.CurrentFrame is { } f ? $"now translates to frame {f}" : "is no longer mapped";
            var src = stale.ChangedEntry;
            var srcPage = Memory.Find(src.Table);
            var srcName = srcPage is null ? $"entry {src.Index} of freed table {src.Table}" : $"{srcPage.Level.Name()}[{src.Index}] of table {src.Table}";
            var positions = new Dictionary<string, long> { ["cached"] = stale.Entry.CachedAt };
            if (Memory.LastChange(src) is { } changed)
            {
                positions["changed"] = changed;
            }

            return StepResult.Fail(new FatalEvent(ErrorKind.StaleTlbUse,
                $"CPU{cpu} used its cached translation of {new VirtAddr(va)} → frame {stale.Entry.Frame}; its source {srcName} " +
                $"changed from {Hex.Of(stale.CachedValue)} to {Hex.Of(stale.CurrentValue)} since it was cached and the address {now}, " +
                "but no flush reached this CPU's TLB")
            {
                Positions = positions,
            });
        }

        return StepResult.Ok(access.Hit ? access.Frame.Value : TlbMiss);
    }

    /// <summary>
    /// PhysicalMemory's side of a TLB miss: the page walk. A fault on RAM that should be mapped is
    /// fatal; on anything else (e.g. removed memory) the access just faults (value ulong.MaxValue).
    /// </summary>
    public (TlbEntry? Entry, StepResult Result) WalkStep(int cpu, ulong va, long seq)
    {
        var entry = Tlb.Walk(Memory, va, seq, Recorder);
        if (entry is not null)
        {
            return (entry, StepResult.Ok(entry.Frame.Value));
        }

        var pa = va - PAGE_OFFSET;
        if (ExpectedMapped(pa))
        {
            return (null, StepResult.Fail(ErrorKind.PageFault,
                $"CPU{cpu} faulted on {new VirtAddr(va)} (physical {Hex.Of(pa)}, RAM that should be mapped): {Mmu.DescribeWalk(new PhysAddr(pa).Pfn)}"));
        }

        return (null, StepResult.Ok(ulong.MaxValue));
    }

    /// <summary>free_pagetable: the later code frees before it unlinks, so a linked page may be freed here.</summary>
    private StepResult FreePage(Pfn pfn)
    {
        RecordPageChange(pfn);
        Recorder?.AddTo(Resource.Freed);
        freed.Add(pfn.Value);
        Memory.Free(pfn);
        return StepResult.Ok();
    }

    /// <summary>RAM the monitors expect mapped: usable RAM below end and hot-added ranges, minus removed ones.</summary>
    public bool ExpectedMapped(ulong pa)
    {
        Recorder?.Read(Resource.Ranges);
        foreach (var (s, e) in removed)
        {
            if (pa >= s && pa < e)
            {
                return false;
            }
        }

        foreach (var (s, e) in hotAdded)
        {
            if (pa >= s && pa < e)
            {
                return true;
            }
        }

        return pa < End && Globals.E820.IsRamPfn(pa >> PAGE_SHIFT);
    }

    /// <summary>A table page made (zeroed) or freed: its entries, what it is, and the set of table pages change.</summary>
    private void RecordPageChange(Pfn pfn)
    {
        if (Recorder is { } r)
        {
            r.Write(Resource.PageMeta(pfn));
            r.Write(Resource.Page(pfn));

            // Adding or dropping one page commutes with doing so to another: the monitors read the set whole.
            r.AddTo(Resource.TablePageSet);
        }
    }

    private List<EarlyReservation> Reservations()
    {
        var list = new List<EarlyReservation>
        {
            new(0, 0x1000, "BIOS data page"),
            new(StaticTables.TRAMPOLINE_BASE, StaticTables.TRAMPOLINE_BASE + 0x2000, "TRAMPOLINE"),
            new(StaticTables.PHYSICAL_START, StaticTables.PHYSICAL_START + round_up(Config.KernelSize, PAGE_SIZE), "TEXT DATA BSS"),
        };
        if (XenLayout is { } x)
        {
            list.Add(new EarlyReservation(x.PtBase, x.PtEnd, "XEN PAGETABLES"));
        }
        else
        {
            list.Add(new EarlyReservation(Globals.E820.EbdaLowmem(), 0x100000, "BIOS reserved"));
        }

        return list;
    }

    private static string Origin(MachineConfig c) => string.IsNullOrEmpty(c.E820Origin) ? "e820" : c.E820Origin;
}

/// <summary>A machine that cannot be built (a user mistake, not a kernel outcome).</summary>
public sealed class MachineConfigException(string message) : Exception(message);

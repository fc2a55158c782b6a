using System.Numerics;
using System.Runtime.CompilerServices;
using BootActors.Actors.Components;
using BootActors.Actors.Conductor;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Memory;

namespace BootActors.Actors.Exploration;

/// <summary>64-bit hashing (a multiply-rotate mix with a final avalanche): deterministic across processes.</summary>
internal static class Hash64
{
    private const ulong K1 = 0x9E3779B97F4A7C15UL;
    private const ulong K2 = 0xC2B2AE3D27D4EB4FUL;

    public static ulong Mix(ulong h, ulong v) => BitOperations.RotateLeft(h ^ (v * K1), 31) * K2;

    public static ulong Final(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }

    // The same few strings (actor names, message types) are hashed for every delivery of every
    // schedule: a small table by identity keeps their hashes. Bounded; a miss only recomputes.
    private sealed record Memo(string Text, ulong Hash);

    private static readonly Memo?[] Memos = new Memo?[1024];

    public static ulong Of(string s)
    {
        var slot = RuntimeHelpers.GetHashCode(s) & (Memos.Length - 1);
        if (Memos[slot] is { } m && ReferenceEquals(m.Text, s))
        {
            return m.Hash;
        }

        var h = Compute(s);
        Memos[slot] = new Memo(s, h);
        return h;
    }

    private static ulong Compute(string s)
    {
        var h = 0x84222325CBF29CE4UL;
        foreach (var c in s)
        {
            h = Mix(h, c);
        }

        return Final(Mix(h, (ulong)s.Length));
    }
}

/// <summary>
/// Hashes of what decides a run's future, for the state cache and the coverage count: the machine
/// (every table page, the allocator, the locks, the TLBs, Xen's aliases, the counters and ranges),
/// each actor's own state (as the sequence of messages it has been handed: an actor's state is a
/// function of its inputs, and a CPU's program point of the (step, result) pairs it has gone
/// through), and the pending messages. Table pages are rehashed only when a step wrote them, as the
/// access recorder reports. Pages from get_zeroed_page are hashed by label, not by number (symmetry
/// reduction: which number a page gets depends only on the order of allocations, and nothing the
/// kernel or the monitors do depends on the number), so two schedules that differ only in the order
/// two CPUs allocated reach one state.
/// </summary>
internal sealed class StateHasher
{
    private readonly Func<ulong, ulong> canon;
    // An engine's lanes each have a hasher of their own, and their boot is one: its page hashes are computed once.
    private static readonly ConditionalWeakTable<Machine, BootHashes> BootHashesOf = new();
    private Machine? boot;
    private BootHashes? bootHashes;
    private readonly Dictionary<ulong, ulong> changed = new();
    private readonly HashSet<ulong> dirty = new();
    private readonly Dictionary<long, ulong> messages = new();
    private ulong[] actorInputs = [];
    private Machine? machine;
    private ulong tablesSum;
    private ulong small;
    private bool smallDirty;
    private ulong[] tlbHashes = [];
    private bool[] tlbDirty = [];

    /// <param name="canon">Maps a value that names a get_zeroed_page page (a pfn, or an entry linking one) to its label (<see cref="StateProbe.Canon"/>).</param>
    public StateHasher(Func<ulong, ulong> canon) => this.canon = canon;

    /// <summary>Starts a schedule on <paramref name="m"/>, a copy of <paramref name="boot"/> (whose page hashes are computed once).</summary>
    public void Begin(Machine m, Machine boot, int actors)
    {
        if (!ReferenceEquals(this.boot, boot))
        {
            this.boot = boot;
            bootHashes = BootHashesOf.GetValue(boot, ComputeBootHashes);
        }

        machine = m;
        changed.Clear();
        messages.Clear();
        tablesSum = bootHashes!.Sum;
        smallDirty = true;
        if (tlbHashes.Length != m.Tlbs.Length)
        {
            tlbHashes = new ulong[m.Tlbs.Length];
            tlbDirty = new bool[m.Tlbs.Length];
        }

        Array.Fill(tlbDirty, true);
        dirty.Clear();
        if (actorInputs.Length != actors)
        {
            actorInputs = new ulong[actors];
        }

        Array.Clear(actorInputs);
    }

    /// <summary>A delivery to <paramref name="to"/> (an actor that keeps state of its own) from <paramref name="from"/>.</summary>
    public void Delivered(int from, int to, ulong message) =>
        actorInputs[to] = Hash64.Mix(Hash64.Mix(actorInputs[to] + 1, (ulong)from), message);

    /// <summary>The table pages (and whether any other part of the machine) a step changed, from its footprint.</summary>
    public void Wrote(ReadOnlySpan<Access> footprint)
    {
        foreach (var a in footprint)
        {
            if (a.Mode == AccessMode.Read)
            {
                continue;
            }

            switch (Resource.KindOf(a.Resource))
            {
                case ResourceKind.Entry or ResourceKind.Page or ResourceKind.PageMeta:
                    dirty.Add(Resource.PfnOf(a.Resource).Value);
                    break;
                case ResourceKind.Actor:
                    break;
                case ResourceKind.Tlb:
                    // A TLB's entries are rehashed only when it changed (a fill or a flush).
                    tlbDirty[(int)(a.Resource & 0xffffffff)] = true;
                    smallDirty = true;
                    break;
                default:
                    smallDirty = true;
                    break;
            }
        }
    }

    /// <summary>The state now: the machine, every actor's inputs, and the pending messages.</summary>
    public ulong State(IReadOnlyList<PendingMessage> pending, Topology topology, ChoiceMode mode)
    {
        var h = MachineHash();
        for (var i = 0; i < actorInputs.Length; i++)
        {
            h = Hash64.Mix(h, actorInputs[i]);
        }

        return Hash64.Final(Hash64.Mix(h, PendingHash(pending, topology, mode)));
    }

    /// <summary>The machine alone (the tables' pages rehashed where written).</summary>
    public ulong MachineHash()
    {
        var m = machine ?? throw new InvalidOperationException("no schedule begun");
        foreach (var pfn in dirty)
        {
            // The sum over pages is kept: take the page's old hash out, put its new one in (0: no page).
            tablesSum -= changed.TryGetValue(pfn, out var old) ? old : BootHash(pfn);
            var now = m.Memory.Find(new Model.Paging.Pfn(pfn)) is { } page ? PageHash(page) : 0;
            changed[pfn] = now;
            tablesSum += now;
        }

        dirty.Clear();
        if (smallDirty)
        {
            small = SmallState(m, cached: true);
            smallDirty = false;
        }

        return Hash64.Mix(tablesSum, small);
    }

    /// <summary>The machine hashed from scratch (what <see cref="MachineHash"/> must equal).</summary>
    public ulong FullMachineHash(Machine m)
    {
        ulong tables = 0;
        foreach (var page in m.Memory.TablePages)
        {
            tables += PageHash(page);
        }

        return Hash64.Mix(tables, SmallState(m, cached: false));
    }

    /// <summary>The sum of a boot's page hashes, and the hash of each page not held by a run of pages.</summary>
    private sealed record BootHashes(IReadOnlyDictionary<ulong, ulong> Pages, ulong Sum);

    /// <summary>
    /// A boot's page hashes, values as they are: the boot has no page from get_zeroed_page, so none
    /// has a label. A page a run of pages holds (a folded native boot's whole PTE pages, 6.3 million
    /// at 12 TiB) is hashed through the run, neither made (that would take it out of the run for
    /// good) nor kept: <see cref="BootHash"/> hashes it again when a schedule writes it.
    /// </summary>
    private static BootHashes ComputeBootHashes(Machine boot)
    {
        var pages = new Dictionary<ulong, ulong>();
        ulong sum = 0;
        foreach (var header in boot.Memory.TablePageHeaders)
        {
            var h = BootPageHash(boot.Memory, header.Pfn.Value, out var held);
            if (!held)
            {
                pages[header.Pfn.Value] = h;
            }

            sum += h;
        }

        return new BootHashes(pages, sum);
    }

    /// <summary>The hash of the boot's page at <paramref name="pfn"/>, values as they are (0: none); <paramref name="held"/>: a run of pages holds it.</summary>
    private static ulong BootPageHash(PhysicalMemory memory, ulong pfn, out bool held)
    {
        var frame = new Model.Paging.Pfn(pfn);
        var run = memory.PteRunOf(frame);
        held = run is not null;
        return run is not null ? RunPageHash(run, pfn)
            : memory.Find(frame) is { } page ? PageHash(page, v => v)
            : 0;
    }

    /// <summary>The hash the boot's page at <paramref name="pfn"/> had in <see cref="Begin"/> (0: the boot had none).</summary>
    private ulong BootHash(ulong pfn)
    {
        // Not kept: held by a run in the boot; or, if something has made it since, that page (its contents unchanged).
        return bootHashes!.Pages.TryGetValue(pfn, out var h) ? h : BootPageHash(boot!.Memory, pfn, out _);
    }

    /// <summary>
    /// <see cref="PageHash(TablePage, Func{ulong, ulong})"/> of the page <paramref name="run"/> holds at
    /// <paramref name="pfn"/>, as <see cref="PtePageRun.Materialise"/> would make it, values as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // millions of pages, once: no tier-0 pass
    private static ulong RunPageHash(PtePageRun run, ulong pfn)
    {
        var h = Hash64.Mix(Hash64.Mix(pfn, (ulong)Model.Paging.Level.Pte), (ulong)TablePageOrigin.Boot);
        var parent = run.ParentOf(pfn);
        h = Hash64.Mix(h, Hash64.Mix(parent.Table.Value, (ulong)parent.Index));
        var leaf = run.FirstLeafOf(pfn);
        for (var i = 0; i < Model.Paging.X86.PTRS_PER_PTE; i++)
        {
            h = Hash64.Mix(h, Hash64.Mix((ulong)i, leaf + ((ulong)i * Model.Paging.X86.PAGE_SIZE)));
        }

        return Hash64.Final(h);
    }

    private ulong PageHash(TablePage page) => PageHash(page, canon);

    private static ulong PageHash(TablePage page, Func<ulong, ulong> canon)
    {
        var h = Hash64.Mix(Hash64.Mix(canon(page.Pfn.Value), (ulong)page.Level), (ulong)page.Origin);
        h = Hash64.Mix(h, page.Parent is { } p ? Hash64.Mix(canon(p.Table.Value), (ulong)p.Index) : ulong.MaxValue);
        // NonZero, not Entries: materialising would take every page of the booted snapshot out of its
        // run for good, and every schedule's copy would then copy and walk 512 entries a page.
        foreach (var (i, v) in page.NonZero())
        {
            h = Hash64.Mix(h, Hash64.Mix((ulong)i, canon(v)));
        }

        return Hash64.Final(h);
    }

    /// <summary>Everything but the table pages; Xen's hypercall counts and the trace positions are statistics, left out.</summary>
    /// <param name="cached">Reuse the hash of each TLB that has not changed since it was last hashed.</param>
    private ulong SmallState(Machine m, bool cached)
    {
        var a = m.Allocator.Snapshot();
        var h = Hash64.Mix(Hash64.Mix(Hash64.Mix(a.TableStart, a.TableEnd), a.TableTop), a.NextDynamic);
        foreach (var p in a.Aliases)
        {
            h = Hash64.Mix(h, p.Value);
        }

        foreach (var n in a.HandedOut)
        {
            h = Hash64.Mix(h, (ulong)n);
        }

        h = LockHash(LockHash(h, m.Lock), m.HotplugMutex);
        for (var i = 0; i < m.Tlbs.Length; i++)
        {
            if (!cached)
            {
                h = Hash64.Mix(h, TlbHash(m.Tlbs[i]));
                continue;
            }

            if (tlbDirty[i])
            {
                tlbHashes[i] = TlbHash(m.Tlbs[i]);
                tlbDirty[i] = false;
            }

            h = Hash64.Mix(h, tlbHashes[i]);
        }

        if (m.Xen is { } xen)
        {
            ulong aliases = 0;
            foreach (var p in xen.WritableAliases)
            {
                aliases += Hash64.Final(p);
            }

            h = Hash64.Mix(h, aliases);
        }

        foreach (var c in m.DirectPagesCount)
        {
            h = Hash64.Mix(h, c);
        }

        // The ranges as sets: the monitors never depend on the order they were declared in.
        ulong ranges = 0;
        foreach (var (s, e) in m.HotAdded)
        {
            ranges += Hash64.Final(Hash64.Mix(Hash64.Mix(1, s), e));
        }

        foreach (var (s, e) in m.Removed)
        {
            ranges += Hash64.Final(Hash64.Mix(Hash64.Mix(2, s), e));
        }

        h = Hash64.Mix(h, ranges);

        ulong freed = 0;
        foreach (var f in m.Freed)
        {
            freed += Hash64.Final(canon(f));
        }

        return Hash64.Mix(Hash64.Mix(Hash64.Mix(h, freed), (ulong)m.Level1IdentUsed), m.Globals.after_bootmem ? 1UL : 0);
    }

    private static ulong LockHash(ulong h, InitMmLock lk)
    {
        h = Hash64.Mix(h, lk.Owner is { } o ? (ulong)o : ulong.MaxValue);
        foreach (var w in lk.Waiters)
        {
            h = Hash64.Mix(h, (ulong)w);
        }

        return h;
    }

    /// <summary>A TLB's entries as a set (a sum, so their order does not matter).</summary>
    private ulong TlbHash(Tlb tlb)
    {
        ulong entries = 0;
        foreach (var e in tlb.Entries)
        {
            entries += TlbEntryHash(e, canon);
        }

        return entries;
    }

    private static ulong TlbEntryHash(TlbEntry e, Func<ulong, ulong> canon)
    {
        var h = Hash64.Mix(Hash64.Mix(Hash64.Mix(e.VirtPage, e.Frame.Value), (ulong)e.PageLevel), e.Flags);
        for (var i = 0; i < e.Sources.Length; i++)
        {
            h = Hash64.Mix(Hash64.Mix(Hash64.Mix(h, canon(e.Sources[i].Table.Value)), (ulong)e.Sources[i].Index), canon(e.SourceValues[i]));
        }

        return Hash64.Final(h);
    }

    /// <summary>
    /// The pending messages, as a set of per-pair queues (the global order of sending does not
    /// decide what can happen next); in CPU mode also each message's rank among its CPU's.
    /// </summary>
    private ulong PendingHash(IReadOnlyList<PendingMessage> pending, Topology topology, ChoiceMode mode)
    {
        ulong sum = 0;
        for (var i = 0; i < pending.Count; i++)
        {
            var p = pending[i];
            int rank = 0, cpuRank = 0;
            var cpu = ChoiceView.CpuOf(p, topology);
            for (var j = 0; j < i; j++)
            {
                if (pending[j].From == p.From && pending[j].To == p.To)
                {
                    rank++;
                }

                if (mode == ChoiceMode.Cpu && ChoiceView.CpuOf(pending[j], topology) == cpu)
                {
                    cpuRank++;
                }
            }

            if (!messages.TryGetValue(p.Id, out var content))
            {
                messages[p.Id] = content = Message(p.Message, canon);
            }

            var h = Hash64.Mix(Hash64.Mix(Hash64.Mix((ulong)p.From, (ulong)p.To), (ulong)rank), (ulong)cpuRank);
            sum += Hash64.Final(Hash64.Mix(h, content));
        }

        return sum;
    }

    /// <summary>A message's content: its type, the CPU it serves, its step and result and what else it carries; <paramref name="canon"/> labels get_zeroed_page pages.</summary>
    public static ulong Message(ModelMessage m, Func<ulong, ulong> canon)
    {
        var h = Hash64.Mix(Hash64.Of(m.TypeName), (ulong)(m.Tag.Cpu + 1));
        switch (m)
        {
            case Cpu.RunProgram run:
                return Hash64.Final(Hash64.Mix(h, Hash64.Of(run.Label)));
            case StepRequest r:
                h = Forwarded(Effect(h, r.Step, canon), r.ForwardedBy, r.Step);
                return Hash64.Final(Data(h, r.Input, canon));
            case StepReply rep:
                h = Forwarded(Result(Effect(h, rep.Step, canon), rep.Result, canon), rep.ForwardedBy, rep.Step);
                return Hash64.Final(Data(h, rep.Data, canon));
        }

        // A message type this hasher does not know: its trace fields (all it says about itself).
        var fields = new Dictionary<string, string>();
        m.Fields(fields);
        foreach (var kv in fields.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            h = Hash64.Mix(Hash64.Mix(h, Hash64.Of(kv.Key)), Hash64.Of(kv.Value));
        }

        return Hash64.Final(h);
    }

    /// <summary>Which stage's owner forwarded the part (its completion waits for this message), by name.</summary>
    private static ulong Forwarded(ulong h, Stage? by, in Effect step) => by is null ? h : Hash64.Mix(h, Hash64.Of(by.RequestName(step)));

    /// <summary>What a stage's part carries on: a PTE made read-only, where a fill stops, Xen's refusal, a walk's result.</summary>
    private static ulong Data(ulong h, StageData? d, Func<ulong, ulong> canon)
    {
        if (d is null)
        {
            return h;
        }

        h = Hash64.Mix(h, 0xda7a);
        if (d.ReadOnly is { } ro)
        {
            h = Hash64.Mix(Hash64.Mix(h, canon(ro.Table.Value)), (ulong)ro.Index);
        }

        h = Hash64.Mix(h, d.StopAt is { } stop ? (ulong)stop : ulong.MaxValue);
        if (d.Refusal is { } refusal)
        {
            h = Hash64.Mix(h, Hash64.Of(refusal));
        }

        return d.Walked is { } e ? Hash64.Mix(h, TlbEntryHash(e, canon)) : h;
    }

    private static ulong Effect(ulong h, in Effect e, Func<ulong, ulong> canon)
    {
        h = Hash64.Mix(h, (ulong)e.Kind | ((ulong)e.Fn << 8) | ((ulong)e.Level << 16) | ((ulong)(ushort)e.Index << 24));
        h = Hash64.Mix(Hash64.Mix(Hash64.Mix(h, canon(e.Table.Value)), canon(e.Value)), e.Arg);
        return e.Payload switch
        {
            null => h,
            string s => Hash64.Mix(h, Hash64.Of(s)),
            FatalEvent f => Hash64.Mix(Hash64.Mix(h, (ulong)f.Kind), Hash64.Of(f.Message)),
            var o => Hash64.Mix(h, Hash64.Of(o.ToString() ?? o.GetType().Name)),
        };
    }

    private static ulong Result(ulong h, in StepResult r, Func<ulong, ulong> canon)
    {
        h = Hash64.Mix(Hash64.Mix(h, canon(r.Value)), r.Blocked ? 1UL : 0);
        return r.Fatal is { } f ? Hash64.Mix(Hash64.Mix(h, (ulong)f.Kind + 1), Hash64.Of(f.Message)) : h;
    }
}

using BootActors.Actors.Exploration;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model.Machine;
using BootActors.Model.Memory;
using BootActors.Model.Paging;

namespace BootActors.Actors.TraceTools;

/// <summary>
/// Entries one delivery changed: <see cref="Count"/> consecutive entries of a table from
/// <see cref="Index"/>, the k-th set to <see cref="Value"/> + k × <see cref="Stride"/> (a fill is one
/// run), each having held <see cref="Before"/> (a run only groups entries that were empty).
/// </summary>
public sealed record EntryWrite(long Seq, ulong Table, Level Level, int Index, int Count, ulong Value, ulong Stride, ulong Before)
{
    /// <summary>A present entry replaced by a different present one.</summary>
    public bool OverwrotePresent => new PageTableEntry(Before).Present && new PageTableEntry(Value).Present && Before != Value;
}

/// <summary>A CPU's TLB as it stood after delivery <see cref="Seq"/> (kept only when it changed).</summary>
public sealed record TlbVersion(long Seq, int Cpu, IReadOnlyList<TlbEntry> Entries, long Flushes);

/// <summary>A table page as it stood before the first delivery: its level and non-zero entries.</summary>
public sealed record InitialPage(ulong Pfn, Level Level, IReadOnlyList<(int Index, ulong Value)> Entries);

/// <summary>
/// The page tables and TLBs through a whole trace, for the viewer: the tables before the first
/// delivery and every entry each delivery changed, the TLBs whenever they changed, and the
/// violation's story. Made by re-running the trace's run on the actor host, checked against the
/// trace delivery by delivery (as <c>trace pt</c> does), with the memory's observer attached.
/// </summary>
public sealed class TableHistory
{
    private TableHistory(ulong root, IReadOnlyList<InitialPage> initial, IReadOnlyList<EntryWrite> writes, IReadOnlyList<TlbVersion> tlbs, int cpus,
        IReadOnlyList<NarrativeLine>? narrative, string how)
    {
        Root = root;
        Initial = initial;
        Writes = writes;
        Tlbs = tlbs;
        Cpus = cpus;
        Narrative = narrative;
        How = how;
    }

    /// <summary>init_level4_pgt's frame.</summary>
    public ulong Root { get; }

    public IReadOnlyList<InitialPage> Initial { get; }

    /// <summary>In delivery order.</summary>
    public IReadOnlyList<EntryWrite> Writes { get; }

    /// <summary>In delivery order; every CPU has a version at seq 0 (before the first delivery).</summary>
    public IReadOnlyList<TlbVersion> Tlbs { get; }

    public int Cpus { get; }

    /// <summary>The violation's story in kernel terms (<see cref="ViolationNarrative"/>), when the run stopped on one.</summary>
    public IReadOnlyList<NarrativeLine>? Narrative { get; }

    /// <summary>How the history was made, for people.</summary>
    public string How { get; }

    public static TableHistory Record(string path, TimeSpan? timeout = null)
    {
        var plan = TraceReplay.Plan(path, null);
        var topology = new Topology(Math.Max(1, plan.Spec.Machine.Cpus), plan.Spec.Machine.Xen);
        var recorder = new Recorder(topology);
        var records = new ListTraceSink(recorder);
        var run = TraceReplay.Rerun(path, plan, records, null, recorder.Attach, timeout);
        recorder.Finish();

        var narrative = run.Result.Stop is { } stop && stop.Fatal.Kind is not (Model.Kernel.ErrorKind.ActorFailed or Model.Kernel.ErrorKind.Timeout)
            ? ViolationNarrative.Lines(stop, records.Records, topology)
            : null;
        var how = plan.Strategy is null
            ? $"re-ran seed {plan.Header.Seed} of {plan.Spec.Name} ({run.Delivered} deliveries) and recorded every entry it changed"
            : $"re-ran {plan.Spec.Name} following the trace's {plan.Recorded.Count} recorded deliveries and recorded every entry it changed";
        return new TableHistory(run.Result.Machine.Memory.Root.Value, recorder.Initial, recorder.Writes, recorder.TlbVersions, topology.Cpus, narrative, how);
    }

    /// <summary>The memory's observer and the run's trace sink at once: both are called on the model's one thread in controlled mode.</summary>
    private sealed class Recorder(Topology topology) : IEntryObserver, ITraceSink
    {
        private readonly List<EntryWrite> writes = new();
        private readonly List<TlbVersion> tlbs = new();
        private TlbVersion[] lastTlb = [];
        private Machine? machine;
        private long current;
        private int lastFrom = -1;
        private int lastTo = -1;

        public List<InitialPage> Initial { get; } = new();

        public IReadOnlyList<EntryWrite> Writes => writes;

        public IReadOnlyList<TlbVersion> TlbVersions => tlbs;

        public void Attach(Machine m)
        {
            machine = m;
            foreach (var page in m.Memory.TablePages.OrderBy(p => p.Pfn.Value))
            {
                var entries = new List<(int, ulong)>();
                foreach (var entry in page.NonZero())
                {
                    entries.Add(entry);
                }

                Initial.Add(new InitialPage(page.Pfn.Value, page.Level, entries));
            }

            lastTlb = m.Tlbs.Select(t => new TlbVersion(0, t.Cpu, t.Entries.ToList(), t.Flushes)).ToArray();
            tlbs.AddRange(lastTlb);
            m.Memory.Observer = this;
        }

        public void EntryChanged(Pfn table, Level level, int index, ulong before, ulong after)
        {
            if (writes.Count > 0)
            {
                var last = writes[^1];
                if (last.Seq == current && last.Table == table.Value && last.Level == level && last.Index + last.Count == index &&
                    before == 0 && last.Before == 0 && !last.OverwrotePresent)
                {
                    var stride = last.Count == 1 ? after - last.Value : last.Stride;
                    if (after == last.Value + (ulong)last.Count * stride)
                    {
                        writes[^1] = last with { Count = last.Count + 1, Stride = stride };
                        return;
                    }
                }
            }

            writes.Add(new EntryWrite(current, table.Value, level, index, 1, after, 0, before));
        }

        public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock)
        {
            // The previous delivery has been handled completely: what it did to a TLB is in place now.
            CheckTlbs();
            current = seq;
            lastFrom = from;
            lastTo = to;
        }

        public void Finish() => CheckTlbs();

        /// <summary>The CPU whose TLB an actor id is, or -1.</summary>
        private int TlbOf(int id) => id >= topology.Tlb(0) && id < topology.Tlb(0) + topology.Cpus ? id - topology.Tlb(0) : -1;

        private void CheckTlbs()
        {
            if (machine is null || lastTo < 0)
            {
                return;
            }

            foreach (var cpu in new[] { TlbOf(lastTo), TlbOf(lastFrom) })
            {
                if (cpu < 0)
                {
                    continue;
                }

                var tlb = machine.Tlbs[cpu];
                var now = tlb.Entries.ToList();
                var was = lastTlb[cpu];
                if (was.Flushes == tlb.Flushes && was.Entries.Count == now.Count && was.Entries.SequenceEqual(now))
                {
                    continue;
                }

                lastTlb[cpu] = new TlbVersion(current, cpu, now, tlb.Flushes);
                tlbs.Add(lastTlb[cpu]);
            }
        }
    }
}

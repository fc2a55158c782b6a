using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// The happens-before order of one schedule's deliveries, by vector clocks (Flanagan &amp; Godefroid,
/// POPL 2005), and its races. The "processes" are the options a strategy chooses among (a
/// sender→receiver pair in delivery mode, whose messages Akka keeps in order; a CPU in CPU mode).
/// Delivery j happens after: the previous delivery of its process; the delivery that sent its message
/// (the host's phase-start messages after everything before them); and every earlier delivery whose
/// footprint conflicts with its own (same resource, not both reads, not both adds; an entry and its
/// table page read or written whole conflict too). An earlier conflicting delivery of another process
/// that does not already happen before j (through the others) is in a race with j.
/// </summary>
internal sealed class HappensBefore
{
    private readonly List<int> process = new();
    private readonly List<int> option = new();
    private readonly List<int[]> clock = new();
    private readonly Dictionary<int, int> processOf = new();
    private readonly List<int> processOption = new();
    private readonly List<int> lastOfProcess = new();
    private readonly Dictionary<ulong, KeyState> keys = new();
    private readonly List<int> candidates = new();
    private readonly Dictionary<int, int[]> barriers = new();

    /// <summary>The races found, as (earlier, later) delivery positions.</summary>
    public List<(int I, int J)> Races { get; } = new();

    public int Count => clock.Count;

    public int OptionOf(int e) => option[e];

    public void Clear()
    {
        process.Clear();
        option.Clear();
        clock.Clear();
        processOf.Clear();
        processOption.Clear();
        lastOfProcess.Clear();
        keys.Clear();
        Races.Clear();
        barriers.Clear();
    }

    /// <summary>
    /// Adds delivery <see cref="Count"/>: its option; the delivery that sent its message, or for a
    /// message the host sent at a phase start after n deliveries, −1 − n (it happens after all n);
    /// and its footprint.
    /// </summary>
    public void Add(int opt, int sender, ReadOnlySpan<Access> footprint)
    {
        var j = clock.Count;
        if (!processOf.TryGetValue(opt, out var p))
        {
            p = processOption.Count;
            processOf[opt] = p;
            processOption.Add(opt);
            lastOfProcess.Add(-1);
        }

        var c = new int[processOption.Count];
        if (lastOfProcess[p] >= 0)
        {
            Join(c, clock[lastOfProcess[p]]);
        }

        Join(c, sender >= 0 ? clock[sender] : Barrier(-1 - sender));

        candidates.Clear();
        foreach (var a in footprint)
        {
            Conflicts(a);
        }

        candidates.Sort();
        for (var n = candidates.Count - 1; n >= 0; n--)
        {
            var i = candidates[n];
            if (n + 1 < candidates.Count && candidates[n + 1] == i)
            {
                continue;
            }

            var pi = process[i];
            if (pi == p)
            {
                continue;
            }

            if (clock[i][pi] > Get(c, pi))
            {
                Races.Add((i, j));
                Join(c, clock[i]);
            }
        }

        c[p] = Get(c, p) + 1;
        process.Add(p);
        option.Add(opt);
        clock.Add(c);
        lastOfProcess[p] = j;
        foreach (var a in footprint)
        {
            Record(a, j, p);
        }
    }

    /// <summary>
    /// A lower bound of the clock of a delivery of process <paramref name="option"/> with these (sure)
    /// uses, made after every delivery so far: it happens after its process's last delivery and after
    /// every earlier delivery it conflicts with.
    /// </summary>
    public int[] AfterPrefix(int option, IReadOnlyList<Access> uses)
    {
        var c = new int[processOption.Count];
        if (processOf.TryGetValue(option, out var p) && lastOfProcess[p] >= 0)
        {
            Join(c, clock[lastOfProcess[p]]);
        }

        candidates.Clear();
        foreach (var a in uses)
        {
            if (keys.ContainsKey(a.Resource) || Resource.KindOf(a.Resource) == ResourceKind.Entry)
            {
                Conflicts(a);
            }
        }

        foreach (var i in candidates)
        {
            Join(c, clock[i]);
        }

        return c;
    }

    /// <summary>Whether delivery <paramref name="a"/> happens before a delivery whose clock is at least <paramref name="c"/>.</summary>
    public bool Before(int a, int[] c) => Get(c, process[a]) >= clock[a][process[a]];

    /// <summary>Whether delivery <paramref name="a"/> happens before (or is) delivery <paramref name="b"/>.</summary>
    public bool Before(int a, int b) => Get(clock[b], process[a]) >= clock[a][process[a]];

    /// <summary>
    /// The initials of v = notdep(i, E).j (Abdulla, Aronis, Jonsson, Sagonas, "Optimal Dynamic Partial
    /// Order Reduction", POPL 2014): the deliveries after i that do not happen after it, then j; an
    /// initial is one of them that nothing before it in v happens before. Each can go first at the
    /// decision point before i, and leads to the reversed race. Returned as positions, j last if it is one.
    /// </summary>
    public List<int> Initials(int i, int j)
    {
        var initials = new List<int>(4);
        for (var k = i + 1; k < j; k++)
        {
            if (!Before(i, k) && !AfterAny(initials, k))
            {
                initials.Add(k);
            }
        }

        if (!AfterAny(initials, j))
        {
            initials.Add(j);
        }

        return initials;
    }

    private bool AfterAny(List<int> initials, int k)
    {
        foreach (var q in initials)
        {
            if (Before(q, k))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The join of the first <paramref name="n"/> deliveries' clocks: what a phase started after them follows.</summary>
    private int[] Barrier(int n)
    {
        if (!barriers.TryGetValue(n, out var b))
        {
            b = new int[processOption.Count];
            for (var e = 0; e < n && e < clock.Count; e++)
            {
                Join(b, clock[e]);
            }

            barriers[n] = b;
        }

        return b;
    }

    private static int Get(int[] c, int p) => p < c.Length ? c[p] : 0;

    private static void Join(int[] into, int[] other)
    {
        var n = Math.Min(into.Length, other.Length);
        for (var q = 0; q < n; q++)
        {
            if (other[q] > into[q])
            {
                into[q] = other[q];
            }
        }
    }

    /// <summary>The earlier deliveries a use of <paramref name="a"/> conflicts with (the latest per process suffices: the rest happen before those).</summary>
    private void Conflicts(Access a)
    {
        var kind = Resource.KindOf(a.Resource);
        var key = State(a.Resource);
        key.Conflicts(a.Mode, candidates);
        if (kind == ResourceKind.Entry)
        {
            var page = State(Resource.PageOfEntry(a.Resource));
            page.WholePageConflicts(a.Mode, candidates);
        }
        else if (kind == ResourceKind.Page)
        {
            key.EntryConflicts(a.Mode, candidates);
        }
    }

    private void Record(Access a, int j, int p)
    {
        var key = State(a.Resource);
        key.Record(a.Mode, j, p);
        if (Resource.KindOf(a.Resource) == ResourceKind.Entry)
        {
            State(Resource.PageOfEntry(a.Resource)).RecordEntry(a.Mode, j, p);
        }
    }

    private KeyState State(ulong resource)
    {
        if (!keys.TryGetValue(resource, out var s))
        {
            keys[resource] = s = new KeyState();
        }

        return s;
    }

    /// <summary>The uses of one resource since its last write; for a table page also the uses of its entries.</summary>
    private sealed class KeyState
    {
        private int lastWrite = -1;
        private List<(int P, int E)>? readers;
        private List<(int P, int E)>? adders;
        private List<(int P, int E)>? entryReaders;
        private List<(int P, int E)>? entryWriters;

        public void Conflicts(AccessMode mode, List<int> into)
        {
            if (lastWrite >= 0)
            {
                into.Add(lastWrite);
            }

            if (mode != AccessMode.Read)
            {
                AddAll(readers, into);
            }

            if (mode != AccessMode.Add)
            {
                AddAll(adders, into);
            }
        }

        /// <summary>An entry of this page is used: the page's whole-page uses conflict (a whole-page read only with a write).</summary>
        public void WholePageConflicts(AccessMode mode, List<int> into)
        {
            if (lastWrite >= 0)
            {
                into.Add(lastWrite);
            }

            if (mode != AccessMode.Read)
            {
                AddAll(readers, into);
            }
        }

        /// <summary>This page is used whole: the uses of its entries since its last whole write conflict.</summary>
        public void EntryConflicts(AccessMode mode, List<int> into)
        {
            AddAll(entryWriters, into);
            if (mode != AccessMode.Read)
            {
                AddAll(entryReaders, into);
            }
        }

        public void Record(AccessMode mode, int e, int p)
        {
            switch (mode)
            {
                case AccessMode.Read:
                    Put(ref readers, p, e);
                    break;
                case AccessMode.Add:
                    Put(ref adders, p, e);
                    break;
                default:
                    lastWrite = e;
                    readers?.Clear();
                    adders?.Clear();
                    entryReaders?.Clear();
                    entryWriters?.Clear();
                    break;
            }
        }

        public void RecordEntry(AccessMode mode, int e, int p)
        {
            if (mode == AccessMode.Read)
            {
                Put(ref entryReaders, p, e);
            }
            else
            {
                Put(ref entryWriters, p, e);
            }
        }

        private static void Put(ref List<(int P, int E)>? list, int p, int e)
        {
            list ??= new List<(int, int)>(2);
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].P == p)
                {
                    list[i] = (p, e);
                    return;
                }
            }

            list.Add((p, e));
        }

        private static void AddAll(List<(int P, int E)>? list, List<int> into)
        {
            if (list is null)
            {
                return;
            }

            foreach (var (_, e) in list)
            {
                into.Add(e);
            }
        }
    }
}

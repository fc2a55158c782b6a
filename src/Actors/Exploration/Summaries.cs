using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// A use of a resource as stateful DPOR's summaries keep it: get_zeroed_page pages by label, an entry
/// as its whole table page. <see cref="Definite"/>: the use was of this resource itself (not of one
/// entry of the page), so a conflict with it is certain, not just possible.
/// </summary>
internal readonly record struct SummaryAccess(ulong Resource, AccessMode Mode, bool Definite)
{
    public bool ConflictsWith(AccessMode other) =>
        !(Mode == AccessMode.Read && other == AccessMode.Read) && !(Mode == AccessMode.Add && other == AccessMode.Add);
}

/// <summary>A delivery of some subtree, as summaries keep it: the CPU it served, its option (process), its uses.</summary>
internal sealed class SummaryEvent : IEquatable<SummaryEvent>
{
    private readonly ulong hash;

    private SummaryEvent(int cpu, int process, SummaryAccess[] accesses)
    {
        Cpu = cpu;
        Process = process;
        Accesses = accesses;
        var h = Hash64.Mix((ulong)(cpu + 1), (ulong)process);
        foreach (var a in accesses)
        {
            h = Hash64.Mix(Hash64.Mix(h, a.Resource), (ulong)a.Mode | (a.Definite ? 8UL : 0));
        }

        hash = Hash64.Final(h);
    }

    public int Cpu { get; }

    public int Process { get; }

    public SummaryAccess[] Accesses { get; }

    public ulong Hash => hash;

    /// <summary>The event of these uses; <paramref name="known"/> keeps one object per distinct event (most deliveries repeat one).</summary>
    public static SummaryEvent Of(int cpu, int process, List<SummaryAccess> accesses, Dictionary<ulong, List<SummaryEvent>> known)
    {
        accesses.Sort((a, b) => a.Resource != b.Resource ? a.Resource.CompareTo(b.Resource) : a.Mode.CompareTo(b.Mode));
        var h = Hash64.Mix((ulong)(cpu + 1), (ulong)process);
        foreach (var a in accesses)
        {
            h = Hash64.Mix(Hash64.Mix(h, a.Resource), (ulong)a.Mode | (a.Definite ? 8UL : 0));
        }

        h = Hash64.Final(h);
        if (!known.TryGetValue(h, out var list))
        {
            known[h] = list = new List<SummaryEvent>(1);
        }

        foreach (var e in list)
        {
            if (e.Cpu == cpu && e.Process == process && e.Accesses.AsSpan().SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(accesses)))
            {
                return e;
            }
        }

        var made = new SummaryEvent(cpu, process, accesses.ToArray());
        list.Add(made);
        return made;
    }

    public bool Equals(SummaryEvent? other) =>
        ReferenceEquals(this, other) || other is not null && other.hash == hash && other.Cpu == Cpu && other.Process == Process && other.Accesses.AsSpan().SequenceEqual(Accesses);

    public override bool Equals(object? obj) => Equals(obj as SummaryEvent);

    public override int GetHashCode() => (int)hash;
}

/// <summary>A closed subtree's summary, shared by every state whose subtree did the same (interned by the state cache).</summary>
internal sealed class Summary
{
    public Summary(SummaryEvent[] events)
    {
        Events = events;
        Set = new HashSet<SummaryEvent>(events);
    }

    public SummaryEvent[] Events { get; }

    public HashSet<SummaryEvent> Set { get; }
}

/// <summary>Stateful DPOR: what an open decision point's subtree has done so far — its own deliveries, and its closed children's summaries.</summary>
internal sealed class NodeSummary
{
    private readonly List<SummaryEvent> own = new(2);
    private readonly List<Summary> children = new(1);

    public void AddOwn(IEnumerable<SummaryEvent> events)
    {
        foreach (var e in events)
        {
            if (!own.Contains(e))
            {
                own.Add(e);
            }
        }
    }

    public void AddChild(Summary summary)
    {
        if (!children.Contains(summary))
        {
            children.Add(summary);
        }
    }

    /// <summary>The union: the one child's summary itself when it already holds everything (the usual case), else a new set in a fixed order.</summary>
    public (Summary? Same, SummaryEvent[]? Union) Close()
    {
        if (children.Count == 1 && own.TrueForAll(children[0].Set.Contains))
        {
            return (children[0], null);
        }

        var all = new HashSet<SummaryEvent>(own);
        foreach (var c in children)
        {
            all.UnionWith(c.Events);
        }

        var sorted = all.ToArray();
        Array.Sort(sorted, (a, b) => a.Hash.CompareTo(b.Hash));
        return (null, sorted);
    }
}

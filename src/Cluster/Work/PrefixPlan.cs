using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;

namespace BootActors.Cluster.Work;

/// <summary>
/// The coordinator's book of a dfs/dpor exploration: prefix units to hand out, the units out and the
/// node holding each, the decision points handed over by splits (<see cref="SharedNodes"/>, which turn
/// DPOR's backtrack points above a unit into new units), and the merged coverage and findings.
/// A unit's result counts once, when it comes back whole from the node that holds it; a split hands
/// off part of a unit without counting anything, so a lost node's units are re-queued as exactly the
/// subtrees it had not handed off (<see cref="Lost"/>) and nothing is counted twice.
/// See docs/exploration-api.md for why the explored set does not depend on order or splitting.
/// </summary>
internal sealed class PrefixPlan : IWorkBook
{
    private readonly Queue<IReadOnlyList<int>> pending = new();
    private readonly Dictionary<long, OutUnit> out_ = new();
    private readonly SharedNodes shared = new();
    private readonly Dictionary<string, PrefixFinding> least = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Units, long Schedules)> perNode = new(StringComparer.Ordinal);
    private readonly bool all;
    private long nextId;
    private bool stopped;

    public PrefixPlan(bool all)
    {
        this.all = all;
        pending.Enqueue([]);
    }

    /// <summary>What the counted units covered.</summary>
    public Coverage Coverage { get; } = new();

    /// <summary>A schedule failed in the host: the exploration ends with it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Some unit stopped before its subtree was done (a finding without --all, the time limit, a failure).</summary>
    public bool Cut => stopped;

    public int Counted => (int)Coverage.Schedules;

    public int Violations => least.Count;

    /// <summary>Nothing queued and nothing out, or stopped: a stopped search ends at once, and units still out are not counted.</summary>
    public bool Finished => stopped || (pending.Count == 0 && out_.Count == 0);

    /// <summary>Units handed out, splits, backtrack points that became units, units re-queued after a loss.</summary>
    public (long Units, long Splits, long FromBacktrack, long Requeued) Counts { get; private set; }

    public int Queued => pending.Count;

    public void Stop() => stopped = true;

    /// <summary>The next unit for <paramref name="node"/>, or null.</summary>
    public PrefixUnit? Next(string node, TimeSpan now)
    {
        if (stopped || pending.Count == 0)
        {
            return null;
        }

        var unit = new PrefixUnit(++nextId, pending.Dequeue());
        out_[unit.Id] = new OutUnit(unit, node, now);
        Counts = Counts with { Units = Counts.Units + 1 };
        return unit;
    }

    /// <summary>Whether <paramref name="node"/> holds no unit (it is idle once its queue drains).</summary>
    public bool Holds(string node) => out_.Values.Any(o => o.Node == node);

    /// <summary>The unit to split for an idle node: the longest-running one not already asked, whose node is not <paramref name="idle"/>.</summary>
    public PrefixUnit? Victim(string idle, TimeSpan now, TimeSpan retry)
    {
        var o = out_.Values
            .Where(u => u.Node != idle && !u.StealAsked && now - u.LastRefused >= retry)
            .OrderBy(u => u.Since)
            .FirstOrDefault();
        if (o is null)
        {
            return null;
        }

        o.StealAsked = true;
        return o.Unit;
    }

    /// <summary>The node holding unit <paramref name="id"/>, if it is out.</summary>
    public string? HolderOf(long id) => out_.TryGetValue(id, out var o) ? o.Node : null;

    /// <summary>A split's answer: the handed-off units are queued and the handed-over points kept. False when the unit is not out with <paramref name="node"/>.</summary>
    public bool Split(string node, PrefixSplit split, TimeSpan now)
    {
        if (!out_.TryGetValue(split.UnitId, out var o) || o.Node != node)
        {
            // A split of a unit given back already: its handed-off units are covered by the re-queued subtrees.
            return false;
        }

        o.StealAsked = false;
        Coverage.States.UnionWith(split.States);
        if (split.Units.Count == 0)
        {
            o.LastRefused = now;
            return true;
        }

        shared.Adopt(split.Nodes);
        o.Handed.Add((split.Nodes, split.Units));
        o.Rest = split.Rest;
        foreach (var u in split.Units)
        {
            pending.Enqueue(u);
        }

        Counts = Counts with { Splits = Counts.Splits + 1 };
        return true;
    }

    /// <summary>DPOR's backtrack points for decision points above a unit: each that makes an option pending becomes a unit.</summary>
    public void Above(string node, PrefixAbove points)
    {
        if (!out_.TryGetValue(points.UnitId, out var o) || o.Node != node)
        {
            // From a unit given back: its re-run reports them again.
            return;
        }

        foreach (var p in points.Points)
        {
            if (shared.Add(p) is { } unit)
            {
                pending.Enqueue(unit.Prefix);
                Counts = Counts with { FromBacktrack = Counts.FromBacktrack + 1 };
            }
        }
    }

    /// <summary>A unit's result; counted only when the unit is out and held by <paramref name="node"/>.</summary>
    public bool Accept(string node, PrefixResult r)
    {
        if (!out_.Remove(r.UnitId, out var o) || o.Node != node)
        {
            if (o is not null)
            {
                out_[r.UnitId] = o;
            }

            return false;
        }

        Coverage.Merge(r.Coverage);
        var share = perNode.GetValueOrDefault(node);
        perNode[node] = (share.Units + 1, share.Schedules + r.Coverage.Schedules);
        foreach (var f in r.Findings)
        {
            if (!least.TryGetValue(f.Key, out var known) || PrefixFinding.Compare(f, known) < 0)
            {
                least[f.Key] = f;
            }
        }

        if (r.Failure is not null)
        {
            Failure ??= r.Failure;
            stopped = true;
        }
        else if (r.Stopped || (!all && r.Findings.Count > 0))
        {
            stopped = true;
        }

        return true;
    }

    /// <summary>
    /// A node is gone: nothing of its units was counted, so each goes back as the subtrees it had not
    /// handed off — the options it had explored at the points it handed over (off its current path)
    /// and the prefix it was going on with.
    /// </summary>
    public int Lost(string node)
    {
        var lost = out_.Values.Where(o => o.Node == node).OrderBy(o => o.Unit.Id).ToList();
        foreach (var o in lost)
        {
            out_.Remove(o.Unit.Id);

            // The points it handed over were created (and counted) by it alone; its re-runs start below them.
            Coverage.ChoicePoints += o.Handed.Sum(h => h.Nodes.Count);
            foreach (var prefix in Remaining(o))
            {
                pending.Enqueue(prefix);
                Counts = Counts with { Requeued = Counts.Requeued + 1 };
            }
        }

        return lost.Count;
    }

    /// <summary>The findings that count, one per kind (its least, as one process picks it), in that order.</summary>
    public IReadOnlyList<PrefixFinding> Findings() => least.Values.OrderBy(f => f, Comparer<PrefixFinding>.Create(PrefixFinding.Compare)).ToList();

    /// <summary>The shared decision points' pruning and preemption-bound counts (once, at the end).</summary>
    public (long Pruned, long CutByBound) Close() => shared.Close();

    public IReadOnlyList<(string Node, int Units, long Schedules)> PerNode() =>
        perNode.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Units, p.Value.Schedules)).ToList();

    internal static IEnumerable<IReadOnlyList<int>> Remaining(OutUnit o)
    {
        var rest = o.Rest;
        foreach (var (nodes, units) in o.Handed)
        {
            var handedOff = units.Select(u => new WorkUnit(u)).ToHashSet();
            foreach (var n in nodes)
            {
                foreach (var option in n.Done)
                {
                    var prefix = n.Path.Append(option).ToArray();
                    if (!handedOff.Contains(new WorkUnit(prefix)) && !IsPrefixOf(prefix, rest))
                    {
                        yield return prefix;
                    }
                }
            }
        }

        yield return rest;
    }

    private static bool IsPrefixOf(IReadOnlyList<int> a, IReadOnlyList<int> b) => a.Count <= b.Count && a.SequenceEqual(b.Take(a.Count));

    internal sealed class OutUnit(PrefixUnit unit, string node, TimeSpan since)
    {
        public PrefixUnit Unit { get; } = unit;

        public string Node { get; } = node;

        public TimeSpan Since { get; } = since;

        public bool StealAsked { get; set; }

        public TimeSpan LastRefused { get; set; } = TimeSpan.MinValue / 2;

        /// <summary>What each split of it handed over: the decision points and the units handed off.</summary>
        public List<(IReadOnlyList<NodeState> Nodes, IReadOnlyList<IReadOnlyList<int>> Units)> Handed { get; } = new();

        /// <summary>The prefix of what it still runs.</summary>
        public IReadOnlyList<int> Rest { get; set; } = unit.Prefix;
    }
}

using System.Diagnostics;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;

namespace BootActors.Cluster.Work;

/// <summary>
/// The coordinator's book of a random or pct exploration: schedules 0 … N−1, handed out as units of
/// consecutive numbers, counted exactly once by number whatever node ran them, in whatever order.
/// Without --all the exploration ends at the lowest-numbered violation, as in one process: every
/// lower number must have been run (and found clean) before it is the answer. A host failure ends it
/// the same way at its number. A unit that comes back short, or whose node is lost, goes back to be
/// handed out again; a result for a unit that is no longer out (its node was given up) is dropped.
/// </summary>
internal sealed class IndexPlan : IWorkBook
{
    private readonly int total;
    private readonly int unitSize;
    private readonly bool all;
    private readonly SortedSet<(int Start, int End)> pending = new();
    private readonly Dictionary<long, (ScheduleRange Unit, int Node)> out_ = new();
    private readonly ScheduleStatus[] status;
    private readonly ulong[] traceHash;
    private readonly ulong[] stateHash;
    private readonly short[] nodeOf;
    private readonly Dictionary<string, NodeFinding> firstOfKey = new(StringComparer.Ordinal);
    private readonly List<string> nodes = new();
    private readonly List<(int Start, UnitCoverage Coverage)> coverage = new();
    private long nextId;
    private int counted;
    private bool stopped;

    public IndexPlan(int total, int unitSize, bool all)
    {
        this.total = total;
        this.unitSize = unitSize;
        this.all = all;
        status = new ScheduleStatus[total];
        traceHash = new ulong[total];
        stateHash = new ulong[total];
        nodeOf = new short[total];
        Array.Fill(nodeOf, (short)-1);
        if (total > 0)
        {
            pending.Add((0, total));
        }
    }

    /// <summary>The number that ends the exploration (the first violation without --all, or the first host failure).</summary>
    public int? Cutoff { get; private set; }

    /// <summary>The host failure at <see cref="Cutoff"/>, if that is what ended it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Schedules counted so far (numbers run and at or below the cutoff).</summary>
    public int Counted => counted;

    public int Violations => firstOfKey.Values.Count(f => Within(f.Schedule));

    /// <summary>Nothing is left to hand out and nothing out is still needed.</summary>
    public bool Finished => !pending.Any(r => Within(r.Start)) && !out_.Values.Any(o => Within(o.Unit.Start));

    public IReadOnlyCollection<ScheduleRange> Out => out_.Values.Select(o => o.Unit).ToList();

    public WorkHints Hints => new(stopped ? -1 : Cutoff,
        firstOfKey.ToDictionary(p => p.Key, p => p.Value.Schedule, StringComparer.Ordinal));

    /// <summary>
    /// The next unit for <paramref name="node"/>: the lowest numbers not yet handed out, or null. Near
    /// the end units shrink (to a quarter of what is left per node, at least one schedule), so that no
    /// node finishes long after the others: <paramref name="nodes"/> is how many are exploring.
    /// </summary>
    public ScheduleRange? Next(string node, int nodes = 1)
    {
        var left = pending.Where(r => Within(r.Start)).Sum(r => (long)Math.Min(r.End, Cutoff is { } cc ? cc + 1 : r.End) - r.Start);
        var size = (int)Math.Clamp(left / (4L * Math.Max(1, nodes)), 1, unitSize);
        if (stopped)
        {
            return null;
        }

        while (pending.Count > 0)
        {
            var first = pending.Min;
            pending.Remove(first);
            var end = Math.Min(first.End, Cutoff is { } c ? Math.Min(first.End, c + 1) : first.End);
            if (first.Start >= end)
            {
                continue;
            }

            var unitEnd = Math.Min(end, first.Start + size);
            if (unitEnd < first.End)
            {
                pending.Add((unitEnd, first.End));
            }

            var unit = new ScheduleRange(nextId++, first.Start, unitEnd - first.Start);
            out_[unit.Id] = (unit, NodeIndex(node));
            return unit;
        }

        return null;
    }

    /// <summary>Takes a node's result. False when it is not counted: the unit is not out (already counted, or given up with its node).</summary>
    public bool Accept(string node, UnitResult r)
    {
        if (!out_.TryGetValue(r.UnitId, out var o) || o.Node != NodeIndex(node))
        {
            return false;
        }

        var unit = o.Unit;
        if (r.Start != unit.Start || r.Ran < 0 || r.Ran > unit.Count || r.Statuses.Count != r.Ran || r.TraceHashes.Count != r.Ran || r.StateHashes.Count != r.Ran)
        {
            throw new InvalidOperationException($"{node}: a result for {unit} that does not fit it (start {r.Start}, {r.Ran} schedules)");
        }

        out_.Remove(r.UnitId);
        coverage.Add((unit.Start, r.Coverage));
        for (var k = 0; k < r.Ran; k++)
        {
            var i = unit.Start + k;
            Debug.Assert(nodeOf[i] < 0, "a schedule number is counted once");
            status[i] = r.Statuses[k];
            traceHash[i] = r.TraceHashes[k];
            stateHash[i] = r.StateHashes[k];
            nodeOf[i] = (short)o.Node;
            if (Within(i))
            {
                counted++;
            }

            if (r.Statuses[k] == ScheduleStatus.HostFailure)
            {
                EndAt(i, r.Failure ?? $"schedule {i} failed in the host");
            }
            else if (r.Statuses[k] == ScheduleStatus.Violation && !all)
            {
                EndAt(i, null);
            }
        }

        foreach (var f in r.Findings)
        {
            if (f.Schedule < unit.Start || f.Schedule >= unit.Start + r.Ran)
            {
                throw new InvalidOperationException($"{node}: a finding at schedule {f.Schedule} outside what {unit} ran");
            }

            if (!firstOfKey.TryGetValue(f.Key, out var known) || f.Schedule < known.Schedule)
            {
                firstOfKey[f.Key] = f;
            }
        }

        // What the unit did not run goes back, as far as it is still needed.
        if (r.Ran < unit.Count && !stopped)
        {
            pending.Add((unit.Start + r.Ran, unit.End));
        }

        return true;
    }

    /// <summary>A node is gone: its units go back to be handed out again. Returns how many schedules that is.</summary>
    public int Lost(string node)
    {
        var n = NodeIndex(node);
        var lost = out_.Where(p => p.Value.Node == n).ToList();
        foreach (var (id, (unit, _)) in lost)
        {
            out_.Remove(id);
            if (!stopped)
            {
                pending.Add((unit.Start, unit.End));
            }
        }

        return lost.Sum(p => p.Value.Unit.Count);
    }

    /// <summary>The time is up: hand out nothing more; units out report what they ran and nothing goes back.</summary>
    public void Stop()
    {
        stopped = true;
        pending.Clear();
    }

    /// <summary>The findings that count, lowest number first (one per kind of violation).</summary>
    public IReadOnlyList<NodeFinding> Findings() =>
        firstOfKey.Values.Where(f => Within(f.Schedule)).OrderBy(f => f.Schedule).ToList();

    public int DistinctTraces => Counted == 0 ? 0 : Indices().Select(i => traceHash[i]).Distinct().Count();

    public int DistinctEndStates => Counted == 0 ? 0 : Indices().Select(i => stateHash[i]).Distinct().Count();

    public int Incomplete => Indices().Count(i => status[i] == ScheduleStatus.Incomplete);

    public int TimedOut => Indices().Count(i => status[i] == ScheduleStatus.TimedOut);

    /// <summary>
    /// The distinct states seen at decision points, the decision points and the steps past the step
    /// bound of the counted schedules. A unit never runs past the cutoff (the violation or failure
    /// that sets it is found by the unit holding that number, which stops there), so whole units merge.
    /// </summary>
    public (int States, long ChoicePoints, long BeyondStepBound) Covered()
    {
        var counted = coverage.Where(c => Within(c.Start)).Select(c => c.Coverage).ToList();
        return (counted.SelectMany(c => c.States).Distinct().Count(), counted.Sum(c => c.ChoicePoints), counted.Sum(c => c.BeyondStepBound));
    }

    /// <summary>Per node: the schedules it ran that count, as ranges of numbers.</summary>
    public IReadOnlyList<(string Node, int Schedules, IReadOnlyList<(int Start, int End)> Ranges)> PerNode()
    {
        var ranges = nodes.Select(_ => new List<(int Start, int End)>()).ToList();
        foreach (var i in Indices())
        {
            var list = ranges[nodeOf[i]];
            if (list.Count > 0 && list[^1].End == i)
            {
                list[^1] = (list[^1].Start, i + 1);
            }
            else
            {
                list.Add((i, i + 1));
            }
        }

        return nodes.Select((name, k) => (name, ranges[k].Sum(r => r.End - r.Start), (IReadOnlyList<(int, int)>)ranges[k])).ToList();
    }

    private IEnumerable<int> Indices()
    {
        var last = Cutoff is { } c ? Math.Min(c + 1, total) : total;
        for (var i = 0; i < last; i++)
        {
            if (nodeOf[i] >= 0)
            {
                yield return i;
            }
        }
    }

    private void EndAt(int i, string? failure)
    {
        if (Cutoff is { } c && c <= i)
        {
            return;
        }

        // Schedules above the new end were counted while it was not known; they no longer are.
        var before = Cutoff ?? total - 1;
        for (var j = i + 1; j <= before && j < total; j++)
        {
            if (nodeOf[j] >= 0)
            {
                counted--;
            }
        }

        Cutoff = i;
        Failure = failure;
    }

    private bool Within(int i) => Cutoff is not { } c || i <= c;

    private int NodeIndex(string node)
    {
        var i = nodes.IndexOf(node);
        if (i >= 0)
        {
            return i;
        }

        nodes.Add(node);
        return nodes.Count - 1;
    }
}

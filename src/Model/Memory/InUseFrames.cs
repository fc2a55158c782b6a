namespace BootActors.Model.Memory;

/// <summary>
/// Frames whose translations must not be lost (model-conventions item 31): usable RAM, hot-added
/// ranges once arch_add_memory started, and page-table pages. Sorted, disjoint physical ranges.
/// </summary>
public sealed class InUseFrames
{
    private readonly List<(ulong Start, ulong End)> ranges;

    public InUseFrames(IEnumerable<(ulong Start, ulong End)> parts)
    {
        var sorted = parts.Where(p => p.End > p.Start).OrderBy(p => p.Start).ToList();
        ranges = new List<(ulong, ulong)>(sorted.Count);
        foreach (var p in sorted)
        {
            if (ranges.Count > 0 && ranges[^1].End >= p.Start)
            {
                var last = ranges[^1];
                ranges[^1] = (last.Start, Math.Max(last.End, p.End));
            }
            else
            {
                ranges.Add(p);
            }
        }
    }

    public IReadOnlyList<(ulong Start, ulong End)> Ranges => ranges;

    public bool Contains(ulong pa)
    {
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (pa < ranges[mid].Start)
            {
                hi = mid - 1;
            }
            else if (pa >= ranges[mid].End)
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The parts of [start, end) that are in use, in order.</summary>
    public IEnumerable<(ulong Start, ulong End)> Intersect(ulong start, ulong end)
    {
        // First range whose end is past start.
        int lo = 0, hi = ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (ranges[mid].End <= start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (var i = lo; i < ranges.Count && ranges[i].Start < end; i++)
        {
            yield return (Math.Max(start, ranges[i].Start), Math.Min(end, ranges[i].End));
        }
    }
}

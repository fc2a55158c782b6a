using System.Collections;

namespace BootActors.Actors.Infrastructure;

/// <summary>
/// The CPU each delivery served, in delivery order, held as runs of one CPU: a boot delivers millions of
/// messages for CPU0 in a row, so a list of one int per delivery (42 million at 4 TiB without PSE) would
/// be most of the actor host's memory. Reading entry i is a binary search over the runs.
/// </summary>
public sealed class InterleavingLog : IReadOnlyList<int>
{
    private int[] cpus = new int[16];
    private long[] ends = new long[16]; // ends[r]: deliveries up to and including run r
    private int runs;

    public int Count => runs == 0 ? 0 : checked((int)ends[runs - 1]);

    public int this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var at = Array.BinarySearch(ends, 0, runs, (long)index + 1);
            return cpus[at >= 0 ? at : ~at];
        }
    }

    public void Add(int cpu)
    {
        if (runs > 0 && cpus[runs - 1] == cpu)
        {
            ends[runs - 1]++;
            return;
        }

        if (runs == cpus.Length)
        {
            Array.Resize(ref cpus, runs * 2);
            Array.Resize(ref ends, runs * 2);
        }

        ends[runs] = runs == 0 ? 1 : ends[runs - 1] + 1;
        cpus[runs++] = cpu;
    }

    /// <summary>
    /// <paramref name="delta"/> more deliveries for <paramref name="cpu"/> at the end, or −delta fewer:
    /// those folded iterations stood for, less those their step took (all for the CPU of the last run).
    /// </summary>
    public void Shift(int cpu, long delta)
    {
        if (delta >= 0)
        {
            for (; delta > 0 && (runs == 0 || cpus[runs - 1] != cpu); delta--)
            {
                Add(cpu);
            }

            if (delta > 0)
            {
                ends[runs - 1] += delta;
            }

            return;
        }

        var first = runs > 1 ? ends[runs - 2] : 0;
        if (runs == 0 || cpus[runs - 1] != cpu || ends[runs - 1] + delta < first)
        {
            throw new InvalidOperationException($"cannot take {-delta} deliveries of CPU{cpu} back from the interleaving's end");
        }

        ends[runs - 1] += delta;
        if (ends[runs - 1] == first)
        {
            runs--;
        }
    }

    public void Clear() => runs = 0;

    /// <summary>The log as it is held: each run's CPU and length, in order.</summary>
    public IEnumerable<(int Cpu, long Count)> Runs
    {
        get
        {
            for (var r = 0; r < runs; r++)
            {
                yield return (cpus[r], ends[r] - (r == 0 ? 0 : ends[r - 1]));
            }
        }
    }

    /// <summary>
    /// The runs of one CPU in <paramref name="cpus"/>, leaving out deliveries of no CPU (the host's,
    /// −1): from the runs themselves when it is a log, so a 42-million-delivery boot is read in one step.
    /// </summary>
    public static IEnumerable<(int Cpu, long Count)> CpuRuns(IReadOnlyList<int> cpus)
    {
        var held = cpus is InterleavingLog log ? log.Runs : cpus.Select(c => (Cpu: c, Count: 1L));
        (int Cpu, long Count) open = (-1, 0);
        foreach (var (cpu, count) in held)
        {
            if (cpu < 0)
            {
                continue;
            }

            if (cpu == open.Cpu)
            {
                open.Count += count;
                continue;
            }

            if (open.Count > 0)
            {
                yield return open;
            }

            open = (cpu, count);
        }

        if (open.Count > 0)
        {
            yield return open;
        }
    }

    /// <summary>A copy that later additions do not change.</summary>
    public InterleavingLog Snapshot()
    {
        var copy = new InterleavingLog { cpus = cpus[..Math.Max(runs, 1)], ends = ends[..Math.Max(runs, 1)], runs = runs };
        return copy;
    }

    public IEnumerator<int> GetEnumerator()
    {
        long i = 0;
        for (var r = 0; r < runs; r++)
        {
            for (; i < ends[r]; i++)
            {
                yield return cpus[r];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

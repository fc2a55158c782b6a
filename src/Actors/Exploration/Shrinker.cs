using BootActors.Actors.Conductor;
using BootActors.Model;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Shrinks a failing schedule, in the spirit of DEMi (Scott et al., NSDI 2016): the schedule is a
/// list of runs (a CPU and how many consecutive deliveries it gets); delta debugging (Zeller's ddmin)
/// removes runs while the same kind of violation still happens, then each remaining run is cut as
/// short as it can be. Removing a run removes a context switch; the non-preemptive default runs what
/// is left. Every candidate is a real schedule run on the actor host.
/// </summary>
internal sealed class Shrinker
{
    private const int MaxTests = 400;

    private readonly Explorer explorer;
    private readonly RunSpec spec;
    private readonly BootSnapshot boot;
    private readonly ErrorKind kind;
    private readonly long maxSteps;
    private int tests;
    private (List<RecordedDelivery> Deliveries, List<int> Cpus, RunStop Stop)? best;

    public Shrinker(Explorer explorer, RunSpec spec, BootSnapshot boot, ErrorKind kind, long maxSteps)
    {
        this.explorer = explorer;
        this.spec = spec;
        this.boot = boot;
        this.kind = kind;
        this.maxSteps = maxSteps;
    }

    public (List<RecordedDelivery>, List<int>, RunStop) Shrink(List<(int Cpu, int Count)> runs, List<RecordedDelivery> deliveries, List<int> cpus, RunStop stop)
    {
        best = (deliveries, cpus, stop);
        if (!Fails(runs))
        {
            // The tolerant replay of the runs does not reproduce it: keep the schedule as found.
            return (deliveries, cpus, stop);
        }

        var current = DeltaDebug(runs);

        // Then shorten each run as far as it still fails (fewer deliveries before a switch).
        for (var i = 0; i < current.Count && tests < MaxTests; i++)
        {
            int lo = 1, hi = current[i].Count;
            while (lo < hi && tests < MaxTests)
            {
                var mid = (lo + hi) / 2;
                var candidate = current.ToList();
                candidate[i] = (candidate[i].Cpu, mid);
                if (Fails(candidate))
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }

            current[i] = (current[i].Cpu, hi);
        }

        Fails(current);
        var b = best!.Value;
        return (b.Deliveries, b.Cpus, b.Stop);
    }

    private List<(int Cpu, int Count)> DeltaDebug(List<(int Cpu, int Count)> runs)
    {
        var n = 2;
        while (runs.Count >= 2 && tests < MaxTests)
        {
            var chunk = (int)Math.Ceiling(runs.Count / (double)n);
            var reduced = false;
            for (var start = 0; start < runs.Count && tests < MaxTests; start += chunk)
            {
                var complement = runs.Take(start).Concat(runs.Skip(start + chunk)).ToList();
                if (complement.Count > 0 && Fails(complement))
                {
                    runs = Merge(complement);
                    n = Math.Max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (!reduced)
            {
                if (n >= runs.Count)
                {
                    break;
                }

                n = Math.Min(runs.Count, n * 2);
            }
        }

        return runs;
    }

    /// <summary>Adjacent runs of one CPU are one run.</summary>
    private static List<(int Cpu, int Count)> Merge(List<(int Cpu, int Count)> runs)
    {
        var merged = new List<(int Cpu, int Count)>();
        foreach (var r in runs)
        {
            if (merged.Count > 0 && merged[^1].Cpu == r.Cpu)
            {
                merged[^1] = (r.Cpu, merged[^1].Count + r.Count);
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    private bool Fails(List<(int Cpu, int Count)> runs)
    {
        tests++;
        var (same, deliveries, cpus, stop) = explorer.TrySkeleton(spec, boot, runs, kind, maxSteps);
        if (!same)
        {
            return false;
        }

        var b = best!.Value;
        var switches = ExplorationStrategy.ContextSwitches(cpus);
        var bestSwitches = ExplorationStrategy.ContextSwitches(b.Cpus);
        if (switches < bestSwitches || (switches == bestSwitches && deliveries.Count < b.Deliveries.Count))
        {
            best = (deliveries, cpus, stop!);
        }

        return true;
    }
}

using BootActors.Actors.Conductor;
using BootActors.Model.Interpreter;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Shrinks a failing schedule, in the spirit of DEMi (Scott et al., NSDI 2016): the schedule is a
/// list of runs (a CPU and how many consecutive deliveries it gets); delta debugging (Zeller's ddmin)
/// removes runs, then each remaining run is cut as short as it can be. Every candidate is a real
/// schedule run on the actor host, tolerantly (a run whose CPU has nothing to deliver ends early,
/// the non-preemptive default finishes), keeping the original's order among one CPU's concurrent
/// deliveries. A candidate counts when it stops with the same violation kind in the same call
/// chain; the result is the one with the fewest deliveries, then the fewest context switches, and
/// never longer than the schedule found.
/// </summary>
internal sealed class Shrinker
{
    private const int MaxTests = 400;

    private readonly ExplorationEngine engine;
    private readonly RunStop target;
    private int tests;
    private List<RecordedDelivery> original = [];
    private List<int> originalCpus = [];
    private (List<RecordedDelivery> Deliveries, List<int> Cpus, RunStop Stop) best;

    public Shrinker(ExplorationEngine engine, RunStop target)
    {
        this.engine = engine;
        this.target = target;
    }

    public (List<RecordedDelivery>, List<int>, RunStop) Shrink(List<RecordedDelivery> deliveries, List<int> cpus)
    {
        original = deliveries;
        originalCpus = cpus;
        best = (deliveries, cpus, target);
        var runs = SkeletonStrategy.RunsOf(cpus);
        if (!Fails(runs))
        {
            // The tolerant replay of the runs does not reproduce it: keep the schedule as found.
            return best;
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

        return best;
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

    /// <summary>Runs a candidate; true when it stops with the target's kind in the target's call chain (and keeps it if it is the best so far).</summary>
    private bool Fails(List<(int Cpu, int Count)> runs)
    {
        tests++;

        // A candidate may run at most as many deliveries as the best so far: a longer one could not win.
        var (deliveries, cpus, stop) = engine.TrySkeleton(runs, original, originalCpus, best.Deliveries.Count);
        if (stop is null || stop.Fatal.Kind != target.Fatal.Kind || stop.CallChain != target.CallChain)
        {
            return false;
        }

        var switches = ExplorationStrategy.ContextSwitches(cpus);
        var bestSwitches = ExplorationStrategy.ContextSwitches(best.Cpus);
        if (deliveries.Count < best.Deliveries.Count || (deliveries.Count == best.Deliveries.Count && switches < bestSwitches))
        {
            best = (deliveries, cpus, stop);
        }

        return true;
    }
}

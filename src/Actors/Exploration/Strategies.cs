namespace BootActors.Actors.Exploration;

/// <summary>
/// Seeded uniform random choice among the enabled CPUs at every step (Coyote's "random"); schedule
/// i of an exploration uses a generator seeded from (seed, i), so any schedule can be re-made alone.
/// </summary>
public sealed class RandomWalkStrategy : ExplorationStrategy
{
    private readonly long seed;
    private Random random = new(0);

    public RandomWalkStrategy(long seed) => this.seed = seed;

    public override string Name => "random";

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        random = new Random(SeedFor(seed, iteration));
    }

    protected override int ChooseCpu(CpuView view) => view.Enabled[random.Next(view.Enabled.Count)];

    /// <summary>A 32-bit seed mixing the exploration seed and the schedule number (SplitMix64's finaliser).</summary>
    public static int SeedFor(long seed, int iteration)
    {
        var z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(iteration + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }
}

/// <summary>
/// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized
/// Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): each CPU gets a random
/// distinct priority ≥ d; d − 1 random change points in [1, k] each lower the running CPU's priority
/// to i (1 … d − 1); at every step the highest-priority enabled CPU runs. A bug of depth d is found
/// with probability at least 1/(n·k^(d−1)) per schedule. k is the longest schedule seen so far.
/// </summary>
public sealed class PctStrategy : ExplorationStrategy
{
    private readonly long seed;
    private readonly int depth;
    private readonly Dictionary<int, int> priority = new();
    private readonly Dictionary<int, int> changePoints = new();
    private Random random = new(0);
    private int k;

    public PctStrategy(long seed, int depth, int initialLength = 200)
    {
        if (depth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "the PCT bug depth d must be at least 1");
        }

        this.seed = seed;
        this.depth = depth;
        k = Math.Max(1, initialLength);
    }

    public override string Name => "pct";

    public int Depth => depth;

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        random = new Random(RandomWalkStrategy.SeedFor(seed, iteration));
        priority.Clear();
        changePoints.Clear();
        for (var i = 1; i < depth; i++)
        {
            int step;
            do
            {
                step = random.Next(1, k + 1);
            }
            while (changePoints.ContainsKey(step));

            changePoints[step] = i;
        }
    }

    public override void EndSchedule(bool violation) => k = Math.Max(k, Step);

    protected override int ChooseCpu(CpuView view)
    {
        if (changePoints.TryGetValue(Step, out var low) && LastCpu >= -1 && priority.ContainsKey(LastCpu))
        {
            priority[LastCpu] = low;
        }

        var best = int.MinValue;
        var chosen = view.Enabled[0];
        foreach (var cpu in view.Enabled)
        {
            if (!priority.TryGetValue(cpu, out var p))
            {
                // First sight of this CPU: a random priority above every change-point priority.
                p = depth + random.Next(1 << 20);
                while (priority.ContainsValue(p))
                {
                    p++;
                }

                priority[cpu] = p;
            }

            if (p > best)
            {
                best = p;
                chosen = cpu;
            }
        }

        return chosen;
    }
}

/// <summary>
/// Replays a schedule given as runs of consecutive deliveries per CPU ("CPU1 for 12, then CPU2 for
/// 30, …"), tolerantly: a run whose CPU has nothing pending is cut short, and after the last run the
/// non-preemptive default continues. Shrinking edits these runs (fewer runs: fewer context switches).
/// </summary>
public sealed class SkeletonStrategy : ExplorationStrategy
{
    private readonly IReadOnlyList<(int Cpu, int Count)> runs;
    private int run;
    private int usedInRun;

    public SkeletonStrategy(IReadOnlyList<(int Cpu, int Count)> runs) => this.runs = runs;

    public override string Name => "skeleton";

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        run = 0;
        usedInRun = 0;
    }

    protected override int ChooseCpu(CpuView view)
    {
        while (run < runs.Count)
        {
            var (cpu, count) = runs[run];
            if (usedInRun < count && view.Enabled.Contains(cpu))
            {
                return cpu;
            }

            run++;
            usedInRun = 0;
        }

        return Continue(view);
    }

    protected override void AfterChoice(CpuView view, int cpu)
    {
        if (run < runs.Count && runs[run].Cpu == cpu)
        {
            usedInRun++;
        }
    }

    /// <summary>The runs of a delivery sequence's CPUs (host messages, CPU -1, join the run they fall in).</summary>
    public static List<(int Cpu, int Count)> RunsOf(IReadOnlyList<int> cpus)
    {
        var runs = new List<(int Cpu, int Count)>();
        foreach (var c in cpus)
        {
            if (runs.Count > 0 && (runs[^1].Cpu == c || c < 0))
            {
                runs[^1] = (runs[^1].Cpu, runs[^1].Count + 1);
            }
            else
            {
                runs.Add((c, 1));
            }
        }

        return runs;
    }
}

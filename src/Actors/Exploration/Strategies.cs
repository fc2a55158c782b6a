using BootActors.Actors.Conductor;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Seeded uniform random choice among the open choices at every step (Coyote's "random"); schedule
/// i of an exploration uses a generator seeded from (seed, i) alone, so schedule i is the same
/// schedule whichever schedules ran before it, on whichever machine.
/// </summary>
public sealed class RandomWalkStrategy : ExplorationStrategy
{
    private readonly long seed;
    private Random random = new(0);

    public RandomWalkStrategy(long seed, ChoiceMode mode = ChoiceMode.Delivery)
        : base(mode) => this.seed = seed;

    public override string Name => "random";

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        random = new Random(SeedFor(seed, iteration));
    }

    protected override int ChooseOption(ChoiceView view) => random.Next(view.Count);

    protected override bool MayBeToldOfForced => true;

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
/// Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010) over the CPUs: each CPU gets
/// a random distinct priority ≥ d; d − 1 random change points in [1, k] each lower the running CPU's
/// priority to i (1 … d − 1); at every step the highest-priority CPU with an open choice runs. A bug
/// of depth d is found with probability at least 1/(n·k^(d−1)) per schedule. k, the schedule length
/// the change points are drawn from, is fixed for the whole exploration (given, or measured once
/// from the non-preemptive schedule), so schedule i depends on (seed, i) alone. In delivery mode a
/// CPU's concurrent deliveries (IPIs, replies) are ordered by random priorities drawn per schedule.
/// </summary>
public sealed class PctStrategy : ExplorationStrategy
{
    private readonly long seed;
    private readonly int depth;
    private readonly int k;
    private readonly Dictionary<int, int> priority = new();
    private readonly Dictionary<int, int> optionPriority = new();
    private readonly Dictionary<int, int> changePoints = new();
    private Random random = new(0);

    /// <param name="seed">The exploration's seed.</param>
    /// <param name="depth">The bug depth d (≥ 1).</param>
    /// <param name="length">k: the schedule length the d − 1 change points are drawn from.</param>
    /// <param name="mode">Delivery (default) or CPU choices.</param>
    public PctStrategy(long seed, int depth, int length, ChoiceMode mode = ChoiceMode.Delivery)
        : base(mode)
    {
        if (depth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "the PCT bug depth d must be at least 1");
        }

        this.seed = seed;
        this.depth = depth;
        k = Math.Max(1, length);
    }

    public override string Name => "pct";

    // Its change points count every delivery (Step), told ones too.
    protected override bool MayBeToldOfForced => true;

    public int Depth => depth;

    /// <summary>k: the change points are drawn from [1, k].</summary>
    public int Length => k;

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        random = new Random(RandomWalkStrategy.SeedFor(seed, iteration));
        priority.Clear();
        optionPriority.Clear();
        changePoints.Clear();
        for (var i = 1; i < depth && i <= k; i++)
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

    protected override int ChooseOption(ChoiceView view)
    {
        if (changePoints.TryGetValue(Step, out var low) && priority.ContainsKey(LastCpu))
        {
            priority[LastCpu] = low;
        }

        var best = int.MinValue;
        var bestOption = int.MinValue;
        var chosen = 0;
        for (var i = 0; i < view.Count; i++)
        {
            var p = PriorityOf(priority, view.Cpu(i), depth);
            var q = PriorityOf(optionPriority, view.Option(i), 0);
            if (p > best || (p == best && q > bestOption))
            {
                best = p;
                bestOption = q;
                chosen = i;
            }
        }

        return chosen;
    }

    /// <summary>First sight of a CPU (or option): a random priority above every change-point priority, distinct from the others.</summary>
    private int PriorityOf(Dictionary<int, int> table, int key, int floor)
    {
        if (table.TryGetValue(key, out var p))
        {
            return p;
        }

        p = floor + random.Next(1 << 20);
        while (table.ContainsValue(p))
        {
            p++;
        }

        table[key] = p;
        return p;
    }
}

/// <summary>
/// Replays a schedule given as runs of consecutive deliveries per CPU ("CPU1 for 12, then CPU2 for
/// 30, …"), tolerantly: a run whose CPU has nothing pending is cut short, and after the last run the
/// non-preemptive default continues. Within a CPU, its concurrent deliveries follow the order they
/// had in <paramref name="original"/> where that order still applies (so a found order of one CPU's
/// IPIs survives shrinking). Shrinking edits these runs (fewer runs: fewer context switches).
/// </summary>
public sealed class SkeletonStrategy : ExplorationStrategy
{
    private readonly IReadOnlyList<(int Cpu, int Count)> runs;
    private readonly Dictionary<int, List<RecordedDelivery>> order = new();
    private readonly Dictionary<int, int> cursor = new();
    private int run;
    private int usedInRun;

    public SkeletonStrategy(IReadOnlyList<(int Cpu, int Count)> runs, IReadOnlyList<RecordedDelivery>? original = null, IReadOnlyList<int>? originalCpus = null)
        : base(ChoiceMode.Delivery)
    {
        this.runs = runs;
        if (original is not null && originalCpus is not null)
        {
            for (var i = 0; i < original.Count && i < originalCpus.Count; i++)
            {
                if (!order.TryGetValue(originalCpus[i], out var list))
                {
                    order[originalCpus[i]] = list = new List<RecordedDelivery>();
                }

                list.Add(original[i]);
            }
        }
    }

    public override string Name => "skeleton";

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        run = 0;
        usedInRun = 0;
        cursor.Clear();
    }

    protected override int ChooseOption(ChoiceView view)
    {
        while (run < runs.Count)
        {
            var (cpu, count) = runs[run];
            if (usedInRun < count && view.OldestOf(cpu) >= 0)
            {
                return Within(view, cpu);
            }

            run++;
            usedInRun = 0;
        }

        var k = Continue(view);
        return Within(view, view.Cpu(k));
    }

    protected override int ChooseForced(ChoiceView view) => 0;

    protected override void AfterChoice(ChoiceView view, int k)
    {
        var cpu = view.Cpu(k);
        if (order.TryGetValue(cpu, out var list))
        {
            var p = view.Message(k);
            var at = cursor.GetValueOrDefault(cpu);
            if (at < list.Count && Matches(list[at], p))
            {
                cursor[cpu] = at + 1;
            }
        }

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

    /// <summary>The choice of <paramref name="cpu"/> its original order delivered next, if open; else its oldest.</summary>
    private int Within(ChoiceView view, int cpu)
    {
        if (order.TryGetValue(cpu, out var list) && cursor.GetValueOrDefault(cpu) is var at && at < list.Count)
        {
            for (var k = 0; k < view.Count; k++)
            {
                if (view.Cpu(k) == cpu && Matches(list[at], view.Message(k)))
                {
                    return k;
                }
            }
        }

        return view.OldestOf(cpu);
    }

    private bool Matches(RecordedDelivery d, in PendingMessage p) =>
        Topology.Names[p.From] == d.From && Topology.Names[p.To] == d.To && p.Message.TypeName == d.Type;
}

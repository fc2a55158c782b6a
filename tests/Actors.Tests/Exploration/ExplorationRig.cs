using BootActors.Actors.Conductor;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;
using BootActors.Actors.Tests.Host;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>Specs and strategies the exploration tests share.</summary>
internal static class ExplorationRig
{
    /// <summary>Two CPUs hot-add one 2 MiB page each into the same empty GiB: the smallest lost update.</summary>
    public const string SmallHotadd = "workload=[{concurrent=[{cpu=1, hotadd={start=8G, size=2M}}, {cpu=2, hotadd={start=8194M, size=2M}}]}]";

    /// <summary>A hot-remove whose global flush (IPIs to three TLBs) runs while the two other CPUs read the range it removes.</summary>
    public static readonly string[] RemoveWhileReading =
    [
        "cpus=3", "flush=global",
        "workload=[{cpu=0, hotadd={start=4G, size=4M}}, {concurrent=[{cpu=1, touch={addr=4G, count=1}}, {cpu=2, touch={addr=4G, count=1}}]}, " +
        "{concurrent=[{cpu=0, hotremove={start=4G, size=4M}}, {cpu=1, touch={addr=4G, count=1}}, {cpu=2, touch={addr=4G, count=1}}]}]",
    ];

    public static RunSpec Spec(string name, params string[] sets)
    {
        var s = Shipped.Load(name, sets);
        return new RunSpec(s.Name, s.Machine, s.Workload);
    }

    public static ExplorationEngine Open(ActorHost host, RunSpec spec, string strategy, ExploreOptions? options = null) =>
        ExplorationEngine.Open(host, spec, (options ?? new ExploreOptions()) with { Strategy = strategy, Shrink = false });
}

/// <summary>
/// Takes the given options step by step (an option id per delivery), then stops and keeps the state
/// it reached; every delivery's footprint is kept. With no options left before the end it picks at
/// random, recording what it picked and what was open.
/// </summary>
internal sealed class ScriptedOptions : ExplorationStrategy, IFootprintSink
{
    private readonly IReadOnlyList<int> script;
    private readonly int stopAt;
    private readonly Random random;

    public ScriptedOptions(IReadOnlyList<int> script, int stopAt = int.MaxValue, int seed = 0)
        : base(ChoiceMode.Delivery)
    {
        this.script = script;
        this.stopAt = stopAt;
        random = new Random(seed);
        Probe = new StateProbe { Sink = this };
    }

    public override string Name => "scripted-options";

    /// <summary>The option taken at each step, and the options open there.</summary>
    public List<(int Taken, int[] Open)> Steps { get; } = new();

    public List<Access[]> Footprints { get; } = new();

    /// <summary>The state when the script stopped (null when the run ended first).</summary>
    public ulong? StateAtStop { get; private set; }

    public bool Diverged { get; private set; }

    public void Start(Machine machine, Machine boot) => Probe!.Start(machine, boot, Topology);

    public void Delivered(int option, int sender, int to, ReadOnlySpan<Access> footprint) => Footprints.Add(footprint.ToArray());

    protected override int ChooseOption(ChoiceView view) => Pick(view);

    protected override int ChooseForced(ChoiceView view) => Pick(view);

    private int Pick(ChoiceView view)
    {
        if (Step >= stopAt)
        {
            StateAtStop = Probe!.State(view);
            return Conductor.IScheduleStrategy.StopRun;
        }

        var open = Enumerable.Range(0, view.Count).Select(view.Option).ToArray();
        int k;
        if (Step < script.Count)
        {
            k = view.Find(script[Step]);
            if (k < 0)
            {
                Diverged = true;
                return Conductor.IScheduleStrategy.StopRun;
            }
        }
        else
        {
            k = random.Next(view.Count);
        }

        Steps.Add((view.Option(k), open));
        return k;
    }
}

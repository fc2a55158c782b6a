using BenchmarkDotNet.Attributes;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 11, goal 1: a 4 TiB native boot without PSE (2.1 million PTE pages, variant fixed) beside
/// the 64 GiB one in the same run, on the sequential interpreter and on the controlled actor host.
/// Each host is a category with the 64 GiB boot as its baseline, so the Ratio column of a 4 TiB row
/// is its time over the 64 GiB boot's (64× the memory; target ≤ 8). Peak memory (target ≤ 1 GiB at
/// 4 TiB) is the memory report's (<c>--memory-report</c>): MemoryDiagnoser counts allocations, not the peak.
/// </summary>
/// <remarks>
/// The folded 4 TiB boots take milliseconds; the step-by-step ones (the "before" of the folding)
/// take seconds (sequential) to minutes (actor host) per operation, so run the class on its own:
/// <c>--filter '*NoPse4TiB*' --job short</c>, or the folded four with <c>'*NoPse4TiB*64GiB' '*NoPse4TiB*4TiB'</c>.
/// </remarks>
[MemoryDiagnoser]
[BenchmarkCategory("2 boot no-PSE 4 TiB")]
public class NoPse4TiBBenchmarks
{
    private ActorHost? host;
    private string? ran;
    private double work;
    private string unit = "";
    private string note = "";

    [GlobalSetup]
    public void Setup() => host = Machines.CreateHost();

    [GlobalCleanup]
    public void Cleanup()
    {
        if (ran is not null)
        {
            Work.Record(typeof(NoPse4TiBBenchmarks), ran, work, unit, note);
        }

        host?.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("sequential")]
    public RunResult Sequential64GiB() => Sequential(Machines.NoPse64GiB, nameof(Sequential64GiB));

    [Benchmark]
    [BenchmarkCategory("sequential")]
    public RunResult Sequential4TiB() => Sequential(Machines.NoPse4TiB, nameof(Sequential4TiB));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("actors")]
    public RunResult ActorHost64GiB() => Actor(Machines.NoPse64GiB, nameof(ActorHost64GiB));

    [Benchmark]
    [BenchmarkCategory("actors")]
    public RunResult ActorHost4TiB() => Actor(Machines.NoPse4TiB, nameof(ActorHost4TiB));

    // The same boots with every phys_pmd_init iteration taken step by step (no folded iterations):
    // the "before" of the folding, measured in the same run.
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("sequential, every step")]
    public RunResult Sequential64GiBEveryStep() => Sequential(Machines.NoPse64GiB with { StepEveryIteration = true }, nameof(Sequential64GiBEveryStep));

    [Benchmark]
    [BenchmarkCategory("sequential, every step")]
    public RunResult Sequential4TiBEveryStep() => Sequential(Machines.NoPse4TiB with { StepEveryIteration = true }, nameof(Sequential4TiBEveryStep));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("actors, every step")]
    public RunResult ActorHost64GiBEveryStep() => Actor(Machines.NoPse64GiB with { StepEveryIteration = true }, nameof(ActorHost64GiBEveryStep));

    [Benchmark]
    [BenchmarkCategory("actors, every step")]
    public RunResult ActorHost4TiBEveryStep() => Actor(Machines.NoPse4TiB with { StepEveryIteration = true }, nameof(ActorHost4TiBEveryStep));

    private RunResult Sequential(MachineConfig machine, string name)
    {
        var r = Machines.ExpectOk(Simulation.Run(machine, WorkloadPlan.BootOnly), name);
        (ran, work, unit, note) = (name, r.Steps, "step", $"ok, {r.Machine.Memory.TablePageCount:#,0} table pages, {r.Machine.IterationsFolded:#,0} iterations folded, {r.Machine.PudIterationsFolded:#,0} GiBs a level up");
        return r;
    }

    /// <summary>Controlled mode (seeded random, seed 0) with the host's own delivery bound, which a 4 TiB boot stays under.</summary>
    private RunResult Actor(MachineConfig machine, string name)
    {
        var r = host!.Run(machine, WorkloadPlan.BootOnly, Machines.Options(host!));
        Machines.ExpectOk(r.Result, name);
        (ran, work, unit, note) = (name, r.Delivered, "delivery", $"ok, {r.Result.Machine.Memory.TablePageCount:#,0} table pages, {r.Result.Machine.IterationsFolded:#,0} iterations folded, {r.Result.Machine.PudIterationsFolded:#,0} GiBs a level up");
        return r.Result;
    }
}

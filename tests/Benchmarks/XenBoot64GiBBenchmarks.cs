using BenchmarkDotNet.Attributes;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Machine;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 4, Speed: the 64 GiB <c>--xen</c> boot (variant fixed; 16.8 million PTEs, every write
/// through the hypervisor) on the actor host, controlled and free, against the sequential
/// interpreter. Target: the controlled actor host within 3× of the sequential interpreter
/// (the Ratio column). The memory target (≤ 1.5× the page tables) is checked by <c>--memory-report</c>, since MemoryDiagnoser counts allocations, not the peak.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("3 boot 64 GiB xen")]
public class XenBoot64GiBBenchmarks : BootBenchmarks
{
    protected override MachineConfig Machine => Machines.Xen64GiB;

    [Benchmark]
    public RunResult ActorHostControlled() => Actor(HostMode.Controlled, nameof(ActorHostControlled));

    /// <summary>Free mode: the actors tell each other directly on the default dispatcher (real interleavings).</summary>
    [Benchmark]
    public RunResult ActorHostFree() => Actor(HostMode.Free, nameof(ActorHostFree));

    // The same boot with every phys_pmd_init iteration taken step by step: the folding's "before", in the same run.
    [Benchmark]
    public RunResult SequentialEveryStep() => SequentialOf(Machine with { StepEveryIteration = true }, nameof(SequentialEveryStep));

    [Benchmark]
    public RunResult ActorHostControlledEveryStep() =>
        ActorOf(Machine with { StepEveryIteration = true }, HostMode.Controlled, nameof(ActorHostControlledEveryStep));
}

using BenchmarkDotNet.Attributes;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Machine;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 4, Speed: the actor host's model steps/s in controlled mode (deliveries/s: every model
/// message passes through the conductor) next to the sequential interpreter's steps/s, on a 4 GiB
/// native boot.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("2 boot 4 GiB native")]
public class Boot4GiBBenchmarks : BootBenchmarks
{
    protected override MachineConfig Machine => Machines.Native4GiB;

    [Benchmark]
    public RunResult ActorHostControlled() => Actor(HostMode.Controlled, nameof(ActorHostControlled));
}

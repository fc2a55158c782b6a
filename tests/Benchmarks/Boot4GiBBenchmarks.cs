using BenchmarkDotNet.Attributes;
using BootActors.Actors.Host;
using BootActors.Model;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 4, Speed: the actor host's model steps/s in controlled mode (deliveries/s: every model
/// message passes through the conductor) next to the sequential interpreter's steps/s, on a 4 GiB
/// native boot.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("2 boot 4 GiB native")]
public class Boot4GiBBenchmarks
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
            Work.Record(typeof(Boot4GiBBenchmarks), ran, work, unit, note);
        }

        host?.Dispose();
    }

    /// <summary>ActorHost.Run, controlled mode, seeded random strategy (seed 0), the one-thread model dispatcher.</summary>
    [Benchmark]
    public RunResult ActorHostControlled()
    {
        var r = host!.Run(Machines.Native4GiB, WorkloadPlan.BootOnly, Machines.Options(host));
        Machines.ExpectOk(r.Result, nameof(ActorHostControlled));
        (ran, work, unit, note) = (nameof(ActorHostControlled), r.Delivered, "delivery", $"ok, {r.Result.Machine.Memory.TablePageCount} table pages");
        return r.Result;
    }

    /// <summary>Simulation.Run: the sequential interpreter, the same machine.</summary>
    [Benchmark(Baseline = true)]
    public RunResult Sequential()
    {
        var r = Machines.ExpectOk(Simulation.Run(Machines.Native4GiB, WorkloadPlan.BootOnly), nameof(Sequential));
        (ran, work, unit, note) = (nameof(Sequential), r.Steps, "step", $"ok, {r.Machine.Memory.TablePageCount} table pages");
        return r;
    }
}

using BenchmarkDotNet.Attributes;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// One boot on the actor host and on the sequential interpreter (the baseline), with the work of
/// the last operation (deliveries or steps) recorded for the Work/op and Work/s columns.
/// </summary>
public abstract class BootBenchmarks
{
    private ActorHost? host;
    private string? ran;
    private double work;
    private string unit = "";
    private string note = "";

    /// <summary>The machine every benchmark of the class boots.</summary>
    protected abstract MachineConfig Machine { get; }

    [GlobalSetup]
    public void Setup() => host = Machines.CreateHost();

    [GlobalCleanup]
    public void Cleanup()
    {
        if (ran is not null)
        {
            Work.Record(BenchmarkClass(), ran, work, unit, note);
        }

        host?.Dispose();
    }

    /// <summary>The class that derives from this one: BenchmarkDotNet runs a generated subclass of it, whose name the summary does not know.</summary>
    private Type BenchmarkClass()
    {
        var type = GetType();
        while (type.BaseType != typeof(BootBenchmarks))
        {
            type = type.BaseType!;
        }

        return type;
    }

    /// <summary>Simulation.Run: the sequential interpreter, the same machine.</summary>
    [Benchmark(Baseline = true)]
    public RunResult Sequential() => SequentialOf(Machine, nameof(Sequential));

    /// <summary>Simulation.Run of <paramref name="machine"/>.</summary>
    protected RunResult SequentialOf(MachineConfig machine, string name)
    {
        var r = Machines.ExpectOk(Simulation.Run(machine, WorkloadPlan.BootOnly), name);
        (ran, work, unit, note) = (name, r.Steps, "step", Note(r));
        return r;
    }

    /// <summary>ActorHost.Run in <paramref name="mode"/>; controlled mode uses the seeded random strategy (seed 0) on the one-thread model dispatcher.</summary>
    protected RunResult Actor(HostMode mode, string name) => ActorOf(Machine, mode, name);

    /// <summary>ActorHost.Run of <paramref name="machine"/> in <paramref name="mode"/>.</summary>
    protected RunResult ActorOf(MachineConfig machine, HostMode mode, string name)
    {
        var r = host!.Run(machine, WorkloadPlan.BootOnly, Machines.Options(host, mode));
        Machines.ExpectOk(r.Result, name);
        (ran, work, unit, note) = (name, r.Delivered, "delivery", Note(r.Result));
        return r.Result;
    }

    private static string Note(RunResult r) =>
        $"ok, {r.Machine.Memory.TablePageCount} table pages, {r.Machine.IterationsFolded} iterations folded";
}

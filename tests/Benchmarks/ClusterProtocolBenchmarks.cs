using Akka.Actor;
using BenchmarkDotNet.Attributes;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Serialization;
using BootActors.Cluster.Work;

namespace BootActors.Benchmarks;

/// <summary>
/// The per-message costs of an exploration spread over a cluster (issue 12, docs/cluster.md): a
/// unit's result through the protocol serializer and back (what a worker and the coordinator each pay
/// per unit, besides the network), and the coordinator's book-keeping per unit (hand it out, merge its
/// result). Units of <see cref="UnitSize"/> schedules, as config/cluster.hocon ships.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("6 cluster")]
public class ClusterProtocolBenchmarks
{
    public const int UnitSize = 16;
    private const int Units = 4096;

    private ActorSystem? system;
    private ClusterProtocolSerializer? serializer;
    private Coordinator.UnitDone done = null!;
    private byte[] doneBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        system = ActorSystem.Create("protocol-bench");
        serializer = new ClusterProtocolSerializer((ExtendedActorSystem)system);
        var hashes = Enumerable.Range(0, UnitSize).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL).ToList();
        done = new Coordinator.UnitDone(new UnitResult(1, 0, UnitSize, Enumerable.Repeat(ScheduleStatus.Ok, UnitSize).ToList(), hashes, hashes, [], 0.05));
        doneBytes = serializer.ToBinary(done);
    }

    [GlobalCleanup]
    public void Cleanup() => system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>A clean 16-schedule unit's result, serialized (the worker's side).</summary>
    [Benchmark]
    [Work("message")]
    public byte[] SerializeUnitResult() => serializer!.ToBinary(done);

    /// <summary>The same, read back (the coordinator's side).</summary>
    [Benchmark]
    [Work("message")]
    public object DeserializeUnitResult() => serializer!.FromBinary(doneBytes, "done");

    /// <summary>The coordinator's book per unit as its actor uses it: hand out the lowest numbers with the hints, merge a clean result, check for the end (4096 units, two nodes).</summary>
    [Benchmark(OperationsPerInvoke = Units)]
    [Work("unit")]
    public int BookPerUnit()
    {
        var plan = new IndexPlan(Units * UnitSize, UnitSize, all: false);
        var statuses = Enumerable.Repeat(ScheduleStatus.Ok, UnitSize).ToArray();
        var hashes = new ulong[UnitSize];
        var finished = 0;
        for (var k = 0; k < Units; k++)
        {
            var node = (k & 1) == 0 ? "a" : "b";
            var u = plan.Next(node)!;
            _ = plan.Hints;
            var n = u.Count;
            plan.Accept(node, new UnitResult(u.Id, u.Start, n, statuses[..n], hashes[..n], hashes[..n], [], 0));
            finished += plan.Finished ? 1 : 0;
        }

        return plan.Counted + finished;
    }
}

using Akka.Actor;
using Akka.Configuration;
using BootActors.Actors.Conductor;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Serialization;

namespace BootActors.Cluster.Tests;

/// <summary>
/// Every protocol message goes through the explicit serializer that config/cluster.hocon binds (never
/// Akka's JSON fallback) and comes back equal.
/// </summary>
public sealed class ProtocolTests(ProtocolTests.ClusterSystem fixture) : IClassFixture<ProtocolTests.ClusterSystem>
{
    private readonly ActorSystem system = fixture.System;

    public static TheoryData<string, object> Messages()
    {
        var report = new ViolationReport("overwrote_present_entry", "pud_populate overwrote present pud[8]", 2, "add_memory → phys_pud_init", 17, 177, 90, 77, 2,
            ["CPU1 read pud[8] empty", "CPU2 …"], [new RecordedDelivery("cpu1", "memory", "ReadEntry"), new RecordedDelivery("memory", "cpu1", "EntryRead"), new RecordedDelivery("cpu1", "memory", "ReadEntry")]);
        var result = new UnitResult(9, 32, 3, [ScheduleStatus.Ok, ScheduleStatus.Incomplete, ScheduleStatus.Violation], [1UL, 2UL, ulong.MaxValue], [4UL, 5UL, 6UL],
            [new NodeFinding(34, "OverwrotePresentEntry|add_memory", report), new NodeFinding(33, "x|y", null)], 0.25) { Failure = "schedule 35 failed", Coverage = new UnitCoverage(12, 3, [7UL, 9UL]) };
        var node = new NodeState([3, 1], 41, [1, 3, 4], [0, 1, 1], 1, 0, 1, 2, true, [1, 3], [1, 3], [4]);
        var coverage = new Coverage
        {
            Schedules = 40, Violations = 2, Incomplete = 1, TimedOut = 1, CutByCache = 0, ChoicePoints = 300, BeyondStepBound = 5, RacesBeyondStepBound = 1, ReversalsAtCachedStates = 3,
            Pruned = 250, CutByBound = 12,
        };
        coverage.States.UnionWith([1UL, 5UL, ulong.MaxValue]);
        coverage.EndStates.Add(7UL);
        coverage.Traces.UnionWith([2UL, 3UL]);
        return new TheoryData<string, object>
        {
            { "pasg", new Worker.AssignPrefix(new PrefixUnit(12, [3, 1, 4])) },
            { "steal", new Worker.Steal(12) },
            { "split", new Coordinator.Split(new PrefixSplit(12, [[3, 1, 3], [3, 1, 4]], [node], [3, 1, 1], [9UL, 10UL])) },
            { "split", new Coordinator.Split(new PrefixSplit(12, [], [], [3], [])) },
            { "above", new Coordinator.Above(new PrefixAbove(12, [new BacktrackPoint([3], 4), new BacktrackPoint([], 1)])) },
            { "pdone", new Coordinator.PrefixDone(new PrefixResult(12, coverage, [new PrefixFinding("OverwrotePresentEntry|add_memory", [3, 1, 4], 177, report)], true, 1.5) { Failure = "x" }) },
            { "exp", new Worker.Explore(new ExplorationTerms("hotadd-concurrent", [], "ff00", "dpor", 10, 0, 20000, true, 3, 2, true) { Choice = ChoiceMode.Cpu, PctLength = 40, Timeout = TimeSpan.FromSeconds(3) }) },
            { "reg", new Coordinator.Register("0.1.0+abc") },
            { "res", new Coordinator.Resolved("ab12", null) },
            { "res", new Coordinator.Resolved(null, "no such scenario") },
            { "req", new Coordinator.RequestWork(2) },
            { "done", new Coordinator.UnitDone(result) },
            { "wd", new Coordinator.Withdraw("interrupted") },
            { "exp", new Worker.Explore(new ExplorationTerms("hotadd-concurrent", ["hotplug_mutex=on"], "ff00", "pct", 1000, -5, 20000, true, 3, null, false)) },
            { "ref", new Worker.Refused("another build") },
            { "acc", new Worker.Accepted("127.0.0.1:4053") },
            { "asg", new Worker.Assign(new ScheduleRange(3, 48, 16), new WorkHints(40, new Dictionary<string, int> { ["a|b"] = 7 })) },
            { "cut", new Worker.Cutoff(-1) },
            { "over", new Worker.ExplorationOver("done", true) },
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void EachMessageIsSerializedByTheBoundSerializerAndComesBackTheSame(string manifest, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        Assert.IsType<ClusterProtocolSerializer>(serializer);
        var s = (ClusterProtocolSerializer)serializer;
        Assert.Equal(manifest, s.Manifest(message));

        var back = s.FromBinary(s.ToBinary(message), manifest);
        Assert.Equal(Normal(message), Normal(back));
    }

    [Fact]
    public void ACutShortMessageIsRefusedAsASerializationErrorNotMisread()
    {
        var s = (ClusterProtocolSerializer)system.Serialization.FindSerializerFor(new Coordinator.RequestWork(1));
        var bytes = s.ToBinary(new Worker.Assign(new ScheduleRange(3, 48, 16), WorkHints.None));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => s.FromBinary(bytes[..^3], "asg"));
    }

    /// <summary>One system with the cluster's configuration for the whole class (the serializer keeps no state; each system took seconds to stop).</summary>
    public sealed class ClusterSystem : IDisposable
    {
        public ActorSystem System { get; } = ActorSystem.Create("protocol",
            ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 0").WithFallback(ClusterNode.ClusterHocon()));

        public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    // Records holding lists compare by reference: compare their printed contents instead.
    private static string Normal(object o) => System.Text.Json.JsonSerializer.Serialize(o, o.GetType());
}

using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;
using BootActors.Cluster.Work;

namespace BootActors.Cluster.Tests;

/// <summary>The coordinator's book of numbered schedules: each number counted once, the lowest violation wins, lost work comes back.</summary>
public sealed class IndexPlanTests
{
    [Fact]
    public void ResultsArrivingOutOfOrderAreCountedOnceEachAndCoverEveryNumber()
    {
        var plan = new IndexPlan(40, 16, all: false);
        var units = new List<(string Node, ScheduleRange Unit)>();
        for (var k = 0; plan.Next(k % 2 == 0 ? "a" : "b", 2) is { } u; k++)
        {
            units.Add((k % 2 == 0 ? "a" : "b", u));
        }

        Assert.Equal(Enumerable.Range(0, 40), units.SelectMany(p => Enumerable.Range(p.Unit.Start, p.Unit.Count)));
        units.Reverse();
        foreach (var (node, unit) in units)
        {
            Assert.False(plan.Finished);
            Assert.True(plan.Accept(node, Clean(unit)));
        }

        Assert.False(plan.Accept(units[0].Node, Clean(units[0].Unit)));
        Assert.True(plan.Finished);
        Assert.Equal(40, plan.Counted);
        Assert.Equal(40, plan.PerNode().Sum(n => n.Schedules));
    }

    [Fact]
    public void UnitsAreFullSizedWhileMuchIsLeftAndShrinkTowardsTheEndSoNoNodeLagsBehind()
    {
        var plan = new IndexPlan(1000, 16, all: true);
        var sizes = new List<int>();
        while (plan.Next("a", 4) is { } u)
        {
            sizes.Add(u.Count);
        }

        Assert.Equal(1000, sizes.Sum());
        Assert.All(sizes.Take(46), s => Assert.Equal(16, s));
        Assert.True(sizes.Count > 46 + 16, $"{sizes.Count} units: the last 256 schedules come in smaller ones");
        Assert.Equal(1, sizes[^1]);
        Assert.Equal(sizes.OrderByDescending(s => s), sizes);
    }

    [Fact]
    public void WithoutAllTheLowestNumberedViolationEndsTheExplorationOnlyOnceEveryLowerNumberRan()
    {
        var plan = new IndexPlan(1000, 16, all: false);
        var u0 = plan.Next("a")!;
        var u1 = plan.Next("b")!;
        var u2 = plan.Next("c")!;

        // c finds one at 40 first, then b one at 20: 20 is the answer, and 40 no longer counts.
        Assert.True(plan.Accept("c", Violating(u2, 40)));
        Assert.Equal(40, plan.Cutoff);
        Assert.True(plan.Accept("b", Violating(u1, 20)));
        Assert.Equal(20, plan.Cutoff);
        Assert.False(plan.Finished);
        Assert.Null(plan.Next("c"));

        Assert.True(plan.Accept("a", Clean(u0)));
        Assert.True(plan.Finished);
        Assert.Equal(21, plan.Counted);
        Assert.Equal([20], plan.Findings().Select(f => f.Schedule));
    }

    [Fact]
    public void ALostNodesUnitsAreHandedOutAgainAndItsLateResultIsNotCounted()
    {
        var plan = new IndexPlan(1000, 16, all: true);
        var u0 = plan.Next("a")!;
        var u1 = plan.Next("b")!;
        Assert.Equal(16, plan.Lost("b"));

        var again = plan.Next("a")!;
        Assert.Equal((u1.Start, u1.End), (again.Start, again.End));
        Assert.NotEqual(u1.Id, again.Id);
        Assert.False(plan.Accept("b", Clean(u1)));
        Assert.True(plan.Accept("a", Clean(u0)));
        Assert.True(plan.Accept("a", Clean(again)));
        Assert.Equal(32, plan.Counted);
        Assert.Equal([("a", 32)], plan.PerNode().Where(n => n.Schedules > 0).Select(n => (n.Node, n.Schedules)));
    }

    [Fact]
    public void WhatAUnitDidNotRunGoesBackToBeHandedOut()
    {
        var plan = new IndexPlan(1000, 16, all: true);
        var u = plan.Next("a")!;
        Assert.True(plan.Accept("a", Clean(u) with { Ran = 5, Statuses = Statuses(5), TraceHashes = Hashes(0, 5), StateHashes = Hashes(0, 5) }));
        var rest = plan.Next("b")!;
        Assert.Equal((5, 16), (rest.Start, rest.End));
        Assert.True(plan.Accept("b", Clean(rest)));
        Assert.Equal(16, plan.Counted);
    }

    [Fact]
    public void AHostFailureEndsTheExplorationAtItsNumberWithItsMessage()
    {
        var plan = new IndexPlan(1000, 16, all: true);
        var u0 = plan.Next("a")!;
        var u1 = plan.Next("a")!;
        var statuses = Statuses(3).Append(ScheduleStatus.HostFailure).ToList();
        Assert.True(plan.Accept("a", new UnitResult(u0.Id, 0, 4, statuses, Hashes(0, 4), Hashes(0, 4), [], 0) { Failure = "schedule 3 failed in the host: x" }));
        Assert.True(plan.Finished);
        Assert.Equal(4, plan.Counted);
        Assert.Equal("schedule 3 failed in the host: x", plan.Failure);
        plan.Accept("a", Clean(u1));
        Assert.Equal(4, plan.Counted);
    }

    private static UnitResult Clean(ScheduleRange u) =>
        new(u.Id, u.Start, u.Count, Statuses(u.Count), Hashes(u.Start, u.Count), Hashes(u.Start, u.Count), [], 0.01);

    private static UnitResult Violating(ScheduleRange u, int at)
    {
        var ran = at - u.Start + 1;
        var statuses = Statuses(ran - 1).Append(ScheduleStatus.Violation).ToList();
        var report = new ViolationReport("k", "m", 1, "f", at, 10, 5, 3, 1, ["n"], []);
        return new UnitResult(u.Id, u.Start, ran, statuses, Hashes(u.Start, ran), Hashes(u.Start, ran), [new NodeFinding(at, "k|f", report)], 0.01);
    }

    private static List<ScheduleStatus> Statuses(int n) => Enumerable.Repeat(ScheduleStatus.Ok, n).ToList();

    private static List<ulong> Hashes(int start, int n) => Enumerable.Range(start, n).Select(i => (ulong)i).ToList();
}

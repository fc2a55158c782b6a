using BootActors.Actors.Exploration;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>A decision point's rules: what it explores, in which order, what the preemption bound cuts, and how it counts.</summary>
public sealed class SearchNodeTests
{
    // Options 10 (serving CPU1) and 20 (CPU2); CPU1 ran last, so taking 20 is a preemption.
    private static SearchNode Node(bool dpor, int? bound, int preemptionsBefore = 0) =>
        new(depth: 0, step: 5, options: [10, 20], cpus: [1, 2], defaultOption: 10, lastCpu: 1, preemptionsBefore, dpor, bound);

    [Fact]
    public void DfsExploresEveryOptionDporOnlyItsBacktrackSet()
    {
        var dfs = Node(dpor: false, bound: null);
        var dpor = Node(dpor: true, bound: null);

        Assert.Equal(20, dfs.NextPending());
        Assert.Null(dpor.NextPending());
        Assert.True(dpor.Add(20));
        Assert.Equal(20, dpor.NextPending());
    }

    [Fact]
    public void APreemptionOverTheBoundIsCutAndCountedNotExplored()
    {
        var node = Node(dpor: true, bound: 1, preemptionsBefore: 1);

        Assert.False(node.Add(20));
        Assert.Null(node.NextPending());
        Assert.Equal((0, 1), node.Close());
    }

    [Fact]
    public void AnOptionNeverAskedForIsCountedAsPrunedByDpor() => Assert.Equal((1, 0), Node(dpor: true, bound: null).Close());

    [Fact]
    public void ANodeRebuiltFromItsStateDecidesAlike()
    {
        var node = Node(dpor: true, bound: 2);
        node.Add(20);
        var copy = SearchNode.FromState(node.ToState([7, 3]));

        Assert.Equal(node.NextPending(), copy.NextPending());
        Assert.Equal([7, 3], copy.Path!);
        copy.MarkDone(20);
        Assert.False(copy.Add(20));
    }
}

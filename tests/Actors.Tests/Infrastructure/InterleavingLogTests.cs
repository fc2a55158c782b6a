using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Tests.Infrastructure;

public sealed class InterleavingLogTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(4, 1000)]
    [InlineData(3, 1)]
    public void ReadsBackEveryDeliverysCpuInOrderLikeAList(int cpus, int longestRun)
    {
        var random = new Random(cpus * 31 + longestRun);
        var log = new InterleavingLog();
        var list = new List<int>();
        while (list.Count < 20_000)
        {
            var cpu = random.Next(-1, cpus);
            for (var n = random.Next(1, longestRun + 1); n > 0; n--)
            {
                log.Add(cpu);
                list.Add(cpu);
            }
        }

        Assert.Equal(list.Count, log.Count);
        Assert.Equal(list, log);
        for (var i = 0; i < list.Count; i += 97)
        {
            Assert.Equal(list[i], log[i]);
        }

        Assert.Equal(list[^1], log[list.Count - 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => log[list.Count]);
    }

    [Fact]
    public void ASnapshotKeepsWhatItSawWhileTheLogGoesOnAndIsCleared()
    {
        var log = new InterleavingLog();
        foreach (var cpu in new[] { 0, 0, 1, 1, 1, 0 })
        {
            log.Add(cpu);
        }

        var snapshot = log.Snapshot();
        log.Add(0);
        log.Add(2);
        log.Clear();
        log.Add(3);

        Assert.Equal([0, 0, 1, 1, 1, 0], snapshot);
        Assert.Equal([3], log);
        Assert.Empty(new InterleavingLog().Snapshot());
    }

    [Fact]
    public void ShiftAddsOrTakesBackDeliveriesOfTheLastCpuLikeAList()
    {
        var random = new Random(5);
        var log = new InterleavingLog();
        var list = new List<int>();
        for (var round = 0; round < 2_000; round++)
        {
            var cpu = random.Next(0, 3);
            var n = random.Next(1, 40);
            for (var k = 0; k < n; k++)
            {
                log.Add(cpu);
                list.Add(cpu);
            }

            var delta = random.Next(-n, 200);
            log.Shift(cpu, delta);
            if (delta >= 0)
            {
                list.AddRange(Enumerable.Repeat(cpu, delta));
            }
            else
            {
                list.RemoveRange(list.Count + delta, -delta);
            }
        }

        Assert.Equal(list.Count, log.Count);
        Assert.Equal(list, log);
        log.Add(7);
        Assert.Throws<InvalidOperationException>(() => log.Shift(0, -1));
        Assert.Throws<InvalidOperationException>(() => log.Shift(7, -2));
    }

    [Fact]
    public void CpuRunsReadFromTheLogsRunsAreThoseOfThePlainList()
    {
        var random = new Random(9);
        var log = new InterleavingLog();
        var list = new List<int>();
        for (var i = 0; i < 5_000; i++)
        {
            var cpu = random.Next(-1, 3);
            for (var n = random.Next(1, 6); n > 0; n--)
            {
                log.Add(cpu);
                list.Add(cpu);
            }
        }

        var expected = new List<(int, long)>();
        foreach (var c in list.Where(c => c >= 0))
        {
            if (expected.Count > 0 && expected[^1].Item1 == c)
            {
                expected[^1] = (c, expected[^1].Item2 + 1);
            }
            else
            {
                expected.Add((c, 1));
            }
        }

        Assert.Equal(expected, InterleavingLog.CpuRuns(log));
        Assert.Equal(expected, InterleavingLog.CpuRuns(list));
        Assert.Equal(expected.Count - 1, BootActors.Actors.Exploration.ExplorationStrategy.ContextSwitches(log));
        Assert.Empty(InterleavingLog.CpuRuns(new InterleavingLog()));
    }
}

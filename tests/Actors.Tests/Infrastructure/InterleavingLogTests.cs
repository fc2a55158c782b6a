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
}

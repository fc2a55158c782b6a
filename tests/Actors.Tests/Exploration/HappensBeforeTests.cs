using BootActors.Actors.Exploration;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Actors.Tests.Exploration;

/// <summary>DPOR's happens-before order and races, on hand-made footprints (process = a sender→receiver pair).</summary>
public sealed class HappensBeforeTests
{
    private const int Cpu1ToMemory = 1;
    private const int Cpu2ToMemory = 2;
    private const int MemoryToCpu1 = 3;
    private static readonly Pfn Pmd = new(0x3f0000000);

    private static Access[] Read(params ulong[] r) => r.Select(x => new Access(x, AccessMode.Read)).ToArray();

    private static Access[] Write(params ulong[] r) => r.Select(x => new Access(x, AccessMode.Write)).ToArray();

    [Fact]
    public void TwoDeliveriesToMemoryThatTouchDifferentEntriesAreNotARace()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu1ToMemory, -1, Write(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu2ToMemory, -1, Write(Resource.Entry(Pmd, 9)));

        Assert.Empty(hb.Races);
        Assert.False(hb.Before(0, 1));
    }

    [Fact]
    public void AWriteAndALaterReadOfOneEntryByAnotherCpuAreARaceAndThenOrdered()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu1ToMemory, -1, Write(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu2ToMemory, -1, Read(Resource.Entry(Pmd, 8)));

        Assert.Equal([(0, 1)], hb.Races);
        Assert.True(hb.Before(0, 1));
    }

    [Fact]
    public void TwoReadsAndTwoAddsCommute()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu1ToMemory, -1, Read(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu2ToMemory, -1, Read(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu1ToMemory, -1, [new Access(Resource.Counter(1), AccessMode.Add)]);
        hb.Add(Cpu2ToMemory, -1, [new Access(Resource.Counter(1), AccessMode.Add)]);

        Assert.Empty(hb.Races);
    }

    [Fact]
    public void AnEntryWriteRacesWithAReadOfItsWholePage()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu1ToMemory, -1, Read(Resource.Page(Pmd)));
        hb.Add(Cpu2ToMemory, -1, Write(Resource.Entry(Pmd, 3)));

        Assert.Equal([(0, 1)], hb.Races);
    }

    [Fact]
    public void AReplyHappensAfterTheDeliveryThatSentItSoItDoesNotRaceWithWhatCameBefore()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu2ToMemory, -1, Write(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu1ToMemory, -1, Read(Resource.Entry(Pmd, 8)));
        hb.Add(MemoryToCpu1, 1, Write(Resource.Actor(1), Resource.Entry(Pmd, 8)));

        // 0 → 1 is a race; 0 → 2 is not, since 0 happens before 1, which sent 2's message.
        Assert.Equal([(0, 1)], hb.Races);
        Assert.True(hb.Before(0, 2));
    }

    [Fact]
    public void APhaseStartedByTheHostHappensAfterEverythingBeforeIt()
    {
        var hb = new HappensBefore();
        hb.Add(Cpu1ToMemory, -1, Write(Resource.Entry(Pmd, 8)));
        hb.Add(Cpu2ToMemory, -1 - 1, Write(Resource.Entry(Pmd, 8)));

        Assert.Empty(hb.Races);
        Assert.True(hb.Before(0, 1));
    }

    [Fact]
    public void TheInitialsOfAReversalAreWhatCanGoFirstBeforeTheEarlierDelivery()
    {
        // CPU1 writes pud[8]; CPU2's unrelated delivery; CPU2 reads pud[8]: the reversal can start with
        // CPU2's first delivery (its read comes after it on the same pair), not with the read itself.
        var hb = new HappensBefore();
        var pud = new Pfn(0x202);
        hb.Add(Cpu1ToMemory, -1, Write(Resource.Entry(pud, 8)));
        hb.Add(Cpu2ToMemory, -1, Write(Resource.Allocator));
        hb.Add(Cpu2ToMemory, -1, Read(Resource.Entry(pud, 8)));

        Assert.Equal([(0, 2)], hb.Races);
        Assert.Equal([1], hb.Initials(0, 2));
    }
}

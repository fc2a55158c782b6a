using System.Diagnostics;
using BootActors.Model.E820;
using Xunit;

namespace BootActors.Model.Tests.E820;

public class E820MapTests
{
    private const uint Ram = E820Type.Ram;
    private const uint Reserved = E820Type.Reserved;
    private const uint Acpi = E820Type.Acpi;
    private const uint Nvs = E820Type.Nvs;

    private static E820Map Map(params E820Entry[] raw) => E820Map.FromEntries(raw);

    [Fact]
    public void FromMemorySizeIsOneUsableEntryStartingAtZero()
    {
        var map = E820Map.FromMemorySize(0x80000000);

        Assert.Equal([new E820Entry(0, 0x80000000, Ram)], map.Entries);
        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal(0x80000UL, map.EndOfRamPfn());
    }

    [Fact]
    public void FromMemorySizeKeepsAGivenLabel()
    {
        Assert.Equal("Xen", E820Map.FromMemorySize(0x40000000, "Xen").Label);
    }

    [Fact]
    public void FromMemorySizeOfZeroIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => E820Map.FromMemorySize(0));
    }

    [Fact]
    public void FromEntriesKeepsTheLabel()
    {
        Assert.Equal("user", E820Map.FromEntries([new E820Entry(0, 0x1000, Ram)], "user").Label);
        Assert.Equal("BIOS-e820", E820Map.FromEntries([new E820Entry(0, 0x1000, Ram)]).Label);
    }

    [Fact]
    public void OverlappingEntriesAreSplitAndTheHigherTypeWins()
    {
        // A reserved range in the middle of RAM, and ACPI NVS overlapping the end of RAM.
        var map = Map(
            new E820Entry(0, 0x100000, Ram),
            new E820Entry(0x40000, 0x50000, Reserved),
            new E820Entry(0xf0000, 0x110000, Nvs));

        Assert.Equal(
            [
                new E820Entry(0, 0x40000, Ram),
                new E820Entry(0x40000, 0x50000, Reserved),
                new E820Entry(0x50000, 0xf0000, Ram),
                new E820Entry(0xf0000, 0x110000, Nvs),
            ],
            map.Entries);
    }

    [Fact]
    public void ALowerTypeInsideAHigherOneDisappears()
    {
        var map = Map(
            new E820Entry(0x1000, 0x9000, Acpi),
            new E820Entry(0x2000, 0x3000, Ram),
            new E820Entry(0x4000, 0x5000, Reserved));

        Assert.Equal([new E820Entry(0x1000, 0x9000, Acpi)], map.Entries);
    }

    [Fact]
    public void UnsortedEntriesAreSorted()
    {
        var map = Map(
            new E820Entry(0xfec00000, 0x100000000, Reserved),
            new E820Entry(0x100000, 0x7fff0000, Ram),
            new E820Entry(0, 0x9fc00, Ram),
            new E820Entry(0x7fff0000, 0x80000000, Acpi));

        Assert.Equal(
            [
                new E820Entry(0, 0x9fc00, Ram),
                new E820Entry(0x100000, 0x7fff0000, Ram),
                new E820Entry(0x7fff0000, 0x80000000, Acpi),
                new E820Entry(0xfec00000, 0x100000000, Reserved),
            ],
            map.Entries);
    }

    [Fact]
    public void AdjacentEntriesOfTheSameTypeAreMerged()
    {
        var map = Map(
            new E820Entry(0x200000, 0x300000, Ram),
            new E820Entry(0x100000, 0x200000, Ram),
            new E820Entry(0x300000, 0x400000, Ram),
            new E820Entry(0x400000, 0x500000, Reserved),
            new E820Entry(0x500000, 0x600000, Reserved));

        Assert.Equal(
            [new E820Entry(0x100000, 0x400000, Ram), new E820Entry(0x400000, 0x600000, Reserved)],
            map.Entries);
    }

    [Fact]
    public void PiecesOfTheSameTypeLeftAroundAHigherTypeAreMergedWithTheirNeighbours()
    {
        // RAM [0, 0x3000) then reserved [0x3000, 0x5000) covered in part by RAM [0x2000, 0x4000):
        // the RAM piece [0x2000, 0x3000) joins [0, 0x2000); [0x3000, 0x4000) stays reserved.
        var map = Map(
            new E820Entry(0, 0x3000, Ram),
            new E820Entry(0x3000, 0x5000, Reserved),
            new E820Entry(0x2000, 0x4000, Ram));

        Assert.Equal([new E820Entry(0, 0x3000, Ram), new E820Entry(0x3000, 0x5000, Reserved)], map.Entries);
    }

    [Fact]
    public void EntriesSeparatedByAHoleAreNotMerged()
    {
        var map = Map(new E820Entry(0, 0x1000, Ram), new E820Entry(0x1001, 0x2000, Ram));

        Assert.Equal(2, map.Entries.Count);
    }

    [Fact]
    public void DuplicateAndOverlappingEntriesOfOneTypeBecomeOne()
    {
        var map = Map(
            new E820Entry(0, 0x8000, Ram),
            new E820Entry(0, 0x8000, Ram),
            new E820Entry(0x4000, 0xc000, Ram));

        Assert.Equal([new E820Entry(0, 0xc000, Ram)], map.Entries);
    }

    [Fact]
    public void EmptyEntriesAndTypeZeroEntriesAreDropped()
    {
        var map = Map(
            new E820Entry(0x5000, 0x5000, Reserved),
            new E820Entry(0, 0x4000, Ram),
            new E820Entry(0x2000, 0x9000, 0),
            new E820Entry(0x9000, 0x9000, Ram));

        Assert.Equal([new E820Entry(0, 0x4000, Ram)], map.Entries);
    }

    [Fact]
    public void AnEntryEndingBelowItsStartIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Map(new E820Entry(0x2000, 0x1000, Ram)));
    }

    [Fact]
    public void EntriesReachingTheTopOfTheAddressSpaceAreKept()
    {
        var map = Map(
            new E820Entry(0xfffffffffffff000, ulong.MaxValue, Reserved),
            new E820Entry(0xffffffffffffe000, ulong.MaxValue, Ram));

        Assert.Equal(
            [
                new E820Entry(0xffffffffffffe000, 0xfffffffffffff000, Ram),
                new E820Entry(0xfffffffffffff000, ulong.MaxValue, Reserved),
            ],
            map.Entries);
    }

    [Fact]
    public void TheSanitiserHandlesHundredsOfThousandsOfEntriesQuickly()
    {
        // Interleaved, overlapping entries: a quadratic sanitiser (the kernel's bubble sort)
        // would take hours here.
        const int n = 200_000;
        var raw = new List<E820Entry>(n);
        for (var i = n - 1; i >= 0; i--)
        {
            var start = (ulong)i * 0x2000;
            raw.Add(new E820Entry(start, start + 0x3000, i % 3 == 0 ? Reserved : Ram));
        }

        var watch = Stopwatch.StartNew();
        var map = E820Map.FromEntries(raw);
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal(0UL, map.Entries[0].Start);
        Assert.Equal((ulong)(n - 1) * 0x2000 + 0x3000, map.Entries[^1].End);
        for (var i = 1; i < map.Entries.Count; i++)
        {
            Assert.Equal(map.Entries[i - 1].End, map.Entries[i].Start);
            Assert.NotEqual(map.Entries[i - 1].Type, map.Entries[i].Type);
        }
    }

    [Fact]
    public void EntriesCannotBeChangedThroughTheList()
    {
        var map = E820Map.FromMemorySize(0x1000);

        Assert.False(map.Entries is E820Entry[]);
        Assert.Throws<NotSupportedException>(() => ((IList<E820Entry>)map.Entries)[0] = default);
    }

    [Fact]
    public void EndOfRamIsTheHighestEndOfAUsableEntry()
    {
        var map = Map(
            new E820Entry(0, 0x9fc00, Ram),
            new E820Entry(0x100000, 0x7fff0000, Ram),
            new E820Entry(0x7fff0000, 0x80000000, Acpi));

        Assert.Equal(0x7fff0UL, map.EndOfRamPfn());
    }

    [Fact]
    public void ReservedEntriesAboveTheLastRamPageDoNotCount()
    {
        // kernel-notes §6's sample: 2.6.26 mapped up to 4 GiB because of the reserved entry;
        // e820_end_of_ram in this era stops at the end of RAM.
        var map = Map(
            new E820Entry(0, 0x9fc00, Ram),
            new E820Entry(0x100000, 0x7fff0000, Ram),
            new E820Entry(0x7fff0000, 0x80000000, Acpi),
            new E820Entry(0xfec00000, 0x100000000, Reserved),
            new E820Entry(0x100000000, 0x200000000, Nvs));

        Assert.Equal(0x7fff0UL, map.EndOfRamPfn());
    }

    [Fact]
    public void EndOfRamRoundsTheEndDown()
    {
        var map = Map(new E820Entry(0, 0x9fc00, Ram), new E820Entry(0x100000, 0x40000fff, Ram));

        Assert.Equal(0x40000UL, map.EndOfRamPfn());
    }

    [Fact]
    public void RamEntriesSmallerThanAPageAreSkipped()
    {
        // [0x40000800, 0x40001000) and [0x50000100, 0x50000f00) hold no whole page:
        // e820_find_active_region skips them, so they do not raise the end of RAM.
        var map = Map(
            new E820Entry(0, 0x40000000, Ram),
            new E820Entry(0x40000800, 0x40001000, Ram),
            new E820Entry(0x50000100, 0x50000f00, Ram));

        Assert.Equal(0x40000UL, map.EndOfRamPfn());
    }

    [Fact]
    public void AnUnalignedRamEntrySpanningAPageBoundaryStillHasNoWholePage()
    {
        // [0x40000800, 0x40001800) is 4 KiB long but rounds inward to nothing.
        var map = Map(new E820Entry(0, 0x40000000, Ram), new E820Entry(0x40000800, 0x40001800, Ram));

        Assert.Equal(0x40000UL, map.EndOfRamPfn());
    }

    [Fact]
    public void EndOfRamIsCappedAtMaxArchPfn()
    {
        var map = Map(new E820Entry(0, 0x100000000000000, Ram));

        Assert.Equal(0x3ffffffffUL, map.EndOfRamPfn());
        Assert.Equal(E820Map.MaxArchPfn, map.EndOfRamPfn());
    }

    [Fact]
    public void EndOfRamJustBelowTheCapIsNotCapped()
    {
        var map = Map(new E820Entry(0, 0x3ffffffff000, Ram));

        Assert.Equal(0x3ffffffffUL, map.EndOfRamPfn());
        Assert.Equal(0x3fffffffeUL, Map(new E820Entry(0, 0x3fffffffe000, Ram)).EndOfRamPfn());
    }

    [Fact]
    public void AMapWithoutRamEndsAtZero()
    {
        Assert.Equal(0UL, Map(new E820Entry(0, 0x100000, Reserved), new E820Entry(0x1000000, 0x1000800, Ram)).EndOfRamPfn());
        Assert.Equal(0UL, Map().EndOfRamPfn());
    }

    [Fact]
    public void AnyMappedIsHalfOpen()
    {
        var map = Map(new E820Entry(0x1000, 0x2000, Ram));

        Assert.False(map.AnyMapped(0, 0x1000, 0));
        Assert.True(map.AnyMapped(0, 0x1001, 0));
        Assert.True(map.AnyMapped(0x1fff, 0x3000, 0));
        Assert.False(map.AnyMapped(0x2000, 0x3000, 0));
        Assert.True(map.AnyMapped(0, ulong.MaxValue, 0));
    }

    [Fact]
    public void AnyMappedWithTypeZeroAcceptsAnyType()
    {
        var map = Map(new E820Entry(0, 0x9fc00, Ram), new E820Entry(0xfec00000, 0x100000000, Reserved));

        Assert.True(map.AnyMapped(0xc0000000, 0x100000000, 0));
        Assert.False(map.AnyMapped(0xc0000000, 0x100000000, Ram));
        Assert.True(map.AnyMapped(0xc0000000, 0x100000000, Reserved));
        Assert.False(map.AnyMapped(0x40000000, 0x80000000, 0));
        Assert.False(map.AnyMapped(0x100000000, 0x140000000, 0));
    }

    [Fact]
    public void AnyMappedLooksPastEntriesOfOtherTypes()
    {
        var map = Map(
            new E820Entry(0, 0x1000, Reserved),
            new E820Entry(0x1000, 0x2000, Acpi),
            new E820Entry(0x2000, 0x3000, Ram));

        Assert.True(map.AnyMapped(0, 0x3000, Ram));
        Assert.False(map.AnyMapped(0, 0x2000, Ram));
        Assert.True(map.AnyMapped(0x800, 0x1800, Acpi));
    }

    [Fact]
    public void AnyMappedOnAPudSizedRangeSeesTheHoleAboveRam()
    {
        // phys_pud_init's question for each 1 GiB: e820_any_mapped(addr, addr + 1 GiB, 0).
        var map = E820Map.FromMemorySize(0x40000000);

        Assert.True(map.AnyMapped(0, 0x40000000, 0));
        Assert.False(map.AnyMapped(0x40000000, 0x80000000, 0));
    }

    [Fact]
    public void IsRamPfnIsTrueOnlyForWholePagesOfUsableEntries()
    {
        var map = Map(
            new E820Entry(0, 0x9fc00, Ram),
            new E820Entry(0x9fc00, 0xa0000, Reserved),
            new E820Entry(0x100800, 0x200000, Ram),
            new E820Entry(0x200000, 0x300000, Acpi),
            new E820Entry(0x300000, 0x400000, Ram));

        Assert.True(map.IsRamPfn(0));
        Assert.True(map.IsRamPfn(0x9e));
        Assert.False(map.IsRamPfn(0x9f)); // [0x9f000, 0x9fc00) is only part of a page
        Assert.False(map.IsRamPfn(0xa0));
        Assert.False(map.IsRamPfn(0x100)); // starts at 0x100800: the page is not whole
        Assert.True(map.IsRamPfn(0x101));
        Assert.True(map.IsRamPfn(0x1ff));
        Assert.False(map.IsRamPfn(0x200));
        Assert.False(map.IsRamPfn(0x2ff));
        Assert.True(map.IsRamPfn(0x300));
        Assert.True(map.IsRamPfn(0x3ff));
        Assert.False(map.IsRamPfn(0x400));
        Assert.False(map.IsRamPfn(ulong.MaxValue));
    }

    [Fact]
    public void IsRamPfnWorksOnALargeMap()
    {
        var raw = Enumerable.Range(0, 10_000)
            .Select(i => new E820Entry((ulong)i * 0x10000, (ulong)i * 0x10000 + 0x8000, Ram));
        var map = E820Map.FromEntries(raw);

        Assert.True(map.IsRamPfn(0x1234 * 0x10 + 7));
        Assert.False(map.IsRamPfn(0x1234 * 0x10 + 8));
        Assert.False(map.IsRamPfn(10_000 * 0x10));
    }

    [Theory]
    [InlineData(0x9fc00UL, 0x9fc00UL)] // the usual 639 KiB
    [InlineData(0x9ec00UL, 0x9ec00UL)]
    [InlineData(0x9fbffUL, 0x9f800UL)] // rounded down to 1 KiB
    [InlineData(0xfffffUL, 0xffc00UL)] // still below 1 MiB
    [InlineData(0x100000UL, 0x9f000UL)] // reaches 1 MiB: the kernel's fallback
    [InlineData(0x80000000UL, 0x9f000UL)] // --memory: no low-memory hole
    [InlineData(0x3ffUL, 0x9f000UL)] // rounds down to 0
    [InlineData(0x400UL, 0x400UL)]
    public void EbdaLowmemIsTheEndOfTheRamEntryAtZeroRoundedDownToAKilobyte(ulong ramEnd, ulong expected)
    {
        var map = Map(new E820Entry(0, ramEnd, Ram), new E820Entry(0x80000000, 0x90000000, Ram));

        Assert.Equal(expected, map.EbdaLowmem());
    }

    [Fact]
    public void EbdaLowmemFallsBackWhenNoRamEntryContainsAddressZero()
    {
        Assert.Equal(0x9f000UL, Map(new E820Entry(0x1000, 0x9fc00, Ram)).EbdaLowmem());
        Assert.Equal(0x9f000UL, Map(new E820Entry(0, 0x1000, Reserved), new E820Entry(0x1000, 0x9fc00, Ram)).EbdaLowmem());
        Assert.Equal(0x9f000UL, Map().EbdaLowmem());
    }

    [Fact]
    public void EbdaLowmemUsesTheSanitisedEntry()
    {
        // Two raw RAM entries [0, 0x50000) and [0x50000, 0x9fc00) merge into one ending at 0x9fc00;
        // a reserved entry overlapping the top of low RAM cuts it short.
        Assert.Equal(0x9fc00UL, Map(new E820Entry(0x50000, 0x9fc00, Ram), new E820Entry(0, 0x50000, Ram)).EbdaLowmem());
        Assert.Equal(0x9e000UL, Map(new E820Entry(0, 0x9fc00, Ram), new E820Entry(0x9e000, 0xa0000, Reserved)).EbdaLowmem());
    }

    [Fact]
    public void RamRangesAreTheUsableEntriesRoundedInward()
    {
        var map = Map(
            new E820Entry(0, 0x9fc00, Ram),
            new E820Entry(0x9fc00, 0xa0000, Reserved),
            new E820Entry(0x100800, 0x200000, Ram),
            new E820Entry(0x300100, 0x300f00, Ram),
            new E820Entry(0x400000, 0x500000, Acpi));

        Assert.Equal([(0UL, 0x9f000UL), (0x101000UL, 0x200000UL)], map.RamRanges().ToArray());
    }
}

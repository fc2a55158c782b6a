using BootActors.Model.E820;
using Xunit;

namespace BootActors.Model.Tests.E820;

public class FindE820AreaTests
{
    private const ulong NotFound = ulong.MaxValue;
    private const ulong Page = 0x1000;

    private static readonly EarlyReservation BiosDataPage = new(0, 0x1000, "BIOS data page");
    private static readonly EarlyReservation Trampoline = new(0x6000, 0x8000, "TRAMPOLINE");
    private static readonly EarlyReservation Kernel = new(0x200000, 0xa00000, "TEXT DATA BSS");
    private static readonly EarlyReservation BiosReserved = new(0x9f000, 0x100000, "BIOS reserved");

    private static readonly EarlyReservation[] Native = [BiosDataPage, Trampoline, Kernel, BiosReserved];

    private static E820Map Ram(params (ulong Start, ulong End)[] ranges) =>
        E820Map.FromEntries(ranges.Select(r => new E820Entry(r.Start, r.End, E820Type.Ram)));

    [Fact]
    public void WithNoReservationTheFirstAlignedAddressAtOrAboveStartIsChosen()
    {
        var map = E820Map.FromMemorySize(0x80000000);

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x80000000, 0x3000, Page, []));
    }

    [Fact]
    public void TheNativeBootTablesGoRightAboveTheTrampoline()
    {
        // find_early_table_space: find_e820_area(0x8000, end, tables, PAGE_SIZE) with the
        // reservations of conventions item 11.
        var map = E820Map.FromMemorySize(0x80000000);

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x80000000, 0x3000, Page, Native));
    }

    [Fact]
    public void ACandidateOverlappingReservationsMovesPastEachOfThem()
    {
        var map = E820Map.FromMemorySize(0x80000000);

        // [0x8000, 0x8000 + 0x97001) reaches into "BIOS reserved" at 0x9f000: move to 1 MiB.
        Assert.Equal(0x100000UL, map.FindE820Area(0x8000, 0x80000000, 0x97001, Page, Native));
        // [1 MiB, 2 MiB) is exactly free.
        Assert.Equal(0x100000UL, map.FindE820Area(0x8000, 0x80000000, 0x100000, Page, Native));
        // One byte more overlaps the kernel image: move to its end.
        Assert.Equal(0xa00000UL, map.FindE820Area(0x8000, 0x80000000, 0x100001, Page, Native));
    }

    [Fact]
    public void AReservationEndingAtTheCandidateDoesNotBlockIt()
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x100000, Page, Page, [new EarlyReservation(0x7000, 0x8000, "below")]));
    }

    [Fact]
    public void AReservationStartingAtTheCandidateEndDoesNotBlockIt()
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x100000, Page, Page, [new EarlyReservation(0x9000, 0xa000, "above")]));
    }

    [Fact]
    public void AOneByteOverlapAtEitherEdgeBlocksTheCandidate()
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Equal(0x9000UL, map.FindE820Area(0x8000, 0x100000, Page, Page, [new EarlyReservation(0x8fff, 0x9000, "last byte")]));
        Assert.Equal(0x9000UL, map.FindE820Area(0x8000, 0x100000, Page, Page, [new EarlyReservation(0x7000, 0x8001, "first byte")]));
    }

    [Fact]
    public void TheNewCandidateIsTheReservationEndRoundedUpToAlign()
    {
        var map = E820Map.FromMemorySize(0x1000000);

        Assert.Equal(0xa000UL, map.FindE820Area(0x8000, 0x1000000, Page, Page, [new EarlyReservation(0x8000, 0x9001, "odd")]));
        Assert.Equal(0x200000UL, map.FindE820Area(0, 0x1000000, Page, 0x200000, [new EarlyReservation(0, 0x1000, "page 0")]));
    }

    [Fact]
    public void ReservationsAreFollowedWhateverTheirOrder()
    {
        var map = E820Map.FromMemorySize(0x100000);
        EarlyReservation[] chain =
        [
            new(0xc000, 0xd000, "third"),
            new(0xa000, 0xc000, "second"),
            new(0x8000, 0xa000, "first"),
        ];

        Assert.Equal(0xd000UL, map.FindE820Area(0x8000, 0x100000, 0x2000, Page, chain));
    }

    [Fact]
    public void AGapBetweenReservationsTooSmallForTheSizeIsSkipped()
    {
        var map = E820Map.FromMemorySize(0x100000);
        EarlyReservation[] reservations = [new(0x8000, 0x9000, "a"), new(0xa000, 0xb000, "b")];

        Assert.Equal(0x9000UL, map.FindE820Area(0x8000, 0x100000, 0x1000, Page, reservations));
        Assert.Equal(0xb000UL, map.FindE820Area(0x8000, 0x100000, 0x1001, Page, reservations));
    }

    [Fact]
    public void StartIsRoundedUpToAlign()
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Equal(0x9000UL, map.FindE820Area(0x8001, 0x100000, Page, Page, []));
    }

    [Fact]
    public void AnUnalignedEntryStartIsRoundedUpToAlign()
    {
        var map = Ram((0x100400, 0x200000));

        Assert.Equal(0x101000UL, map.FindE820Area(0, 0x200000, Page, Page, []));
    }

    [Fact]
    public void AnEntryTooSmallForTheSizeIsPassedOverForTheNextOne()
    {
        var map = Ram((0, 0x9fc00), (0x100000, 0x80000000));

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x80000000, 0x97000, Page, []));
        Assert.Equal(0x100000UL, map.FindE820Area(0x8000, 0x80000000, 0x98000, Page, []));
    }

    [Fact]
    public void AnEntryFilledByReservationsIsPassedOverForTheNextOne()
    {
        var map = Ram((0, 0x9fc00), (0x100000, 0x80000000));

        Assert.Equal(0x100000UL, map.FindE820Area(0x8000, 0x80000000, 0x1000, Page, [new EarlyReservation(0x8000, 0x9f000, "low")]));
        // Kernel at 2 MiB: the first page above the kernel image after the low reservation.
        Assert.Equal(0xa00000UL, map.FindE820Area(0x8000, 0x80000000, 0x100001, Page, [new EarlyReservation(0x8000, 0x9f000, "low"), Kernel]));
    }

    [Fact]
    public void AnEntryWhoseCandidateIsAtOrPastItsEndIsSkipped()
    {
        var map = Ram((0, 0x9fc00), (0x100000, 0x200000));

        // round_up(0x9f001, 4 KiB) = 0xa0000 >= 0x9fc00: the low entry is skipped.
        Assert.Equal(0x100000UL, map.FindE820Area(0x9f001, 0x200000, 0x100, Page, []));
        Assert.Equal(0x9f000UL, map.FindE820Area(0x9f000, 0x200000, 0x100, Page, []));
    }

    [Fact]
    public void AZeroSizeAreaMovedToTheEndOfItsEntryIsStillFound()
    {
        // find_e820_area tests addr >= ei_last only for the first candidate; after bad_addr the
        // test is last > ei_last, which an empty area at the entry's end passes.
        var map = Ram((0x1000, 0x3000), (0x5000, 0x6000));

        Assert.Equal(0x3000UL, map.FindE820Area(0x1800, 0x10000, 0, 1, [new EarlyReservation(0x1000, 0x3000, "all")]));
        Assert.Equal(0x5000UL, map.FindE820Area(0x3000, 0x10000, 0, 1, []));
    }

    [Fact]
    public void NonRamEntriesAreNeverChosen()
    {
        var map = E820Map.FromEntries(
        [
            new E820Entry(0, 0x100000, E820Type.Reserved),
            new E820Entry(0x100000, 0x200000, E820Type.Acpi),
            new E820Entry(0x200000, 0x300000, E820Type.Ram),
        ]);

        Assert.Equal(0x200000UL, map.FindE820Area(0x8000, 0x300000, Page, Page, []));
    }

    [Fact]
    public void TheEndBoundIsInclusiveOfAnAreaEndingExactlyAtIt()
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Equal(0x8000UL, map.FindE820Area(0x8000, 0x9000, Page, Page, []));
        Assert.Equal(NotFound, map.FindE820Area(0x8000, 0x8fff, Page, Page, []));
    }

    [Fact]
    public void AnAreaPushedAboveTheEndBoundIsNotFound()
    {
        var map = E820Map.FromMemorySize(0x80000000);

        Assert.Equal(NotFound, map.FindE820Area(0x8000, 0x200000, 0x100001, Page, Native));
        Assert.Equal(0x100000UL, map.FindE820Area(0x8000, 0x200000, 0x100000, Page, Native));
    }

    [Fact]
    public void AnAreaLargerThanAnyEntryIsNotFound()
    {
        var map = Ram((0, 0x9fc00), (0x100000, 0x200000));

        Assert.Equal(NotFound, map.FindE820Area(0, ulong.MaxValue, 0x100001, Page, []));
    }

    [Fact]
    public void AMapWithoutRamFindsNothing()
    {
        var map = E820Map.FromEntries([new E820Entry(0, 0x100000, E820Type.Reserved)]);

        Assert.Equal(NotFound, map.FindE820Area(0, 0x100000, Page, Page, []));
    }

    [Fact]
    public void AreasNearTheTopOfTheAddressSpaceDoNotWrapAround()
    {
        var map = Ram((0xffffffffffff0000, ulong.MaxValue));

        Assert.Equal(0xffffffffffff0000UL, map.FindE820Area(0, ulong.MaxValue, Page, Page, []));
        Assert.Equal(NotFound, map.FindE820Area(0, ulong.MaxValue, 0x10000, Page, []));
        Assert.Equal(NotFound, map.FindE820Area(0, ulong.MaxValue, Page, Page, [new EarlyReservation(0xffffffffffff0000, 0xfffffffffffffff1, "top")]));
        Assert.Equal(NotFound, map.FindE820Area(0xfffffffffffff001, ulong.MaxValue, 1, Page, []));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(3UL)]
    [InlineData(0x1800UL)]
    public void AnAlignThatIsNotAPowerOfTwoIsRejected(ulong align)
    {
        var map = E820Map.FromMemorySize(0x100000);

        Assert.Throws<ArgumentException>(() => map.FindE820Area(0, 0x100000, Page, align, []));
    }
}

using BootActors.Model.E820;
using CsCheck;
using Xunit;

namespace BootActors.Model.Tests.E820;

/// <summary>
/// Random tests of the sanitiser and the queries against definitions written out naively here
/// (a linear scan of the raw entries, a brute-force search), over small address spaces so that
/// entries collide, nest and touch often.
/// </summary>
public class E820PropertyTests
{
    // Type 0 is included on purpose: sanitize_e820_map treats it as "no entry".
    private static readonly Gen<uint> GenType = Gen.OneOf(0u, 1u, 1u, 1u, 2u, 2u, 3u, 4u, 5u, 12u, 0xefffffffu);

    private static readonly Gen<E820Entry> GenEntry =
        Gen.Select(Gen.ULong[0, 64], Gen.ULong[0, 24], GenType, (start, length, type) => new E820Entry(start, start + length, type));

    private static readonly Gen<E820Entry[]> GenRaw = GenEntry.Array[0, 24];

    /// <summary>Page-scaled entries, with some ends off a page boundary, for the page-rounding queries.</summary>
    private static readonly Gen<E820Entry[]> GenPagedRaw =
        Gen.Select(Gen.ULong[0, 40], Gen.ULong[0, 12], GenType, Gen.ULong[0, 3], Gen.ULong[0, 3],
            (start, length, type, startSkew, endSkew) =>
            {
                // Some entries start or end in the middle of a page.
                var s = (start * 0x1000) + (startSkew == 0 ? 0x800UL : 0);
                var e = ((start + length) * 0x1000) + (endSkew == 0 ? 0x400UL : 0);
                return new E820Entry(s, Math.Max(s, e), type);
            }).Array[0, 16];

    private static uint MaxCoveringType(IEnumerable<E820Entry> raw, ulong address) =>
        raw.Where(e => e.Start <= address && address < e.End).Select(e => e.Type).DefaultIfEmpty(0u).Max();

    private static uint? TypeAt(E820Map map, ulong address) =>
        map.Entries.Where(e => e.Start <= address && address < e.End).Select(e => (uint?)e.Type).SingleOrDefault();

    [Fact]
    public void SanitisedEntriesAreSortedDisjointNonEmptyAndNeighboursDifferInType()
    {
        GenRaw.Sample(raw =>
        {
            var entries = E820Map.FromEntries(raw).Entries;
            for (var i = 0; i < entries.Count; i++)
            {
                Assert.True(entries[i].Start < entries[i].End, $"entry {i} is empty");
                Assert.NotEqual(0u, entries[i].Type);
                if (i > 0)
                {
                    Assert.True(entries[i - 1].End <= entries[i].Start, $"entries {i - 1} and {i} overlap or are unsorted");
                    if (entries[i - 1].End == entries[i].Start)
                    {
                        Assert.NotEqual(entries[i - 1].Type, entries[i].Type);
                    }
                }
            }
        }, iter: 2000);
    }

    [Fact]
    public void TheTypeAtEveryAddressIsTheHighestTypeAmongTheRawEntriesCoveringIt()
    {
        GenRaw.Sample(raw =>
        {
            var map = E820Map.FromEntries(raw);
            for (ulong address = 0; address < 96; address++)
            {
                var expected = MaxCoveringType(raw, address);
                var actual = TypeAt(map, address);
                if (expected == 0)
                {
                    Assert.Null(actual);
                }
                else
                {
                    Assert.Equal(expected, actual);
                }
            }
        }, iter: 2000);
    }

    [Fact]
    public void TheTypeAtRandomProbesMatchesOnWideMaps()
    {
        // The same property with addresses spread over the whole 64-bit space.
        var genWide = Gen.Select(Gen.ULong, Gen.ULong, GenType, (a, b, type) => new E820Entry(Math.Min(a, b), Math.Max(a, b), type)).Array[0, 12];
        Gen.Select(genWide, Gen.ULong.Array[1, 16]).Sample((raw, probes) =>
        {
            var map = E820Map.FromEntries(raw);
            foreach (var probe in probes.Concat(raw.SelectMany(e => new[] { e.Start, e.End, e.End - 1, e.Start + 1 })))
            {
                var expected = MaxCoveringType(raw, probe);
                var actual = TypeAt(map, probe);
                Assert.Equal(expected == 0 ? null : expected, actual);
            }
        }, iter: 1000);
    }

    [Fact]
    public void SanitisingASanitisedMapChangesNothing()
    {
        GenRaw.Sample(raw =>
        {
            var once = E820Map.FromEntries(raw).Entries;
            var twice = E820Map.FromEntries(once.Reverse()).Entries;
            Assert.Equal(once, twice);
        }, iter: 1000);
    }

    [Fact]
    public void AnyMappedMatchesTheKernelsLinearScan()
    {
        Gen.Select(GenRaw, Gen.ULong[0, 96], Gen.ULong[0, 96], GenType).Sample((raw, start, end, type) =>
        {
            var map = E820Map.FromEntries(raw);
            // e820_any_mapped: any entry of the type (0 = any) unless addr >= end or addr + size <= start.
            var expected = map.Entries.Any(e => (type == 0 || e.Type == type) && !(e.Start >= end || e.End <= start));
            Assert.Equal(expected, map.AnyMapped(start, end, type));
        }, iter: 3000);
    }

    [Fact]
    public void IsRamPfnAndRamRangesAndEndOfRamAgreeWithWholePagesOfUsableMemory()
    {
        GenPagedRaw.Sample(raw =>
        {
            var map = E820Map.FromEntries(raw);
            var ranges = map.RamRanges().ToArray();
            ulong lastRamPfn = 0;
            for (ulong pfn = 0; pfn < 64; pfn++)
            {
                // A frame is RAM when every byte of it is RAM in the sanitised map.
                var whole = Enumerable.Range(0, 16).All(k => TypeAt(map, (pfn * 0x1000) + ((ulong)k * 0x100)) == E820Type.Ram)
                    && TypeAt(map, (pfn * 0x1000) + 0xfff) == E820Type.Ram;
                Assert.Equal(whole, map.IsRamPfn(pfn));
                Assert.Equal(whole, ranges.Any(r => r.Start <= pfn * 0x1000 && (pfn + 1) * 0x1000 <= r.End));
                if (whole)
                {
                    lastRamPfn = pfn + 1;
                }
            }

            Assert.Equal(lastRamPfn, map.EndOfRamPfn());
            Assert.All(ranges, r => Assert.True(r.Start < r.End && r.Start % 0x1000 == 0 && r.End % 0x1000 == 0));
            Assert.Equal(ranges.OrderBy(r => r.Start), ranges);
        }, iter: 2000);
    }

    [Fact]
    public void FindE820AreaFindsTheLowestFreeAlignedAreaInsideOneRamEntry()
    {
        var genReservation = Gen.Select(Gen.ULong[0, 96], Gen.ULong[1, 16], (s, l) => new EarlyReservation(s, s + l, "r"));
        var genAlign = Gen.OneOf(1UL, 2UL, 4UL, 8UL, 16UL);
        Gen.Select(GenRaw, genReservation.Array[0, 6], Gen.ULong[0, 96], Gen.ULong[0, 128], Gen.ULong[0, 20], genAlign)
            .Sample((raw, reservations, start, end, size, align) =>
            {
                var map = E820Map.FromEntries(raw);

                // The brute-force answer: the lowest aligned address at or above start that is
                // free of reservations, lies with its whole area in one usable entry (at or after
                // the entry's first candidate, which must itself lie below the entry's end) and
                // ends at or below end. Only the first candidate is tested against the entry's
                // end: a zero-size area moved up to the entry's end still "fits" (last <= ei_last).
                static ulong RoundUp(ulong x, ulong align) => (x + align - 1) / align * align;
                var expected = ulong.MaxValue;
                for (ulong a = 0; a < 256; a++)
                {
                    if (a % align != 0 || a < start)
                    {
                        continue;
                    }

                    var free = !reservations.Any(r => a + size > r.Start && a < r.End);
                    var inEntry = map.Entries.Any(e => e.Type == E820Type.Ram
                        && Math.Max(RoundUp(e.Start, align), RoundUp(start, align)) < e.End
                        && a >= RoundUp(e.Start, align) && a + size <= e.End);
                    if (free && inEntry && a + size <= end)
                    {
                        expected = a;
                        break;
                    }
                }

                Assert.Equal(expected, map.FindE820Area(start, end, size, align, reservations));
            }, iter: 5000);
    }
}

using BootActors.Model.E820;
using Xunit;

namespace BootActors.Model.Tests.E820;

/// <summary>The representative dmesg files shipped in config/e820 parse to the maps they describe.</summary>
public class SampleFileTests
{
    private static string SamplePath(string name)
    {
        // The tests run from tests/Model.Tests/bin/…; the repository root holds BootActors.sln.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BootActors.sln")))
            {
                return Path.Combine(dir.FullName, "config", "e820", name);
            }
        }

        throw new InvalidOperationException("BootActors.sln not found above " + AppContext.BaseDirectory);
    }

    private static ulong RamBytes(E820Map map) => map.RamRanges().Aggregate(0UL, (sum, r) => sum + (r.End - r.Start));

    [Fact]
    public void TheLaptopLogIsAnOldFormatMapWithAboutThreeAndAHalfGibibytes()
    {
        var map = E820Parser.ParseFile(SamplePath("laptop-2.6.27.dmesg"));

        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal(14, map.Entries.Count);
        Assert.Equal(0xdf6b0UL, map.EndOfRamPfn());
        Assert.Equal(0x9ec00UL, map.EbdaLowmem());
        Assert.InRange(RamBytes(map), 3400UL << 20, 3600UL << 20);
        Assert.Contains(map.Entries, e => e.Type == E820Type.Acpi);
        Assert.Contains(map.Entries, e => e.Type == E820Type.Nvs);
        Assert.False(map.AnyMapped(0xe0000000, 0xf0000000, 0)); // the PCI hole
        Assert.False(map.AnyMapped(0x100000000, ulong.MaxValue, 0));
    }

    [Fact]
    public void TheLargeServerLogIsANewFormatMapWith256Gibibytes()
    {
        var map = E820Parser.ParseFile(SamplePath("server-256g.dmesg"));

        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal(14, map.Entries.Count);
        Assert.Equal(0x4080000UL, map.EndOfRamPfn());
        Assert.Equal(0x9c000UL, map.EbdaLowmem());
        Assert.InRange(RamBytes(map), 255UL << 30, 256UL << 30);
        Assert.Equal(new E820Entry(0x6f7ff000, 0x6f800000, E820Type.Ram), map.Entries[8]);
        Assert.True(map.IsRamPfn(0x6f7ff));
        Assert.False(map.IsRamPfn(0x6f800));
    }

    [Fact]
    public void TheEightSocketServerLogIsANewFormatMapWith12Tebibytes()
    {
        var map = E820Parser.ParseFile(SamplePath("server-12t.dmesg"));

        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal(14, map.Entries.Count);

        // 12 TiB plus the 2.25 GiB the BIOS remapped from below 4 GiB; the SRAT lines are not e820 lines.
        Assert.Equal(0xc0090000UL, map.EndOfRamPfn());
        Assert.Equal(0x9b000UL, map.EbdaLowmem());
        Assert.InRange(RamBytes(map), (12UL << 40) - (1UL << 30), 12UL << 40);
        Assert.False(map.AnyMapped(0x90000000, 0xfd000000, 0)); // the 32-bit MMIO hole
    }

    [Fact]
    public void TheSmallServerLogIsANewFormatMapWith64Gibibytes()
    {
        var map = E820Parser.ParseFile(SamplePath("server-64g.dmesg"));

        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal(15, map.Entries.Count);
        Assert.Equal(0x1040000UL, map.EndOfRamPfn());
        Assert.Equal(0x9d400UL, map.EbdaLowmem());
        Assert.InRange(RamBytes(map), 63UL << 30, 64UL << 30);
    }

    [Fact]
    public void TheXenLogIsTheMapOfAFourGibibyteDomU()
    {
        var map = E820Parser.ParseFile(SamplePath("xen-pv-4g.dmesg"));

        Assert.Equal("Xen", map.Label);
        Assert.Equal(
            [
                new E820Entry(0, 0xa0000, E820Type.Ram),
                new E820Entry(0xa0000, 0x100000, E820Type.Reserved),
                new E820Entry(0x100000, 0x1a3c000, E820Type.Ram),
                new E820Entry(0x1a3c000, 0x223f000, E820Type.Reserved),
                new E820Entry(0x223f000, 0x100000000, E820Type.Ram),
            ],
            map.Entries);
        Assert.Equal(0x100000UL, map.EndOfRamPfn());
    }

    [Theory]
    [InlineData("laptop-2.6.27.dmesg")]
    [InlineData("server-256g.dmesg")]
    [InlineData("server-64g.dmesg")]
    [InlineData("xen-pv-4g.dmesg")]
    public void EverySampleStartsWithACommentSayingItIsRepresentative(string name)
    {
        var first = File.ReadLines(SamplePath(name)).First();

        Assert.StartsWith("#", first, StringComparison.Ordinal);
        Assert.Contains("epresentative", first, StringComparison.Ordinal);
    }
}

using BootActors.Model.E820;
using Xunit;

namespace BootActors.Model.Tests.E820;

public class E820ParserTests
{
    private const ulong Top = ulong.MaxValue;

    private static E820Map Parse(string text) => E820Parser.ParseDmesg(text, "test.dmesg");

    private static E820FormatException Malformed(string text) =>
        Assert.Throws<E820FormatException>(() => Parse(text));

    [Fact]
    public void OldFormatEndIsExclusive()
    {
        var map = Parse("BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)");

        Assert.Equal([new E820Entry(0, 0x9fc00, E820Type.Ram)], map.Entries);
        Assert.Equal("BIOS-e820", map.Label);
    }

    [Fact]
    public void NewFormatEndIsInclusive()
    {
        var map = Parse("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable");

        Assert.Equal([new E820Entry(0, 0x9fc00, E820Type.Ram)], map.Entries);
        Assert.Equal("BIOS-e820", map.Label);
    }

    [Fact]
    public void TheKernelsOwnSampleMapParsesToTheSameEntriesInBothFormats()
    {
        // kernel-notes §6: the 2.6.26 sample, and the same map printed by a modern kernel.
        const string old = """
            BIOS-provided physical RAM map:
             BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)
             BIOS-e820: 000000000009fc00 - 00000000000a0000 (reserved)
             BIOS-e820: 00000000000e0000 - 0000000000100000 (reserved)
             BIOS-e820: 0000000000100000 - 000000007fff0000 (usable)
             BIOS-e820: 000000007fff0000 - 0000000080000000 (ACPI data)
             BIOS-e820: 00000000fec00000 - 0000000100000000 (reserved)
            """;
        const string modern = """
            BIOS-provided physical RAM map:
            BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
            BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
            BIOS-e820: [mem 0x00000000000e0000-0x00000000000fffff] reserved
            BIOS-e820: [mem 0x0000000000100000-0x000000007ffeffff] usable
            BIOS-e820: [mem 0x000000007fff0000-0x000000007fffffff] ACPI data
            BIOS-e820: [mem 0x00000000fec00000-0x00000000ffffffff] reserved
            """;
        E820Entry[] expected =
        [
            new(0, 0x9fc00, E820Type.Ram),
            new(0x9fc00, 0xa0000, E820Type.Reserved),
            new(0xe0000, 0x100000, E820Type.Reserved),
            new(0x100000, 0x7fff0000, E820Type.Ram),
            new(0x7fff0000, 0x80000000, E820Type.Acpi),
            new(0xfec00000, 0x100000000, E820Type.Reserved),
        ];

        Assert.Equal(expected, Parse(old).Entries);
        Assert.Equal(expected, Parse(modern).Entries);
    }

    [Fact]
    public void OldFormatXenLinesAreE820LinesAndLabelTheMapXen()
    {
        var map = Parse("""
            BIOS-provided physical RAM map:
             Xen: 0000000000000000 - 00000000000a0000 (usable)
             Xen: 00000000000a0000 - 0000000000100000 (reserved)
             Xen: 0000000000100000 - 0000000040000000 (usable)
            """);

        Assert.Equal("Xen", map.Label);
        Assert.Equal(
            [
                new E820Entry(0, 0xa0000, E820Type.Ram),
                new E820Entry(0xa0000, 0x100000, E820Type.Reserved),
                new E820Entry(0x100000, 0x40000000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void NewFormatXenLinesAreE820Lines()
    {
        var map = Parse("""
            [    0.000000] Xen: [mem 0x0000000000000000-0x000000000009ffff] usable
            [    0.000000] Xen: [mem 0x00000000000a0000-0x00000000000fffff] reserved
            [    0.000000] Xen: [mem 0x0000000000100000-0x00000000ffffffff] usable
            """);

        Assert.Equal("Xen", map.Label);
        Assert.Equal(0x100000UL, map.EndOfRamPfn());
        Assert.Equal(3, map.Entries.Count);
    }

    [Fact]
    public void XenLinesThatAreNotMapEntriesAreIgnored()
    {
        // "add" is made of hex digits, but no dash follows them, so that line is not an entry.
        var map = Parse("""
            [    0.000000] Xen: using vcpu_info placement
            [    0.000000] Xen version: 3.3.1 (preserve-AD)
            [    0.000000] Xen: add 1024 pages
            [    0.000000] Booting paravirtualized kernel on Xen
            [    0.000000] Xen: 0000000000000000 - 0000000080000000 (usable)
            """);

        Assert.Equal([new E820Entry(0, 0x80000000, E820Type.Ram)], map.Entries);
        Assert.Equal("Xen", map.Label);
    }

    [Fact]
    public void AXenLineWithMemButNoValidRangeIsMalformed()
    {
        var ex = Malformed("""
            Xen: 0000000000000000 - 0000000080000000 (usable)
            Xen: [memory hotplug disabled]
            """);

        Assert.Equal(2, ex.LineNumber);
    }

    [Fact]
    public void AXenPrefixFollowedByHexAndADashWithBlanksBetweenIsAnE820Line()
    {
        var ex = Malformed("Xen:\t00000000 -- garbage");

        Assert.Equal(1, ex.LineNumber);
    }

    [Fact]
    public void TimestampsSyslogAndJournalPrefixesAreIgnored()
    {
        var map = Parse("""
            [    0.000000]  BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)
            Mar  3 09:58:12 db02 kernel: [    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000003fffffff] usable
            [    0.000000] r740 kernel: BIOS-e820: [mem 0x00000000fec00000-0x00000000ffffffff] reserved
            <6>[    0.000000] BIOS-e820: 000000000009fc00 - 00000000000a0000 (reserved)
            2024-03-03T09:58:12.000000+00:00 host kernel: BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable
            """);

        Assert.Equal(
            [
                new E820Entry(0, 0x9fc00, E820Type.Ram),
                new E820Entry(0x9fc00, 0xa0000, E820Type.Reserved),
                new E820Entry(0x100000, 0x40000000, E820Type.Ram),
                new E820Entry(0xfec00000, 0x100000000, E820Type.Reserved),
                new E820Entry(0x100000000, 0x140000000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void CommentLinesAreIgnoredEvenWhenTheyHoldAnE820Line()
    {
        var map = Parse("""
            # BIOS-e820: 0000000000000000 - 0000000100000000 (usable)
               	# BIOS-e820: this would be malformed if it were read
            BIOS-e820: 0000000000000000 - 0000000000100000 (usable)
            """);

        Assert.Equal([new E820Entry(0, 0x100000, E820Type.Ram)], map.Entries);
    }

    [Fact]
    public void GarbageLinesAreIgnored()
    {
        var map = Parse("""
            Linux version 2.6.27 (gcc version 4.3.2) #1 SMP
            BIOS-provided physical RAM map:
            e820: update [mem 0x00000000-0x00000fff] usable ==> reserved
            e820: remove [mem 0x000a0000-0x000fffff] usable
            reserve setup_data: [mem 0x0000000000000000-0x000000000009ffff] usable
            user: 0000000000000000 - 0000000000001000 (reserved)
            bios-e820: 0000000000000000 - 0000000000001000 (reserved)
            BIOS-e820 0000000000000000 - 0000000000001000 (reserved)
            Xen 0000000000000000 - 0000000000001000 (reserved)
            init_memory_mapping
             0000000000 - 0080000000 page 2M

            BIOS-e820: 0000000000000000 - 0000000080000000 (usable)
            """);

        Assert.Equal([new E820Entry(0, 0x80000000, E820Type.Ram)], map.Entries);
    }

    [Theory]
    [InlineData("(usable)", E820Type.Ram)]
    [InlineData("(reserved)", E820Type.Reserved)]
    [InlineData("(ACPI data)", E820Type.Acpi)]
    [InlineData("(ACPI NVS)", E820Type.Nvs)]
    [InlineData("(unusable)", E820Type.Unusable)]
    [InlineData("type 12", 12u)]
    [InlineData("type 128", 128u)]
    [InlineData("type 0", 0u)]
    public void OldFormatTypeNamesMapToTheirNumbers(string name, uint type)
    {
        var map = Parse($"""
            BIOS-e820: 0000000000000000 - 0000000000001000 (reserved)
            BIOS-e820: 0000000000002000 - 0000000000003000 {name}
            """);

        var expected = new List<E820Entry> { new(0, 0x1000, E820Type.Reserved) };
        if (type != 0)
        {
            // Type 0 is "no entry" to sanitize_e820_map (current_type 0), so it vanishes.
            expected.Add(new E820Entry(0x2000, 0x3000, type));
        }

        Assert.Equal(expected, map.Entries);
    }

    [Theory]
    [InlineData("usable", E820Type.Ram)]
    [InlineData("reserved", E820Type.Reserved)]
    [InlineData("ACPI data", E820Type.Acpi)]
    [InlineData("ACPI NVS", E820Type.Nvs)]
    [InlineData("unusable", E820Type.Unusable)]
    [InlineData("persistent (type 12)", 12u)]
    [InlineData("persistent (type 7)", 7u)]
    [InlineData("soft reserved", E820Type.SoftReserved)]
    [InlineData("type 20", 20u)]
    public void NewFormatTypeNamesMapToTheirNumbers(string name, uint type)
    {
        var map = Parse($"BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] {name}");

        Assert.Equal([new E820Entry(0x2000, 0x3000, type)], map.Entries);
    }

    [Theory]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] reserved-kern")]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] Usable")]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] type x")]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] persistent (type 12")]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] ACPI  data")]
    [InlineData("BIOS-e820: 0000000000002000 - 0000000000003000 (PRAM)")]
    [InlineData("BIOS-e820: 0000000000002000 - 0000000000003000 (usable memory)")]
    public void AnyOtherTypeNameIsReserved(string line)
    {
        var map = Parse(line);

        Assert.Equal([new E820Entry(0x2000, 0x3000, E820Type.Reserved)], map.Entries);
    }

    [Fact]
    public void OneToSixteenHexDigitsAreAcceptedInEitherCase()
    {
        var map = Parse("""
            BIOS-e820: 0 - 9FC00 (usable)
            BIOS-e820: [mem 0x100000-0xFFFFFFFFFFFFFFFE] reserved
            """);

        Assert.Equal(
            [
                new E820Entry(0, 0x9fc00, E820Type.Ram),
                new E820Entry(0x100000, Top, E820Type.Reserved),
            ],
            map.Entries);
    }

    [Fact]
    public void OldFormatAllowsAnEntryEndingAtTheTopOfTheAddressSpace()
    {
        var map = Parse("BIOS-e820: fffffffffffff000 - ffffffffffffffff (reserved)");

        Assert.Equal([new E820Entry(0xfffffffffffff000, Top, E820Type.Reserved)], map.Entries);
    }

    [Theory]
    [InlineData("BIOS-e820: 00000000000000000 - 0000000000001000 (usable)", "17 hex digits")]
    [InlineData("BIOS-e820: [mem 0x0000000000000000-0x00000000000000fff] usable", "17 hex digits")]
    [InlineData("BIOS-e820: 0000000000000000 - 0000000000001000", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000000000 - 0000000000001000 usable", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000000000 0000000000001000 (usable)", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000000000 - 000000000000100g (usable)", "malformed e820 line")]
    [InlineData("BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff]", "malformed e820 line")]
    [InlineData("BIOS-e820: [mem 0000000000000000-0000000000000fff] usable", "malformed e820 line")]
    [InlineData("BIOS-e820: [mem 0x-0x0000000000000fff] usable", "malformed e820 line")]
    [InlineData("BIOS-e820:", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000000000 - 0000000000001000 type", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000000000 - 0000000000001000 (usable) trailing", "malformed e820 line")]
    [InlineData("BIOS-e820: 0000000000002000 - 0000000000001000 (usable)", "below START")]
    [InlineData("BIOS-e820: [mem 0x0000000000002000-0x0000000000000ffe] usable", "below START")]
    [InlineData("BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] reserved", "2^64")]
    [InlineData("BIOS-e820: 0000000000000000 - 0000000000001000 type 4294967296", "32 bits")]
    [InlineData("BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] persistent (type 99999999999)", "32 bits")]
    public void AMalformedLineThrowsNamingTheFileAndTheLine(string line, string reasonPart)
    {
        var text = $"""
            [    0.000000] BIOS-provided physical RAM map:
            [    0.000000] BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)
            [    0.000000] {line}
            [    0.000000] BIOS-e820: 0000000000100000 - 0000000080000000 (usable)
            """;

        var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseDmesg(text, "boot.log"));

        Assert.Equal("boot.log", ex.FileName);
        Assert.Equal(3, ex.LineNumber);
        Assert.Contains(reasonPart, ex.Reason, StringComparison.Ordinal);
        Assert.StartsWith("boot.log:3: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal($"boot.log:3: {ex.Reason}", ex.Message);
    }

    [Fact]
    public void TheTopOfTheAddressSpaceAsAnInclusiveEndIsMalformedNotAnOverflow()
    {
        var ex = Malformed("BIOS-e820: [mem 0xfffffffffffff000-0xffffffffffffffff] reserved");

        Assert.Equal(1, ex.LineNumber);
        Assert.Contains("0xffffffffffffffff", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("2^64", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyEntryIsValidAndDropped()
    {
        var map = Parse("""
            BIOS-e820: 0000000000001000 - 0000000000001000 (usable)
            BIOS-e820: [mem 0x0000000000005000-0x0000000000004fff] reserved
            BIOS-e820: 0000000000100000 - 0000000000200000 (usable)
            """);

        Assert.Equal([new E820Entry(0x100000, 0x200000, E820Type.Ram)], map.Entries);
    }

    [Fact]
    public void AFileWithNoE820LineThrowsWithLineZero()
    {
        var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseDmesg("""
            # BIOS-e820: 0000000000000000 - 0000000000001000 (usable)
            Linux version 2.6.27
            Xen: using vcpu_info placement
            """, "empty.dmesg"));

        Assert.Equal("empty.dmesg", ex.FileName);
        Assert.Equal(0, ex.LineNumber);
        Assert.StartsWith("empty.dmesg: no e820 line", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BIOS-e820: [mem 0x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyFileHasNoE820Line()
    {
        var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseDmesg("", "nothing.txt"));

        Assert.Equal(0, ex.LineNumber);
        Assert.Contains("no e820 line", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LineNumbersCountCommentsBlankLinesAndCrLfLineEnds()
    {
        var text = "# comment\r\n\r\nBIOS-e820: 0000000000000000 - 0000000000001000 (usable)\r\nBIOS-e820: nonsense\r\n";

        var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseDmesg(text, "crlf.dmesg"));

        Assert.Equal(4, ex.LineNumber);
    }

    [Fact]
    public void CrLfLineEndsAreAccepted()
    {
        var map = Parse("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\r\nBIOS-e820: 0000000000100000 - 0000000000200000 (usable)\r\n");

        Assert.Equal(
            [new E820Entry(0, 0x9fc00, E820Type.Ram), new E820Entry(0x100000, 0x200000, E820Type.Ram)],
            map.Entries);
    }

    [Fact]
    public void TheParsedMapIsSanitised()
    {
        var map = Parse("""
            BIOS-e820: 0000000000100000 - 0000000080000000 (usable)
            BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)
            BIOS-e820: 000000007f000000 - 0000000080000000 (ACPI NVS)
            BIOS-e820: 0000000080000000 - 0000000090000000 (usable)
            """);

        Assert.Equal(
            [
                new E820Entry(0, 0x9fc00, E820Type.Ram),
                new E820Entry(0x100000, 0x7f000000, E820Type.Ram),
                new E820Entry(0x7f000000, 0x80000000, E820Type.Nvs),
                new E820Entry(0x80000000, 0x90000000, E820Type.Ram),
            ],
            map.Entries);
    }

    [Fact]
    public void ALogMixingBothPrefixesIsOneMapLabelledBiosE820()
    {
        var map = Parse("""
            Xen: 0000000000000000 - 0000000000100000 (usable)
            BIOS-e820: 0000000000100000 - 0000000000200000 (usable)
            """);

        Assert.Equal("BIOS-e820", map.Label);
        Assert.Equal([new E820Entry(0, 0x200000, E820Type.Ram)], map.Entries);
    }

    [Fact]
    public void ParseFileReadsTheFileAndNamesItInErrors()
    {
        var dir = Directory.CreateTempSubdirectory("e820-parser-test");
        try
        {
            var good = Path.Combine(dir.FullName, "good.dmesg");
            File.WriteAllText(good, "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000003fffffff] usable\n");
            var bad = Path.Combine(dir.FullName, "bad.dmesg");
            File.WriteAllText(bad, "line one\nBIOS-e820: [mem 0x1000-0x0] usable\n");

            Assert.Equal(0x40000UL, E820Parser.ParseFile(good).EndOfRamPfn());
            var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseFile(bad));
            Assert.Equal(bad, ex.FileName);
            Assert.Equal(2, ex.LineNumber);
            Assert.StartsWith($"{bad}:2: ", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AMissingFileIsAFormatExceptionNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "e820-no-such-dir-" + Guid.NewGuid().ToString("N"), "missing.dmesg");

        var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseFile(path));

        Assert.Equal(path, ex.FileName);
        Assert.Equal(0, ex.LineNumber);
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void ADirectoryIsAnUnreadableFile()
    {
        var dir = Directory.CreateTempSubdirectory("e820-parser-dir");
        try
        {
            var ex = Assert.Throws<E820FormatException>(() => E820Parser.ParseFile(dir.FullName));

            Assert.Equal(dir.FullName, ex.FileName);
            Assert.Equal(0, ex.LineNumber);
        }
        finally
        {
            dir.Delete();
        }
    }
}

using BootActors.Cli.Options;

namespace BootActors.Cli.Tests;

public sealed class SizeParserTests
{
    [Theory]
    [InlineData("16G", 16UL << 30)]
    [InlineData("512M", 512UL << 20)]
    [InlineData("4096K", 4096UL << 10)]
    [InlineData("1T", 1UL << 40)]
    [InlineData("0x100000000", 0x100000000UL)]
    [InlineData("0X1f000", 0x1f000UL)]
    [InlineData("4294967296", 4294967296UL)]
    [InlineData("16GiB", 16UL << 30)]
    [InlineData("16gib", 16UL << 30)]
    [InlineData("16GB", 16UL << 30)]
    [InlineData("512m", 512UL << 20)]
    [InlineData("4096B", 4096UL)]
    [InlineData(" 2G ", 2UL << 30)]
    public void SizesParse(string text, ulong bytes)
    {
        Assert.True(SizeParser.TryParse(text, out var parsed, out var problem), problem);
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0G")]
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData("-1")]
    [InlineData("1.5G")]
    [InlineData("16iB")]
    [InlineData("G")]
    [InlineData("16P")]
    [InlineData("20000000T")]
    [InlineData("0x10000000000000000")]
    public void GarbageAndZeroAreRejected(string text)
    {
        Assert.False(SizeParser.TryParse(text, out _, out var problem));
        Assert.NotEmpty(problem);
    }
}

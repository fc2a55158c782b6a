using System.Text;
using BootActors.Model.Files;
using Xunit;

namespace BootActors.Model.Tests.Files;

/// <summary>The one opener of every reader: regular files only, a size cap, strict UTF-8 named by line.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bootactors-input-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] data)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    [Fact]
    public void FileStatusTellsFilesDirectoriesDevicesAndMissingPathsApart()
    {
        var file = Write("f", [1, 2, 3]);

        Assert.Equal(FileKind.Regular, FileStatus.Of(file).Kind);
        Assert.Equal(3, FileStatus.Of(file).Size);
        Assert.Equal(FileKind.Directory, FileStatus.Of(dir).Kind);
        Assert.Equal(FileKind.CharacterDevice, FileStatus.Of("/dev/zero").Kind);
        Assert.Equal(FileKind.Missing, FileStatus.Of(Path.Combine(dir, "none")).Kind);
        Assert.Equal(FileKind.Missing, FileStatus.Of(Path.Combine(file, "below-a-file")).Kind);
    }

    [Fact]
    public void TheSameFileIsRecognisedThroughASymbolicLinkAndNotConfusedWithACopy()
    {
        var file = Write("f", [1]);
        var copy = Write("copy", [1]);
        var link = File.CreateSymbolicLink(Path.Combine(dir, "link"), file).FullName;

        Assert.True(FileStatus.Of(file).IsSameFileAs(FileStatus.Of(link)));
        Assert.False(FileStatus.Of(file).IsSameFileAs(FileStatus.Of(copy)));
        Assert.False(FileStatus.Of(Path.Combine(dir, "a")).IsSameFileAs(FileStatus.Of(Path.Combine(dir, "b"))));
    }

    [Fact]
    public void ACharacterDeviceIsRefusedWithoutReadingIt()
    {
        var ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes("/dev/zero", 1 << 20, "e820 file"));

        Assert.Equal("/dev/zero: is a character device, not a regular file: give the e820 file as a file", ex.Message);
    }

    [Fact]
    public void AFileOverTheCapIsRefusedNamingTheCap()
    {
        var path = Write("big", new byte[2000]);

        var ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes(path, 1000, "scenario file"));

        Assert.Equal($"{path}: too large (2,000 bytes; the limit for scenario files is 1000 bytes)", ex.Message);
    }

    [Fact]
    public void AFileThatReportsNoSizeIsStillCappedWhileItIsRead()
    {
        // /proc files say they are empty and are not; the cap holds on what is actually read.
        var ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes("/proc/self/maps", 10, "e820 file"));

        Assert.Equal("/proc/self/maps: too large (more than the 10 bytes allowed for e820 files)", ex.Message);
    }

    [Fact]
    public void InvalidUtf8IsNamedByItsLineAndByte()
    {
        var path = Write("bad", [.. "first\nsecond \u00e9 ok\nthird "u8, 0xe2, 0x28, 0xa1, .. "\n"u8]);

        var ex = Assert.Throws<InputFileException>(() => InputFile.ReadAllText(path, 1 << 20, "scenario file"));

        Assert.Equal(3, ex.Line);
        Assert.Equal($"{path}:3: not UTF-8 text: the byte 0xe2 at byte 7 of the line is not valid UTF-8 (a scenario file is UTF-8 text)", ex.Message);
    }

    [Fact]
    public void ALogIsReadLenientlyAndAByteOrderMarkIsDropped()
    {
        var path = Write("log", [0xEF, 0xBB, 0xBF, .. "BIOS-e820: "u8, 0xff, .. "\n"u8]);

        Assert.Equal("BIOS-e820: \ufffd\n", InputFile.ReadAllText(path, 1 << 20, "e820 file", strictUtf8: false));
        Assert.Equal("abc", InputFile.Decode(Encoding.UTF8.GetPreamble().Concat("abc"u8.ToArray()).ToArray(), path, "x"));
    }

    [Fact]
    public void AMissingFileAndADirectoryAreNamedForWhatTheyAre()
    {
        var missing = Path.Combine(dir, "none");

        Assert.Equal($"{missing}: no such replay file", Assert.Throws<InputFileException>(() => InputFile.ReadAllBytes(missing, 10, "replay file")).Message);
        Assert.Equal($"{dir}: is a directory, not a replay file", Assert.Throws<InputFileException>(() => InputFile.OpenRead(dir, "replay file")).Message);
    }
}

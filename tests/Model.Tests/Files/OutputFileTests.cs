using BootActors.Model.Files;
using Xunit;

namespace BootActors.Model.Tests.Files;

/// <summary>The one writer of every output: whole files or none, never over an input, one-line failures.</summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bootactors-output-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string[] Files() => Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void NothingReplacesTheTargetUntilCommit()
    {
        var target = Path.Combine(dir, "out.txt");
        File.WriteAllText(target, "old");

        using (var file = OutputFile.Create(target))
        {
            file.Stream.Write("new content"u8);
            file.Stream.Flush();
            Assert.Equal("old", File.ReadAllText(target));
            Assert.Equal(2, Files().Length);
            file.Commit();
        }

        Assert.Equal("new content", File.ReadAllText(target));
        Assert.Equal(["out.txt"], Files());
    }

    [Fact]
    public void AWriteThatFailsLeavesTheTargetAsItWasAndNoTemporaryFile()
    {
        var target = Path.Combine(dir, "out.txt");
        File.WriteAllText(target, "old");

        var ex = Assert.Throws<InvalidOperationException>(() => OutputFile.Write(target, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("the exporter failed");
        }));

        Assert.Equal("the exporter failed", ex.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["out.txt"], Files());
    }

    [Fact]
    public void AnInputIsRefusedByAnyOfItsNames()
    {
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "data");
        var link = File.CreateSymbolicLink(Path.Combine(dir, "link.jsonl"), input).FullName;

        var direct = Assert.Throws<OutputFileException>(() => OutputFile.Create(input, [input]));
        var viaLink = Assert.Throws<OutputFileException>(() => OutputFile.Create(link, [input]));

        Assert.Equal($"cannot write {input}: it is an input of this command; writing it would destroy what is being read", direct.Message);
        Assert.Equal($"cannot write {link}: it is the same file as {input}, an input of this command; writing it would destroy what is being read", viaLink.Message);
        Assert.Equal("data", File.ReadAllText(input));
    }

    [Fact]
    public void ASymbolicLinkKeepsPointingAtItsFileWhichGetsTheNewContent()
    {
        var real = Path.Combine(dir, "real.txt");
        File.WriteAllText(real, "old");
        var link = File.CreateSymbolicLink(Path.Combine(dir, "link.txt"), real).FullName;

        OutputFile.WriteAllText(link, "new");

        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(real));
    }

    [Fact]
    public void ADeviceIsWrittenInPlaceAndAFullOneIsOneLine()
    {
        OutputFile.WriteAllText("/dev/null", "discarded");

        var ex = Assert.Throws<OutputFileException>(() => OutputFile.WriteAllText("/dev/full", new string('x', 1 << 17)));

        Assert.Equal("cannot write /dev/full: No space left on device", ex.Message);
    }

    [Fact]
    public void ADirectoryOrAMissingFolderIsOneLine()
    {
        Assert.Equal($"cannot write {dir}: it is a directory", Assert.Throws<OutputFileException>(() => OutputFile.Create(dir)).Message);
        var nowhere = Path.Combine(dir, "none", "out.txt");
        Assert.Equal($"cannot write {nowhere}: no such directory {Path.Combine(dir, "none")}", Assert.Throws<OutputFileException>(() => OutputFile.Create(nowhere)).Message);
    }
}

using System.Runtime.InteropServices;

namespace BootActors.Cli.Tests;

/// <summary>
/// Nothing is lost: an output that is one of the command's inputs is refused before anything is
/// written, every file is written to a temporary file and renamed into place only when complete,
/// and a file that cannot be written is one line, "cannot write FILE: reason", exit 2.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OutputTests(FoundRace race) : IClassFixture<FoundRace>
{
    private static void AssertCannotWrite(CliRun run, string expected)
    {
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        var line = run.StderrLines[^1];
        Assert.Equal($"bootactors: cannot write {expected}", line);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("same name")]
    [InlineData("symbolic link")]
    [InlineData("hard link")]
    public void ExportRefusesToWriteOverItsOwnInputByAnyNameAndLeavesItWhole(string how)
    {
        using var scratch = new Scratch();
        var input = scratch.Write("race.jsonl", File.ReadAllBytes(race.TracePath));
        var before = File.ReadAllBytes(input);
        var output = how switch
        {
            "same name" => input,
            "symbolic link" => File.CreateSymbolicLink(scratch.PathOf("link.jsonl"), input).FullName,
            _ => HardLink(input, scratch.PathOf("hard.jsonl")),
        };

        var run = Cli.Run("trace", "export", input, "--format", "chrome", "-o", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cannot write {output}: it is ", Assert.Single(run.StderrLines), StringComparison.Ordinal);
        Assert.Contains("an input of this command; writing it would destroy what is being read", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void ReplayRefusesATraceOutputThatIsItsOwnReplayFile()
    {
        using var scratch = new Scratch();
        var replay = scratch.Write("race.replay.json", File.ReadAllBytes(race.ReplayPath));
        var before = File.ReadAllBytes(replay);

        var run = Cli.Run("replay", replay, "--trace", replay);

        AssertCannotWrite(run, $"{replay}: it is an input of this command; writing it would destroy what is being read");
        Assert.Equal(before, File.ReadAllBytes(replay));
    }

    [Fact]
    public void RunRefusesATraceOutputThatIsItsScenarioFile()
    {
        using var scratch = new Scratch();
        var scenario = scratch.Write("boot.hocon", "cpus = 1\nmemory = 64M\nvariant = fixed\nworkload = []\n");
        var before = File.ReadAllBytes(scenario);

        var run = Cli.Run("run", scenario, "--trace", scenario);

        AssertCannotWrite(run, $"{scenario}: it is an input of this command; writing it would destroy what is being read");
        Assert.Equal(before, File.ReadAllBytes(scenario));
    }

    [Fact]
    public void AnExportThatFailsHalfwayLeavesTheOldFileAsItWasAndNoTemporaryFile()
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines();
        var damaged = scratch.Write("damaged.jsonl", string.Join("\n", lines[..40]) + "\n{\"seq\": 40, \"from\": \n" + string.Join("\n", lines[41..]) + "\n");
        var output = scratch.Write("out.json", "the previous export\n");

        var run = Cli.Run("trace", "export", damaged, "--format", "chrome", "-o", output);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{damaged}:41: ", Assert.Single(run.StderrLines), StringComparison.Ordinal);
        Assert.Equal("the previous export\n", File.ReadAllText(output));
        Assert.Equal(["damaged.jsonl", "out.json"], scratch.Leftovers());
    }

    [Fact]
    public void AnExportReplacesTheOldFileWholeAndKeepsItsPermissions()
    {
        using var scratch = new Scratch();
        var output = scratch.Write("out.json", "the previous export\n");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var run = Cli.Run("trace", "export", race.TracePath, "--format", "chrome", "-o", output);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("{\"displayTimeUnit\":", File.ReadAllText(output), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
        Assert.Equal(["out.json"], scratch.Leftovers());
    }

    [Fact]
    public void ATraceToAFullDeviceIsOneLineNamingIt()
    {
        AssertCannotWrite(Cli.Run("run", "--memory", "64M", "--trace", "/dev/full"), "/dev/full: No space left on device");
    }

    [Theory]
    [InlineData("chrome")]
    [InlineData("shiviz")]
    [InlineData("mermaid")]
    [InlineData("html")]
    public void AnExportToAFullDeviceIsOneLineNamingIt(string format)
    {
        var run = Cli.Run("trace", "export", race.TracePath, "--format", format, "-o", "/dev/full");

        AssertCannotWrite(run, "/dev/full: No space left on device");
        Assert.Equal("", run.Stdout);
    }

    [Theory]
    [InlineData("a file", "it is not a directory")]
    [InlineData("/dev/null", "it is not a directory")]
    public void OutputDirNamingSomethingOtherThanADirectoryIsRefusedBeforeExploring(string what, string reason)
    {
        using var scratch = new Scratch();
        var target = what == "a file" ? scratch.Write("replays", "not a folder\n") : what;

        var run = Cli.Run("explore", "hotadd-concurrent", "--strategy", "pct", "--seed", "1", "--output-dir", target);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal($"bootactors: --output-dir {target}: cannot write replay files there: {reason}", Assert.Single(run.StderrLines));
    }

    [Fact]
    public void ATraceIntoAMissingDirectoryIsOneLine()
    {
        AssertCannotWrite(Cli.Run("run", "--memory", "64M", "--trace", "/nonexistent-dir/t.jsonl"), "/nonexistent-dir/t.jsonl: no such directory /nonexistent-dir");
    }

    private static string HardLink(string existing, string link)
    {
        Assert.Equal(0, Link(existing, link));
        return link;
    }

    [DllImport("libc", EntryPoint = "link")]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string link);
}

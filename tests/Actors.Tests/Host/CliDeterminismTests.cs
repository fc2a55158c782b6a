using System.Diagnostics;
using BootActors.Actors.Tests.Scenarios;

namespace BootActors.Actors.Tests.Host;

/// <summary>
/// The CLI's binary run twice, in two processes, with the same scenario and seed, writes the same
/// trace file byte for byte. The binary is the newest bootactors.dll under src/Cli/bin (built here
/// when there is none).
/// </summary>
public sealed class CliDeterminismTests
{
    [Fact]
    public void TwoProcessesRunningHotaddConcurrentWithSeed5WriteByteIdenticalTraceFiles()
    {
        var dll = CliDll();
        using var dir = new TempDir();
        var f1 = Path.Combine(dir.Path, "f1.jsonl");
        var f2 = Path.Combine(dir.Path, "f2.jsonl");

        var first = RunCli(dll, "run", "hotadd-concurrent", "--seed", "5", "--trace", f1);
        var second = RunCli(dll, "run", "hotadd-concurrent", "--seed", "5", "--trace", f2);

        // Exit code 1: the outcome is not ok (the lost update the scenario promises).
        Assert.True(first.Code == 1, $"exit {first.Code}: {first.Output}");
        Assert.True(second.Code == 1, $"exit {second.Code}: {second.Output}");
        var a = File.ReadAllBytes(f1);
        var b = File.ReadAllBytes(f2);
        Assert.True(a.Length > 100_000, $"a trace of {a.Length} bytes");
        Assert.Equal(a, b);
    }

    private static (int Code, string Output) RunCli(string command, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(command);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {command} {string.Join(' ', args)} did not exit within 60 s");
        }

        return (p.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }

    private static string RepoRoot() => Path.GetDirectoryName(ScenarioText.ConfigDir())!;

    private static string CliDll()
    {
        var bin = Path.Combine(RepoRoot(), "src", "Cli", "bin");
        string? Newest() => Directory.Exists(bin)
            ? Directory.GetFiles(bin, "bootactors.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        if (Newest() is { } dll)
        {
            return dll;
        }

        var build = RunCli("build", Path.Combine(RepoRoot(), "src", "Cli", "BootActors.Cli.csproj"));
        Assert.True(build.Code == 0, "dotnet build src/Cli failed: " + build.Output);
        return Newest() ?? throw new InvalidOperationException("no bootactors.dll under src/Cli/bin after building it");
    }
}

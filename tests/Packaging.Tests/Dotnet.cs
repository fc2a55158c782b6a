using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace BootActors.Packaging.Tests;

/// <summary>
/// Runs a program (the dotnet CLI, an installed tool) as a user would from a shell, bounded in time:
/// past its timeout the process tree is killed and the test fails saying which command hung.
/// </summary>
internal static class Dotnet
{
    /// <summary>The dotnet executable that runs these tests.</summary>
    public static string Executable { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Exec(Executable, workingDirectory, timeout, environment, args);

    public static ProcessResult Exec(string program, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // The test host's own MSBuild settings would steer the nested build; a user's shell has none.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        // No build server or MSBuild node outlives the command (and holds its output pipes open).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new ConcurrentQueue<string>();
        var stdout = new ConcurrentQueue<string>();
        var closed = new CountdownEvent(2);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                stdout.Enqueue(line);
            }

            Collect(e.Data, output, closed);
        };
        process.ErrorDataReceived += (_, e) => Collect(e.Data, output, closed);
        var watch = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var command = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
            throw new TimeoutException($"'{command}' in {workingDirectory} did not finish within {timeout.TotalSeconds:0} s; its output:\n{Join(output)}");
        }

        closed.Wait(TimeSpan.FromSeconds(30));
        return new ProcessResult(command, process.ExitCode, Join(output), Join(stdout), watch.Elapsed);
    }

    private static void Collect(string? line, ConcurrentQueue<string> output, CountdownEvent closed)
    {
        if (line is null)
        {
            closed.Signal();
            return;
        }

        output.Enqueue(line);
    }

    private static string Join(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }
}

/// <summary>A finished command: its exit code, its output (stdout and stderr interleaved as they came) and its stdout alone.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Output, string Stdout, TimeSpan Elapsed)
{
    /// <summary>Fails the test with the command and its output unless it exited with <paramref name="expected"/>.</summary>
    public ProcessResult ShouldExitWith(int expected)
    {
        Assert.True(ExitCode == expected, $"'{Command}' exited with {ExitCode}, expected {expected}; its output:\n{Output}");
        return this;
    }
}

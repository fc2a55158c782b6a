namespace BootActors.Cli.Tests;

/// <summary>Runs the command in-process, as a user would from a shell with both streams redirected.</summary>
internal static class Cli
{
    public static CliRun Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = CliApp.Run(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Runs the installed program as its own process in <paramref name="dir"/> (where it looks for
    /// config/ first), with <paramref name="environment"/> added; killed and a <see cref="TimeoutException"/>
    /// after <paramref name="limit"/>.
    /// </summary>
    public static async Task<CliRun> RunProcessAsync(string dir, TimeSpan limit, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "bootactors"))
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bootactors {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s");
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The repository root (where BootActors.sln is), for files under config/.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BootActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BootActors.sln not found above the test binaries");
    }
}

internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A file under the temp directory, deleted at the end of the test.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(string contents)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bootactors-{Guid.NewGuid():N}.dmesg");
        File.WriteAllText(Path, contents);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}

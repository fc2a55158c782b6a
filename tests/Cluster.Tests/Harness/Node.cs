using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace BootActors.Cluster.Tests.Harness;

/// <summary>
/// A bootactors process (coordinator or worker) started from the binary beside the tests, with its
/// stdout and stderr collected line by line. Disposing it kills its whole process tree.
/// </summary>
internal sealed class Node : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> errLines = new();
    private readonly StringBuilder stdout = new();
    private readonly TaskCompletionSource stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Node(string name, string workingDirectory, params string[] args)
    {
        Name = name;
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bootactors.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        process = new Process { StartInfo = psi };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errLines.Enqueue(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                stdoutClosed.TrySetResult();
                return;
            }

            lock (stdout)
            {
                stdout.Append(e.Data).Append('\n');
            }
        };
        StartWithDefaultSigInt(process);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Command = $"bootactors {string.Join(' ', args)}";
    }

    public string Name { get; }

    private static readonly object SignalGate = new();

    /// <summary>
    /// Starts the node with SIGINT's default disposition, as from a terminal: a test host started in
    /// the background by a non-interactive shell (a CI script's <c>cmd &amp;</c>) ignores SIGINT, a
    /// child inherits that, and <see cref="Interrupt"/> would then do nothing.
    /// </summary>
    private static void StartWithDefaultSigInt(Process process)
    {
        const int sigInt = 2;
        var status = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var ignored = status is not null && (Convert.ToUInt64(status["SigIgn:".Length..].Trim(), 16) & (1UL << (sigInt - 1))) != 0;
        lock (SignalGate)
        {
            if (ignored)
            {
                SetDisposition(sigInt, 0); // SIG_DFL
            }

            try
            {
                process.Start();
            }
            finally
            {
                if (ignored)
                {
                    SetDisposition(sigInt, 1); // SIG_IGN, as the test host was started
                }
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr SetDisposition(int signal, IntPtr handler);

    public string Command { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Stderr => string.Join('\n', errLines);

    public string Stdout
    {
        get
        {
            lock (stdout)
            {
                return stdout.ToString();
            }
        }
    }

    /// <summary>Waits until a line of stderr satisfies <paramref name="match"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForStderr(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (errLines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (process.HasExited && errLines.FirstOrDefault(match) is null)
            {
                // Let the last lines arrive before giving up on an exited process.
                await Task.Delay(200);
                if (errLines.FirstOrDefault(match) is { } late)
                {
                    return late;
                }

                Assert.Fail($"{Name} exited ({process.ExitCode}) before {what}:\n{Stderr}");
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{Name}: no {what} within {timeout.TotalSeconds:0} s:\n{Stderr}");
        return "";
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails the test (and kills it) after <paramref name="timeout"/>.</summary>
    public async Task<int> Exit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"{Name} ({Command}) did not exit within {timeout.TotalSeconds:0} s:\n{Stderr}");
        }

        await Task.WhenAny(stdoutClosed.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        return process.ExitCode;
    }

    /// <summary>SIGINT, as Ctrl-C in its terminal sends.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGKILL: the process gets no chance to leave the cluster.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace BootActors.Cli.Tests;

/// <summary>
/// What only a real process shows: Ctrl-C (SIGINT) on explore, a stdout that cannot be written,
/// and that nothing but the command's output ever reaches stdout (Akka's logger, a library). The
/// built CLI of this test run (bootactors next to the tests) runs as a child with a timeout.
/// </summary>
public sealed class ProcessTests(FoundRace race) : IClassFixture<FoundRace>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task CtrlCOnExploreReportsTheJsonSoFarKeepsItsReplaysAndExits130()
    {
        using var scratch = new Scratch();
        var replays = scratch.PathOf("replays");
        using var child = Child.Start("explore", "hotadd-concurrent", "--all", "--json", "--max-schedules", "100000000", "--output-dir", replays);

        // --all goes on after the first violation; its replay file is written when it is found.
        await Child.Until(() => Directory.Exists(replays) && Directory.GetFiles(replays, "*.replay.json").Length > 0, "a replay file to appear");
        child.Interrupt();
        var (code, stdout, stderr) = await child.Finish();

        Assert.True(code == ExitCodes.Interrupted, $"exit {code}\nstdout: {stdout}\nstderr: {stderr}");
        var o = JsonNode.Parse(stdout)!;
        Assert.True((bool)o["interrupted"]!);
        Assert.True((bool)o["found"]!);
        Assert.True((int)o["schedules"]! > 0);
        Assert.Contains("bootactors: interrupted: stopping after the current schedule", stderr, StringComparison.Ordinal);
        var replay = (string)o["replay"]!;
        Assert.True(File.Exists(replay), replay);
        Assert.Equal(ExitCodes.BadOutcome, Cli.Run("replay", replay).ExitCode);
        Assert.Empty(Directory.GetFiles(replays, "*.tmp"));
    }

    [Fact]
    public async Task CtrlCOnExplorePrintsTheSummarySoFar()
    {
        using var child = Child.Start("explore", "hotadd-concurrent", "--set", "hotplug_mutex=on", "--max-schedules", "100000000");

        // Redirected stderr gets a progress line every 2 s: exploring has begun.
        await child.UntilStderr("explore: ");
        child.Interrupt();
        var (code, stdout, stderr) = await child.Finish();

        Assert.True(code == ExitCodes.Interrupted, $"exit {code}\nstdout: {stdout}\nstderr: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("explore hotadd-concurrent with random (choices among deliveries)", lines[0]);
        Assert.Contains("  interrupted    by Ctrl-C: these are the schedules run before it", lines);
        Assert.Equal("no violation found so far", lines[^1]);
    }

    [Fact]
    public async Task AStdoutThatCannotBeWrittenIsOneLineExitTwo()
    {
        using var child = Child.Start(["run", "--memory", "64M", "--json"], stdoutTo: "/dev/full");
        var (code, _, stderr) = await child.Finish();

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal("bootactors: cannot write standard output: No space left on device", stderr.TrimEnd('\n').Split('\n')[^1]);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATraceItsReRunCannotFollowGivesOneLineAndNothingOnStdout()
    {
        using var scratch = new Scratch();
        var lines = race.TraceLines();
        var e = JsonNode.Parse(lines[20])!;
        e["to"] = (string)e["to"]! == "tlb1" ? "tlb2" : "tlb1";
        lines[20] = e.ToJsonString();
        var path = scratch.Write("mismatch.jsonl", string.Join("\n", lines) + "\n");

        using var child = Child.Start("trace", "pt", path, "--at", "30");
        var (code, stdout, stderr) = await child.Finish();

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"bootactors: {path}: re-running the trace's run does not reproduce it: delivery 20 of the trace is ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task AnActorHostRunPrintsExactlyOneJsonObjectOnStdout()
    {
        using var child = Child.Start("run", "hotadd-concurrent", "--json");
        var (code, stdout, stderr) = await child.Finish();

        Assert.True(code == ExitCodes.BadOutcome, $"exit {code}: {stderr}");
        var line = Assert.Single(stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal("violation", (string)JsonNode.Parse(line)!["outcome"]!);
    }

    [Fact]
    public async Task AFifoScenarioIsRefusedWithoutBlockingTheProcess()
    {
        using var scratch = new Scratch();
        var fifo = scratch.PathOf("scenario.hocon");
        Assert.Equal(0, Child.MakeFifo(fifo, 0x180));

        using var child = Child.Start("run", fifo);
        var (code, stdout, stderr) = await child.Finish();

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal("", stdout);
        Assert.Equal($"bootactors: {fifo}: is a named pipe (FIFO), not a regular file: give the scenario file as a file", stderr.TrimEnd('\n'));
    }

    /// <summary>The CLI of this build as a child process, its output collected as it comes.</summary>
    private sealed class Child : IDisposable
    {
        private const int SigInt = 2;
        private readonly Process process;
        private readonly Task<string> stdout;
        private readonly System.Text.StringBuilder stderr = new();

        private Child(Process process)
        {
            this.process = process;
            stdout = process.StandardOutput.ReadToEndAsync();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (stderr)
                    {
                        stderr.Append(line).Append('\n');
                    }
                }
            };
            process.BeginErrorReadLine();
        }

        public static Child Start(params string[] args) => Start(args, null);

        /// <summary>Starts bootactors with <paramref name="args"/>; <paramref name="stdoutTo"/> redirects its stdout to that file through the shell.</summary>
        public static Child Start(string[] args, string? stdoutTo)
        {
            var exe = Path.Combine(AppContext.BaseDirectory, "bootactors");
            var psi = stdoutTo is null ? new ProcessStartInfo(exe) : new ProcessStartInfo("/bin/sh");
            if (stdoutTo is not null)
            {
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add($"exec \"$0\" \"$@\" > '{stdoutTo}'");
                psi.ArgumentList.Add(exe);
            }

            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            psi.UseShellExecute = false;
            psi.WorkingDirectory = Cli.RepoRoot();

            // A test host started in the background by a non-interactive shell ignores SIGINT, and
            // children inherit an ignored signal; the child must get the default disposition, as a
            // command started from a terminal has.
            var ignored = SigIntIgnored();
            if (ignored)
            {
                Signal(SigInt, 0);
            }

            try
            {
                return new Child(Process.Start(psi)!);
            }
            finally
            {
                if (ignored)
                {
                    Signal(SigInt, 1);
                }
            }
        }

        public static async Task Until(Func<bool> condition, string what)
        {
            var sw = Stopwatch.StartNew();
            while (!condition())
            {
                Assert.True(sw.Elapsed < Patience, $"waited {Patience.TotalSeconds:0} s for {what}");
                await Task.Delay(100);
            }
        }

        public Task UntilStderr(string text) => Until(() =>
        {
            lock (stderr)
            {
                return stderr.ToString().Contains(text, StringComparison.Ordinal);
            }
        }, $"'{text}' on stderr");

        public void Interrupt() => Assert.Equal(0, Kill(process.Id, SigInt));

        public async Task<(int Code, string Stdout, string Stderr)> Finish()
        {
            using var timeout = new CancellationTokenSource(Patience);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"bootactors did not exit within {Patience.TotalSeconds:0} s");
            }

            var output = await stdout;
            lock (stderr)
            {
                return (process.ExitCode, output, stderr.ToString());
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }

        /// <summary>Whether this process ignores SIGINT (the SigIgn mask of /proc/self/status, bit 1).</summary>
        private static bool SigIntIgnored()
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
        }

        [DllImport("libc", EntryPoint = "kill")]
        private static extern int Kill(int pid, int signal);

        [DllImport("libc", EntryPoint = "signal")]
        private static extern IntPtr Signal(int signal, IntPtr handler);

        [DllImport("libc", EntryPoint = "mkfifo")]
        public static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
    }
}

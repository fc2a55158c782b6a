using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 4's memory target, measured: memory use of the 64 GiB Xen boot against the page tables
/// themselves (Machine.Memory.TablePageCount × 4096 bytes), target ≤ 1.5×. BenchmarkDotNet's
/// MemoryDiagnoser counts bytes allocated, not the peak, so each host runs once in a fresh process
/// of its own (so that the process's peak working set is that run's), which measures:
/// the managed heap before and after the run while holding the machine (GC.GetTotalMemory(true)),
/// the managed heap sampled every millisecond during the run, and the peak working set.
/// </summary>
public static class MemoryReport
{
    public const string ChildOption = "--memory-report-case";

    private const string ResultPrefix = "MEMORY-REPORT-RESULT ";

    private static readonly string[] Cases = ["sequential", "actor-controlled", "actor-free"];

    public sealed record Measurement
    {
        public required string Case { get; init; }
        public required string Outcome { get; init; }
        public long Work { get; init; }
        public string Unit { get; init; } = "";
        public double Seconds { get; init; }
        public long TablePages { get; init; }
        public long TableBytes { get; init; }
        public long ManagedBefore { get; init; }
        public long ManagedAfterHolding { get; init; }
        public long PeakManagedSampled { get; init; }
        public long PeakHeapAfterGc { get; init; }
        public long Allocated { get; init; }
        public long WorkingSetBefore { get; init; }
        public long PeakWorkingSet { get; init; }
        public int Gen2Collections { get; init; }
    }

    /// <summary>Runs every case in a child process and prints the report; 0 when every case ran.</summary>
    public static int Run()
    {
        Console.WriteLine();
        Console.WriteLine("// * Memory report (--memory-report): 64 GiB --xen boot, variant fixed; one fresh process per host *");
        var results = new List<Measurement>();
        foreach (var c in Cases)
        {
            Console.WriteLine($"// running {c} ...");
            if (RunInChild(c) is { } m)
            {
                results.Add(m);
            }
        }

        Print(results);
        return results.Count == Cases.Length ? 0 : 1;
    }

    private static Measurement? RunInChild(string name)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };

        // Started as "dotnet BootActors.Benchmarks.dll": the child needs the dll too.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(MemoryReport).Assembly.Location);
        }

        start.ArgumentList.Add(ChildOption);
        start.ArgumentList.Add(name);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {self}");
        Measurement? result = null;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                result = JsonSerializer.Deserialize<Measurement>(line[ResultPrefix.Length..]);
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        process.WaitForExit();
        if (process.ExitCode != 0 || result is null)
        {
            Console.WriteLine($"// {name}: the child process failed (exit code {process.ExitCode})");
        }

        return result;
    }

    /// <summary>In the child process: one run of <paramref name="name"/>, measured, written as one line of JSON.</summary>
    public static int RunChild(string name)
    {
        ActorHost? host = name.StartsWith("actor", StringComparison.Ordinal) ? Machines.CreateHost() : null;
        var mode = name == "actor-free" ? HostMode.Free : HostMode.Controlled;
        RunResult Once(MachineConfig config) =>
            host is null
                ? Simulation.Run(config, WorkloadPlan.BootOnly)
                : host.Run(config, WorkloadPlan.BootOnly, Machines.Options(host, mode)).Result;

        // Warm up the JIT (and the host's actor system) on a small machine, so the baseline holds them.
        Machines.ExpectOk(Once(Machines.Xen1GiB), name + " warm-up");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var workingSetBefore = self.WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen2Before = GC.CollectionCount(2);

        using var sampler = new Sampler();
        var sw = Stopwatch.StartNew();
        var result = Once(Machines.Xen64GiB);
        sw.Stop();
        sampler.Stop();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var afterHolding = GC.GetTotalMemory(forceFullCollection: true);
        self.Refresh();
        var tablePages = result.Machine.Memory.TablePageCount;
        var m = new Measurement
        {
            Case = name,
            Outcome = result.Outcome.ToString(),
            Work = result.Steps,
            Unit = host is null ? "steps" : "deliveries",
            Seconds = sw.Elapsed.TotalSeconds,
            TablePages = tablePages,
            TableBytes = tablePages * 4096L,
            ManagedBefore = before,
            ManagedAfterHolding = afterHolding,
            PeakManagedSampled = sampler.PeakManaged,
            PeakHeapAfterGc = sampler.PeakHeapAfterGc,
            Allocated = allocated,
            WorkingSetBefore = workingSetBefore,
            PeakWorkingSet = self.PeakWorkingSet64,
            Gen2Collections = GC.CollectionCount(2) - gen2Before,
        };

        // The machine is held until here: what GetTotalMemory(true) saw includes it.
        GC.KeepAlive(result);
        host?.Dispose();
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(m));
        return result.Outcome == Outcome.Ok ? 0 : 1;
    }

    private static void Print(IReadOnlyList<Measurement> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("#,0.0", CultureInfo.InvariantCulture) + " MiB";
        static string X(long bytes, long tables) => tables == 0 ? "?" : (bytes / (double)tables).ToString("0.00", CultureInfo.InvariantCulture) + "×";

        var rows = new List<string[]>
        {
            new[] { "Case", "Outcome", "Time", "Work", "Tables (pages×4096)", "Held after run (A)", "A/Tables", "Peak managed (B)", "B/Tables", "Peak heap after a GC (C)", "C/Tables", "Allocated", "Gen2 GCs", "Peak working set (D)", "D/Tables", "Working set before" },
        };
        foreach (var m in results)
        {
            var held = m.ManagedAfterHolding - m.ManagedBefore;
            var peak = m.PeakManagedSampled - m.ManagedBefore;
            var peakAfterGc = m.PeakHeapAfterGc - m.ManagedBefore;
            rows.Add([
                m.Case,
                m.Outcome,
                m.Seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
                m.Work.ToString("#,0", CultureInfo.InvariantCulture) + " " + m.Unit,
                $"{MiB(m.TableBytes)} ({m.TablePages:#,0})",
                MiB(held),
                X(held, m.TableBytes),
                MiB(peak),
                X(peak, m.TableBytes),
                peakAfterGc > 0 ? MiB(peakAfterGc) : "no GC",
                peakAfterGc > 0 ? X(peakAfterGc, m.TableBytes) : "-",
                MiB(m.Allocated),
                m.Gen2Collections.ToString(CultureInfo.InvariantCulture),
                MiB(m.PeakWorkingSet),
                X(m.PeakWorkingSet, m.TableBytes),
                MiB(m.WorkingSetBefore),
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        Console.WriteLine();
        foreach (var (row, n) in rows.Select((r, n) => (r, n)))
        {
            Console.WriteLine("| " + string.Join(" | ", row.Select((c, i) => c.PadLeft(widths[i]))) + " |");
            if (n == 0)
            {
                Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
            }
        }

        Console.WriteLine();
        Console.WriteLine("Tables: the page tables themselves, Machine.Memory.TablePageCount × 4096 bytes.");
        Console.WriteLine("A: GC.GetTotalMemory(true) after the run, still holding the machine, minus the same before the run (after a 1 GiB warm-up run): what the model keeps per machine.");
        Console.WriteLine("B: the managed heap (GC.GetTotalMemory(false)) sampled every 1 ms during the run, highest value, minus the baseline: includes garbage not yet collected.");
        Console.WriteLine("C: the heap size right after each GC during the run (GC.GetGCMemoryInfo().HeapSizeBytes), highest, minus the baseline: about the peak of live data.");
        Console.WriteLine("D: the process's peak working set (VmHWM, whole process: runtime, JIT, Akka, the warm-up run included, not minus a baseline).");
        Console.WriteLine("Target (issue 4): memory use no more than 1.5× the page tables.");
        foreach (var m in results)
        {
            var peak = m.PeakManagedSampled - m.ManagedBefore;
            var held = m.ManagedAfterHolding - m.ManagedBefore;
            var ok = (double)peak <= 1.5 * m.TableBytes;
            Console.WriteLine($"  {m.Case}: peak managed {X(peak, m.TableBytes)}, held {X(held, m.TableBytes)}, peak working set {X(m.PeakWorkingSet, m.TableBytes)} → peak managed {(ok ? "meets" : "misses")} the target");
        }
    }

    /// <summary>Samples the managed heap every millisecond on a thread of its own.</summary>
    private sealed class Sampler : IDisposable
    {
        private readonly Thread thread;
        private volatile bool stop;
        private long peakManaged;
        private long peakHeapAfterGc;

        public Sampler()
        {
            thread = new Thread(Loop) { IsBackground = true, Name = "memory sampler", Priority = ThreadPriority.AboveNormal };
            thread.Start();
        }

        public long PeakManaged => Interlocked.Read(ref peakManaged);

        public long PeakHeapAfterGc => Interlocked.Read(ref peakHeapAfterGc);

        private void Loop()
        {
            // GCs before the run (the forced one of the baseline) are not the run's.
            var lastGc = GC.GetGCMemoryInfo(GCKind.Any).Index;
            while (!stop)
            {
                Sample(ref lastGc);
                Thread.Sleep(1);
            }

            Sample(ref lastGc);
        }

        private void Sample(ref long lastGc)
        {
            var now = GC.GetTotalMemory(forceFullCollection: false);
            if (now > peakManaged)
            {
                Interlocked.Exchange(ref peakManaged, now);
            }

            var info = GC.GetGCMemoryInfo(GCKind.Any);
            if (info.Index != lastGc)
            {
                lastGc = info.Index;
                if (info.HeapSizeBytes > peakHeapAfterGc)
                {
                    Interlocked.Exchange(ref peakHeapAfterGc, info.HeapSizeBytes);
                }
            }
        }

        public void Stop()
        {
            stop = true;
            thread.Join();
        }

        public void Dispose() => Stop();
    }
}

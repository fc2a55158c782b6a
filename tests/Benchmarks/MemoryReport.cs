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
/// The memory targets, measured. Issue 4 (and issue 11, goal 3): memory use of the 64 GiB Xen boot
/// against the page tables themselves (the 4 KiB pages they would take as 512 stored entries,
/// Machine.Memory.TablePageCount × 4096 bytes), target ≤ 1.5× (≤ 1.3× in issue 11). Issue 11, goal 1:
/// the peak memory of a 4 TiB boot without PSE, target ≤ 1 GiB, beside the 64 GiB one.
/// BenchmarkDotNet's MemoryDiagnoser counts bytes allocated, not the peak, so each case runs once
/// in a fresh process of its own (so that the process's peak working set is that run's), which
/// measures: the managed heap before and after the run while holding the machine
/// (GC.GetTotalMemory(true)), the managed heap sampled every millisecond during the run, and the
/// peak working set.
/// </summary>
public static class MemoryReport
{
    public const string ChildOption = "--memory-report-case";

    private const string ResultPrefix = "MEMORY-REPORT-RESULT ";

    /// <summary>One measured run: a section of the report, a host, the machine and the small machine that warms the JIT up first.</summary>
    private sealed record Case(string Section, string Host, string MachineName, MachineConfig Machine, MachineConfig WarmUp)
    {
        public string Id => $"{Section}/{Host}/{MachineName}";
    }

    private const string Xen64 = "64 GiB --xen boot, variant fixed";
    private const string NoPse = "native boots without PSE, variant fixed: 64 GiB and 4 TiB";

    private static readonly Case[] Cases =
    [
        new(Xen64, "sequential", "64G", Machines.Xen64GiB, Machines.Xen1GiB),
        new(Xen64, "actor-controlled", "64G", Machines.Xen64GiB, Machines.Xen1GiB),
        new(Xen64, "actor-free", "64G", Machines.Xen64GiB, Machines.Xen1GiB),
        new(NoPse, "sequential", "64G", Machines.NoPse64GiB, Machines.NoPse1GiB),
        new(NoPse, "sequential", "4T", Machines.NoPse4TiB, Machines.NoPse1GiB),
        new(NoPse, "actor-controlled", "64G", Machines.NoPse64GiB, Machines.NoPse1GiB),
        new(NoPse, "actor-controlled", "4T", Machines.NoPse4TiB, Machines.NoPse1GiB),
    ];

    public sealed record Measurement
    {
        public required string Case { get; init; }
        public string Section { get; init; } = "";
        public string Machine { get; init; } = "";
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

    /// <summary>Runs every case in a child process and prints the report, one table per section; 0 when every case ran.</summary>
    public static int Run()
    {
        Console.WriteLine();
        Console.WriteLine("// * Memory report (--memory-report): one fresh process per case *");
        var results = new List<Measurement>();
        foreach (var c in Cases)
        {
            Console.WriteLine($"// running {c.Id} ...");
            if (RunInChild(c.Id) is { } m)
            {
                results.Add(m);
            }
        }

        foreach (var section in Cases.Select(c => c.Section).Distinct())
        {
            Print(section, results.Where(m => m.Section == section).ToList());
        }

        PrintGoals(results);
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

    /// <summary>In the child process: one run of the case <paramref name="id"/>, measured, written as one line of JSON.</summary>
    public static int RunChild(string id)
    {
        var c = Cases.FirstOrDefault(c => c.Id == id);
        if (c is null)
        {
            Console.Error.WriteLine($"{ChildOption}: no case '{id}' (cases: {string.Join(", ", Cases.Select(x => x.Id))})");
            return 2;
        }

        var name = c.Host;
        ActorHost? host = name.StartsWith("actor", StringComparison.Ordinal) ? Machines.CreateHost() : null;
        var mode = name == "actor-free" ? HostMode.Free : HostMode.Controlled;
        RunResult Once(MachineConfig config) =>
            host is null
                ? Simulation.Run(config, WorkloadPlan.BootOnly)
                : host.Run(config, WorkloadPlan.BootOnly, Machines.Options(host, mode)).Result;

        // Warm up the JIT (and the host's actor system) on a small machine, so the baseline holds them.
        Machines.ExpectOk(Once(c.WarmUp), id + " warm-up");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var workingSetBefore = self.WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen2Before = GC.CollectionCount(2);

        using var sampler = new Sampler();
        var sw = Stopwatch.StartNew();
        var result = Once(c.Machine);
        sw.Stop();
        sampler.Stop();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var afterHolding = GC.GetTotalMemory(forceFullCollection: true);
        self.Refresh();
        var tablePages = result.Machine.Memory.TablePageCount;
        var m = new Measurement
        {
            Case = name,
            Section = c.Section,
            Machine = c.MachineName,
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

    private static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("#,0.0", CultureInfo.InvariantCulture) + " MiB";

    private static string X(long bytes, long tables) => tables == 0 ? "?" : (bytes / (double)tables).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    private static void Print(string section, IReadOnlyList<Measurement> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        var rows = new List<string[]>
        {
            new[] { "Case", "Machine", "Outcome", "Time", "Work", "Tables (pages×4096)", "Held after run (A)", "A/Tables", "Peak managed (B)", "B/Tables", "Peak heap after a GC (C)", "C/Tables", "Allocated", "Gen2 GCs", "Peak working set (D)", "D/Tables", "Working set before" },
        };
        foreach (var m in results)
        {
            var held = m.ManagedAfterHolding - m.ManagedBefore;
            var peak = m.PeakManagedSampled - m.ManagedBefore;
            var peakAfterGc = m.PeakHeapAfterGc - m.ManagedBefore;
            rows.Add([
                m.Case,
                m.Machine,
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
        Console.WriteLine($"// {section}");
        foreach (var (row, n) in rows.Select((r, n) => (r, n)))
        {
            Console.WriteLine("| " + string.Join(" | ", row.Select((c, i) => c.PadLeft(widths[i]))) + " |");
            if (n == 0)
            {
                Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
            }
        }
    }

    /// <summary>The legend, then each section's targets against what was measured.</summary>
    private static void PrintGoals(IReadOnlyList<Measurement> results)
    {
        Console.WriteLine();
        Console.WriteLine("Tables: the page tables as the kernel holds them, Machine.Memory.TablePageCount × 4096 bytes (the model may hold less: a page whose entries form one run is a descriptor).");
        Console.WriteLine("A: GC.GetTotalMemory(true) after the run, still holding the machine, minus the same before the run (after a 1 GiB warm-up run): what the model keeps per machine.");
        Console.WriteLine("B: the managed heap (GC.GetTotalMemory(false)) sampled every 1 ms during the run, highest value, minus the baseline: includes garbage not yet collected.");
        Console.WriteLine("C: the heap size right after each GC during the run (GC.GetGCMemoryInfo().HeapSizeBytes), highest, minus the baseline: about the peak of live data.");
        Console.WriteLine("D: the process's peak working set (VmHWM, whole process: runtime, JIT, Akka, the warm-up run included, not minus a baseline).");

        Console.WriteLine("Targets for the 64 GiB Xen boot: peak managed memory ≤ 1.5× the page tables (issue 4), ≤ 1.3× (issue 11, goal 3).");
        foreach (var m in results.Where(r => r.Section == Xen64))
        {
            var peak = m.PeakManagedSampled - m.ManagedBefore;
            var held = m.ManagedAfterHolding - m.ManagedBefore;
            Console.WriteLine($"  {m.Case}: peak managed {X(peak, m.TableBytes)}, held {X(held, m.TableBytes)}, peak working set {X(m.PeakWorkingSet, m.TableBytes)} → " +
                              $"1.5× {((double)peak <= 1.5 * m.TableBytes ? "met" : "missed")}, 1.3× {((double)peak <= 1.3 * m.TableBytes ? "met" : "missed")}");
        }

        Console.WriteLine("Targets for the 4 TiB boot without PSE (issue 11, goal 1): peak working set (D) ≤ 1 GiB; time ≤ 8× the 64 GiB boot's on the same host (the time ratio of the BenchmarkDotNet run is the one that counts; this one is one run each).");
        foreach (var host in results.Where(r => r.Section == NoPse).Select(r => r.Case).Distinct())
        {
            var small = results.FirstOrDefault(r => r.Section == NoPse && r.Case == host && r.Machine == "64G");
            var big = results.FirstOrDefault(r => r.Section == NoPse && r.Case == host && r.Machine == "4T");
            if (small is null || big is null)
            {
                continue;
            }

            var ratio = small.Seconds > 0 ? big.Seconds / small.Seconds : double.NaN;
            Console.WriteLine($"  {host}: 4 TiB {big.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s, 64 GiB {small.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s " +
                              $"(ratio {ratio.ToString("0.0", CultureInfo.InvariantCulture)}, {(ratio <= 8 ? "met" : "missed")}); 4 TiB peak working set {MiB(big.PeakWorkingSet)} " +
                              $"({(big.PeakWorkingSet <= 1L << 30 ? "met" : "missed")}), outcome {big.Outcome}");
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

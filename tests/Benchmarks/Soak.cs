using System.Diagnostics;
using System.Globalization;
using BootActors.Actors.Exploration;
using BootActors.Actors.Host;

namespace BootActors.Benchmarks;

/// <summary>
/// Issue 9's soak: one long exploration in this process (hotadd-concurrent with the hotplug mutex,
/// random strategy, so every schedule runs to its end and none stops the search), sampling after
/// every <c>--every</c> schedules the live managed heap (after a full collection), the GC's heap
/// size and the process's working set. Flat memory means the live heap's slope over the second
/// half of the run is about zero bytes per schedule; it is printed with the table.
/// <c>dotnet run -c Release --project tests/Benchmarks -- --soak [--schedules 100000] [--every 5000] [--workers 1]</c>
/// </summary>
public static class Soak
{
    public const string Option = "--soak";

    public static int Run(string[] args)
    {
        var schedules = Value(args, "--schedules", 100_000);
        var every = Value(args, "--every", 5_000);
        var workers = Value(args, "--workers", 1);
        var spec = Machines.LoadSpec("hotadd-concurrent", "hotplug_mutex=on");
        var samples = new List<(int Schedules, double Seconds, long Live, long Heap, long WorkingSet)>();
        var sw = Stopwatch.StartNew();

        void Sample(int n)
        {
            var live = GC.GetTotalMemory(forceFullCollection: true);
            var info = GC.GetGCMemoryInfo();
            samples.Add((n, sw.Elapsed.TotalSeconds, live, info.HeapSizeBytes, Environment.WorkingSet));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak: {n} schedules, {sw.Elapsed.TotalSeconds:0} s, live heap {live / 1e6:0.0} MB, working set {Environment.WorkingSet / 1e6:0.0} MB"));
        }

        using var host = ActorHost.FromConfigDirectory();
        Sample(0);
        var result = new Explorer(host).Explore(spec, new ExploreOptions
        {
            Strategy = "random",
            Seed = 9,
            Iterations = schedules,
            Workers = workers,
            OnProgress = p =>
            {
                if (p.Schedules % every == 0)
                {
                    Sample(p.Schedules);
                }
            },
        });

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: explore hotadd-concurrent --set hotplug_mutex=on, random, seed 9, {workers} worker(s): {result.Schedules} schedules in {result.Seconds:0} s " +
            $"({result.SchedulesPerSecond:0}/s), {result.DistinctTraces} distinct traces, found: {result.Found}, error: {result.Error ?? "none"}"));
        Console.WriteLine("  schedules   seconds   live heap MB   GC heap MB   working set MB");
        foreach (var s in samples)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Schedules,9}   {s.Seconds,7:0}   {s.Live / 1e6,12:0.0}   {s.Heap / 1e6,10:0.0}   {s.WorkingSet / 1e6,14:0.0}"));
        }

        var half = samples.Where(s => s.Schedules >= schedules / 2).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  live heap slope over the second half: {Slope(half.Select(s => ((double)s.Schedules, (double)s.Live)).ToList()):0.0} bytes per schedule; " +
            $"working set slope: {Slope(half.Select(s => ((double)s.Schedules, (double)s.WorkingSet)).ToList()):0.0} bytes per schedule"));
        return result.Error is null ? 0 : 1;
    }

    /// <summary>Least-squares slope of y over x.</summary>
    private static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2)
        {
            return 0;
        }

        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var num = points.Sum(p => (p.X - mx) * (p.Y - my));
        var den = points.Sum(p => (p.X - mx) * (p.X - mx));
        return den == 0 ? 0 : num / den;
    }

    private static int Value(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
    }
}

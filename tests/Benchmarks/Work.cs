using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BootActors.Benchmarks;

/// <summary>
/// What one operation of a benchmark does, for the Work/op and Work/s columns: a fixed amount
/// (one ping-pong message, one schedule) said by an attribute, or a measured amount (the
/// deliveries of a boot) that the benchmark process writes for the host process to read.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WorkAttribute(string unit, double perOperation = 1) : Attribute
{
    public string Unit { get; } = unit;

    public double PerOperation { get; } = perOperation;
}

/// <summary>Measured work, passed from the benchmark processes (BenchmarkDotNet runs each case in its own) to the one printing the summary.</summary>
public static class Work
{
    /// <summary>Where the benchmark processes leave their counts; cleared by <see cref="Program"/> before a run.</summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("BOOTACTORS_BENCH_WORK") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Path.GetTempPath(), $"bootactors-benchmarks-{Environment.UserName}");

    public static string Key(Type type, string method) => $"{type.Name}.{method}";

    /// <summary>Records that one operation of <paramref name="type"/>.<paramref name="method"/> did <paramref name="perOperation"/> units, with a note.</summary>
    /// <param name="deliveriesPerOperation">Model messages one operation delivered, when they are not its unit (exploration: schedules).</param>
    public static void Record(Type type, string method, double perOperation, string unit, string note = "", double? deliveriesPerOperation = null)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var line = string.Join('\t', perOperation.ToString("R", CultureInfo.InvariantCulture), unit, note.Replace('\t', ' ').Replace('\n', ' '),
            deliveriesPerOperation?.ToString("R", CultureInfo.InvariantCulture) ?? "");
        File.WriteAllText(Path.Combine(Directory, Key(type, method) + ".txt"), line);
    }

    public static void Clear()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "*.txt"))
            {
                File.Delete(f);
            }
        }
    }

    /// <summary>The work of one operation of <paramref name="benchmark"/>: recorded by its process, else its <see cref="WorkAttribute"/>.</summary>
    public static (double PerOperation, string Unit, string Note)? Of(BenchmarkCase benchmark)
    {
        var method = benchmark.Descriptor.WorkloadMethod;
        if (Fields(benchmark) is { } parts && parts.Length >= 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return (n, parts[1], parts.Length > 2 ? parts[2] : "");
        }

        return method.GetCustomAttribute<WorkAttribute>() is { } a ? (a.PerOperation, a.Unit, "") : null;
    }

    /// <summary>The model messages one operation of <paramref name="benchmark"/> delivered: its work when that is deliveries, else what it recorded beside it.</summary>
    public static double? DeliveriesOf(BenchmarkCase benchmark)
    {
        if (Fields(benchmark) is { Length: >= 4 } parts && double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        return Of(benchmark) is { Unit: "delivery" } w ? w.PerOperation : null;
    }

    private static string[]? Fields(BenchmarkCase benchmark)
    {
        var file = Path.Combine(Directory, Key(benchmark.Descriptor.Type, benchmark.Descriptor.WorkloadMethod.Name) + ".txt");
        return File.Exists(file) ? File.ReadAllText(file).Split('\t') : null;
    }
}

/// <summary>A column computed from <see cref="Work.Of"/> and the case's mean time.</summary>
public sealed class WorkColumn : IColumn
{
    public enum Kind
    {
        PerOperation,
        PerSecond,
        Note,
    }

    private readonly Kind kind;

    private WorkColumn(Kind kind) => this.kind = kind;

    public static readonly WorkColumn PerOperation = new(Kind.PerOperation);
    public static readonly WorkColumn PerSecond = new(Kind.PerSecond);
    public static readonly WorkColumn Note = new(Kind.Note);

    public string Id => "BootActors.Work." + kind;

    public string ColumnName => kind switch
    {
        Kind.PerOperation => "Work/op",
        Kind.PerSecond => "Work/s",
        _ => "Note",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => kind != Kind.Note;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.PerOperation => "What one operation did: messages, model deliveries (actor host) or steps (sequential interpreter), schedules",
        Kind.PerSecond => "Work/op divided by the mean time of one operation: messages/s, deliveries/s, steps/s, schedules/s",
        _ => "What the runs found (outcome, violations)",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (Work.Of(benchmarkCase) is not { } work)
        {
            return "?";
        }

        switch (kind)
        {
            case Kind.PerOperation:
                return $"{work.PerOperation.ToString("#,0.##", CultureInfo.InvariantCulture)} {Plural(work.Unit, work.PerOperation)}";
            case Kind.PerSecond:
                var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
                if (mean is not > 0)
                {
                    return "NA";
                }

                var perSecond = work.PerOperation / (mean.Value * 1e-9);
                return $"{perSecond.ToString("#,0", CultureInfo.InvariantCulture)} {Plural(work.Unit, 2)}/s";
            default:
                return work.Note.Length > 0 ? work.Note : "-";
        }
    }

    private static string Plural(string unit, double n) =>
        n == 1 ? unit
        : unit.EndsWith('y') && unit.Length > 1 && !"aeiou".Contains(unit[^2], StringComparison.Ordinal) ? unit[..^1] + "ies"
        : unit + "s";

    public override string ToString() => ColumnName;
}

/// <summary>
/// Deliveries/s of a model case as a share of the one-thread ping-pong's messages/s measured in the
/// same run (<see cref="PingPongBenchmarks.OneThreadDispatcher"/>, the dispatcher controlled mode uses):
/// how close the actor host comes to raw Akka.NET.
/// </summary>
public sealed class PingPongShareColumn : IColumn
{
    public static readonly PingPongShareColumn Instance = new();

    public string Id => "BootActors.PingPongShare";

    public string ColumnName => "Deliveries/s (of ping-pong)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 10;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Model messages delivered per second, and that as a share of the one-thread ping-pong's messages/s in this run";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (Work.DeliveriesOf(benchmarkCase) is not { } deliveries || mean is not > 0)
        {
            return "-";
        }

        var perSecond = deliveries / (mean.Value * 1e-9);
        var text = perSecond.ToString("#,0", CultureInfo.InvariantCulture) + "/s";
        var pingPong = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == typeof(PingPongBenchmarks) && c.Descriptor.WorkloadMethod.Name == nameof(PingPongBenchmarks.OneThreadDispatcher));
        var pingPongMean = pingPong is null ? null : summary[pingPong]?.ResultStatistics?.Mean;
        return pingPongMean is > 0
            ? $"{text} ({(perSecond * pingPongMean.Value * 1e-9).ToString("0.0%", CultureInfo.InvariantCulture)})"
            : text + " (ping-pong not run)";
    }

    public override string ToString() => ColumnName;
}

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BootActors.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/Benchmarks -- --filter '*' [--job short] [--memory-report]</c>:
/// every benchmark of this assembly in one BenchmarkDotNet run with one joined summary table, then,
/// with <c>--memory-report</c>, the measured memory check of the 64 GiB Xen boot. Any other argument
/// is BenchmarkDotNet's own (--filter, --job, --list flat, --exporters, ...). <c>--soak</c> runs
/// <see cref="Soak"/> instead: a 100,000-schedule exploration's memory over time.
/// </summary>
public static class Program
{
    public const string MemoryReportOption = "--memory-report";

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == MemoryReport.ChildOption)
        {
            return MemoryReport.RunChild(args[1]);
        }

        if (args.Contains(Soak.Option, StringComparer.Ordinal))
        {
            return Soak.Run(args);
        }

        var memoryReport = args.Contains(MemoryReportOption, StringComparer.Ordinal);
        var bdnArgs = args.Where(a => a != MemoryReportOption).ToArray();

        // --memory-report alone: only the memory check (BenchmarkDotNet would otherwise ask which benchmarks to run).
        if (bdnArgs.Length > 0 || !memoryReport)
        {
            Work.Clear();
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(bdnArgs, Config()).ToList();
            if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
            {
                Console.Error.WriteLine("Some benchmarks failed; see the log above.");
                if (!memoryReport)
                {
                    return 1;
                }
            }
        }

        return memoryReport ? MemoryReport.Run() : 0;
    }

    /// <summary>
    /// BenchmarkDotNet's defaults, one joined summary (ping-pong, model runs and exploration side by
    /// side), the Work/op, Work/s and Note columns, and the cases in declaration order by category.
    /// </summary>
    public static IConfig Config() =>
        DefaultConfig.Instance
            .WithOptions(ConfigOptions.JoinSummary)
            .AddColumn(WorkColumn.PerOperation, WorkColumn.PerSecond, PingPongShareColumn.Instance, WorkColumn.Note)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared, BenchmarkDotNet.Order.MethodOrderPolicy.Declared))
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
}

using System.CommandLine;
using BootActors.Cli.Logging;
using BootActors.Cli.Options;
using BootActors.Cli.Output;
using BootActors.Cli.Scenarios;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;
using BootActors.Actors.Host;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Settings;
using BootActors.Actors.Trace;
using BootActors.Model.Files;
using BootActors.Model.Interpreter;

namespace BootActors.Cli;

/// <summary><c>bootactors run</c>: boot one machine (and run a scenario's workload) on the actor host or the sequential interpreter and report it.</summary>
internal sealed class RunCommand
{
    private readonly MachineOptions machine = new();

    private readonly Option<bool> json = new("--json")
    {
        Description = "Print exactly one JSON object on stdout (kernel log lines still go to stderr).",
    };

    private readonly Option<bool> dump = new("--dump")
    {
        Description = "Print the direct-map part of /sys/kernel/debug/kernel_page_tables (dump_pagetables.c format).",
    };

    private readonly Option<bool> meminfo = new("--meminfo")
    {
        Description = "Print the DirectMap lines of /proc/meminfo.",
    };

    private readonly Option<string?> host = new("--host")
    {
        Description = "Where the kernel code runs: actors (each CPU, TLB, the allocator, the lock, memory and Xen are Akka.NET actors) " +
                      "or sequential (the fast reference interpreter) [default: actors].",
        HelpName = "actors|sequential",
    };

    private readonly Option<string?> mode = new("--mode")
    {
        Description = "Actor host only: controlled (a conductor orders every message; same seed, same trace) or free " +
                      "(actors message each other on the thread pool; real interleavings) [default: controlled].",
        HelpName = "controlled|free",
    };

    private readonly Option<string?> seed = new("--seed")
    {
        Description = "Controlled mode: the seed of the random schedule [default: 0].",
        HelpName = "N",
    };

    private readonly Option<string?> trace = new Option<string?>("--trace")
    {
        Description = "Actor host only: write every delivered message as JSON Lines to FILE.",
        HelpName = "FILE.jsonl",
    }.Named("a trace file");

    private readonly LimitOptions limits = new(
        "Actor host, controlled mode: stop the run after this many delivered messages [default: bootactors.conductor.max-steps in config/akka.hocon, 50000000, or 64 per 2 MiB of RAM if more].");

    private readonly IScenarioLoader loader;
    private readonly TextWriter output;
    private readonly TextWriter errors;

    public RunCommand(IScenarioLoader scenarios, TextWriter stdout, TextWriter stderr)
    {
        loader = scenarios;
        output = stdout;
        errors = stderr;
        Command = new Command("run",
            "Boot a machine: setup_arch's e820 report, then init_memory_mapping(0, end) on CPU0, then a scenario's workload " +
            "(hot-add, touch, hot-remove on other CPUs), on the actor host (each CPU, TLB, the allocator, the lock, memory and Xen an Akka.NET actor; " +
            "--host sequential runs the reference interpreter instead). " +
            "Prints a summary in kernel terms on stdout (with a scenario: its description first and whether its expected outcome held) " +
            "and the kernel's log lines on stderr. Exit codes: see 'bootactors --help'.");
        machine.AddTo(Command, before: [machine.Set, host, mode, seed, trace]);
        foreach (var option in new Option[] { json, dump, meminfo })
        {
            Command.Options.Add(option);
        }

        limits.AddTo(Command);
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    /// <summary>Runs the machine and workload on the chosen host; both give the same <see cref="RunResult"/>.</summary>
    private static (RunResult Result, HostReport? Host) RunOnHost(HostChoice choice, RunBounds bounds, MachineConfig machine, WorkloadPlan workload,
        string scenarioName, IReadOnlyList<string> inputs, Action<LogLine> onLog)
    {
        if (!choice.Actors)
        {
            return (Simulation.Run(machine, workload, onLog, bounds.Timeout), null);
        }

        using var actors = ActorHost.FromConfigDirectory();
        using var file = choice.TraceFile is { } path ? OutputFile.Create(path, inputs) : null;
        JsonlTraceSink? sink = null;
        if (file is not null)
        {
            var topology = new Topology(Math.Max(1, machine.Cpus), machine.Xen);
            sink = new JsonlTraceSink(file.Stream, new TraceHeader(scenarioName, choice.Mode == HostMode.Free ? "free" : "controlled",
                choice.Mode == HostMode.Free ? null : choice.Seed, choice.Mode == HostMode.Free ? "free" : "random", topology.Names)
            {
                Spec = new RunSpec(scenarioName, machine, workload),
            }, ownsStream: false);
            if (sink.WriteError is { } early)
            {
                throw file.Failed(early);
            }
        }

        ActorRunResult run;
        try
        {
            run = actors.Run(machine, workload, actors.DefaultOptions() with
            {
                Mode = choice.Mode,
                Seed = choice.Seed,
                Trace = sink,
                OnLog = onLog,
                MaxSteps = bounds.MaxDeliveries,
                Timeout = bounds.Timeout,
            });
        }
        finally
        {
            sink?.Dispose();
        }

        if (sink?.WriteError is { } error)
        {
            throw file!.Failed(error);
        }

        file?.Commit();
        return (run.Result, new HostReport(run, choice.TraceFile, sink?.Events ?? 0));
    }

    private HostChoice ParseHost(ParseResult parse)
    {
        var h = parse.GetValue(host)?.Trim().ToLowerInvariant() ?? "actors";
        if (h is not ("actors" or "sequential"))
        {
            throw new UsageException($"--host {h}: expected actors or sequential");
        }

        var m = parse.GetValue(mode)?.Trim().ToLowerInvariant() ?? "controlled";
        if (m is not ("controlled" or "free"))
        {
            throw new UsageException($"--mode {m}: expected controlled or free");
        }

        long seedValue = 0;
        if (parse.GetValue(seed) is { } sv && !long.TryParse(sv, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out seedValue))
        {
            throw new UsageException($"--seed {sv}: expected an integer");
        }

        var traceFile = parse.GetValue(trace);

        // An option that would do nothing on the chosen host is refused: the user meant something by it.
        if (h == "sequential" && new[] { (mode.Name, parse.GetValue(mode)), (seed.Name, parse.GetValue(seed)), (trace.Name, traceFile),
                (limits.MaxDeliveries.Name, parse.GetValue(limits.MaxDeliveries)) }.FirstOrDefault(o => o.Item2 is not null) is { Item2: { } v } given)
        {
            throw new UsageException($"{given.Item1} {v} needs --host actors: the sequential interpreter sends no messages, so it has no " +
                                     (given.Item1 == seed.Name ? "schedule to seed" : given.Item1 == trace.Name ? "messages to trace" : given.Item1 == mode.Name ? "mode" : "deliveries to count"));
        }

        if (m == "free" && parse.GetValue(limits.MaxDeliveries) is { } md)
        {
            throw new UsageException($"--max-deliveries {md} needs --mode controlled (in free mode no conductor counts deliveries)");
        }

        if (m == "free" && parse.GetValue(seed) is { } sd)
        {
            throw new UsageException($"--seed {sd} needs --mode controlled (in free mode the thread pool, not a seeded schedule, orders the messages)");
        }

        return new HostChoice(h == "actors", m == "free" ? HostMode.Free : HostMode.Controlled, seedValue, traceFile);
    }

    private int Execute(ParseResult parse)
    {
        var request = machine.Request(parse) with
        {
            Json = parse.GetValue(json),
            Dump = parse.GetValue(dump),
            Meminfo = parse.GetValue(meminfo),
        };

        var choice = ParseHost(parse);
        var bounds = limits.Parse(parse, BootActorsSettings.FromConfigDirectory(ActorHost.Defaults));
        var setup = MachineBuilder.Build(request, loader, bootFolds: choice.TraceFile is null);
        var log = CliLogging.For(errors);
        var workload = setup.Scenario?.Workload ?? WorkloadPlan.BootOnly;
        string[] inputs = [.. new[] { setup.Scenario?.SourcePath, request.E820 }.OfType<string>()];
        bounds = bounds.ScaledTo(setup.Machine);
        var (result, hostReport) = RunOnHost(choice, bounds, setup.Machine, workload, setup.Scenario?.Name ?? "(command line)", inputs,
            line => log.Information("{Line}", line.Text));
        var limit = RunLimits.Of(result.Stop);
        var limitLine = limit == RunLimit.None ? null : bounds.Describe(limit, result.Steps);

        var meminfoLines = request.Meminfo ? Meminfo.Lines(result.Machine) : null;
        var dumpLines = request.Dump ? KernelPageTablesDump.Lines(result.Machine.Memory) : null;
        if (request.Json)
        {
            output.WriteLine(JsonOutput.Render(result, meminfoLines, dumpLines, setup.Scenario, hostReport,
                limitLine is null ? null : (bounds.Option(limit), limitLine)));
        }
        else
        {
            var text = new TextOutput(output);
            if (setup.Scenario is { } header)
            {
                text.Write(ScenarioReport.Header(header));
                output.WriteLine();
            }

            text.Write(HumanSummary.Lines(result, limitLine));

            output.WriteLine();
            text.Write(HostReport.Lines(hostReport, result));
            if (meminfoLines is not null)
            {
                output.WriteLine();
                text.Write(meminfoLines);
            }

            if (dumpLines is not null)
            {
                output.WriteLine();
                text.Write(dumpLines);
            }

            if (setup.Scenario is { } verdict)
            {
                output.WriteLine();
                text.Write(ScenarioReport.Verdict(verdict, result));
            }
        }

        output.Flush();
        if (limitLine is not null)
        {
            errors.WriteLine($"bootactors: {limitLine}");
            return ExitCodes.LimitReached;
        }

        if (result.Outcome == Outcome.Failed)
        {
            return ExitCodes.InternalError;
        }

        if (setup.Scenario?.Expect is { } expect && !expect.Check(result).Met)
        {
            return ExitCodes.ExpectationNotMet;
        }

        return result.Outcome == Outcome.Ok ? ExitCodes.Ok : ExitCodes.BadOutcome;
    }
}

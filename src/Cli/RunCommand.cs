using System.CommandLine;
using BootActors.Cli.Logging;
using BootActors.Cli.Options;
using BootActors.Cli.Output;
using BootActors.Cli.Scenarios;
using BootActors.Model;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Cli;

/// <summary><c>bootactors run</c>: boot one machine (and run a scenario's workload) on the sequential interpreter and report it.</summary>
internal sealed class RunCommand
{
    private readonly Argument<string?> scenario = new("SCENARIO")
    {
        Description = "A scenario: a name from config/scenarios (e.g. hotadd-concurrent) or a .hocon file. It gives the machine, " +
                      "the workload after the boot and the expected outcome; the options below override its machine settings.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string[]> set = new("--set")
    {
        Description = "Override a key of the scenario file, e.g. --set hotplug_mutex=on, --set hunks=nonpse_fallback,preserve_existing, " +
                      "--set expect.outcome=ok (repeatable; later ones win).",
        HelpName = "KEY=VALUE",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> memory = new("--memory")
    {
        Description = $"RAM size: one usable e820 entry [0, SIZE), e.g. 16G, 512M, 4096K, 1T, 16GiB, 0x100000000 [default: {MachineBuilder.DefaultMemory}].",
        HelpName = "SIZE",
    };

    private readonly Option<string?> e820 = new("--e820")
    {
        Description = "Read the e820 map from a kernel log (BIOS-e820:/Xen: lines, old or new format).",
        HelpName = "FILE",
    };

    private readonly Option<string?> pse = new("--pse")
    {
        Description = "cpu_has_pse (forced off under --xen) [default: on].",
        HelpName = "on|off",
    };

    private readonly Option<string?> gbpages = new("--gbpages")
    {
        Description = "cpu_has_gbpages and direct_gbpages (forced off under --xen) [default: off].",
        HelpName = "on|off",
    };

    private readonly Option<bool> xen = new("--xen")
    {
        Description = "Boot as a Xen PV domU (implies no PSE, no gbpages).",
    };

    private readonly Option<string?> variant = new("--variant")
    {
        Description = "before (the seed's parent), after (the seed 4f9c11dd49fb), fixed (the seed plus later fixes) [default: fixed].",
        HelpName = "before|after|fixed",
    };

    private readonly Option<string?> hunks = new("--hunks")
    {
        Description = "Replace the variant's seed hunks: comma-separated nonpse_fallback, unmap_before_populate, preserve_existing, table_space_ptes; or all, none.",
        HelpName = "LIST",
    };

    private readonly Option<string?> fixes = new("--fixes")
    {
        Description = "Replace the variant's later fixes: comma-separated commits 22b45144f67, 574977a2edd, 8ae3a5a8dff, a06de63000b, 60817c9b31e (or their aliases); or all, none.",
        HelpName = "LIST",
    };

    private readonly Option<string?> kernelSize = new("--kernel-size")
    {
        Description = "Size of the kernel image reserved at 2 MiB [default: 8M].",
        HelpName = "SIZE",
    };

    private readonly Option<string?> cpus = new("--cpus")
    {
        Description = "Number of CPUs [default: 1].",
        HelpName = "N",
    };

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
            "(hot-add, touch, hot-remove on other CPUs), on the sequential interpreter. " +
            "Prints a summary in kernel terms on stdout (with a scenario: its description first and whether its expected outcome held) " +
            "and the kernel's log lines on stderr.\n\n" + ExitCodes.HelpText);
        Command.Arguments.Add(scenario);
        foreach (var option in new Option[] { set, memory, e820, pse, gbpages, xen, variant, hunks, fixes, kernelSize, cpus, json, dump, meminfo })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Execute);
    }

    public Command Command { get; }

    /// <summary>
    /// Runs the machine and workload. The sequential interpreter is the only host for now; the actor
    /// host plugs in here behind a --host actors|sequential option, both taking the same inputs and
    /// giving the same <see cref="RunResult"/>, so nothing else in the command changes.
    /// </summary>
    private static RunResult RunOnHost(MachineConfig machine, WorkloadPlan workload, Action<LogLine> onLog) =>
        Simulation.Run(machine, workload, onLog);

    private int Execute(ParseResult parse)
    {
        var request = new RunRequest
        {
            Scenario = parse.GetValue(scenario),
            Sets = parse.GetValue(set) ?? [],
            Memory = parse.GetValue(memory),
            E820 = parse.GetValue(e820),
            Pse = parse.GetValue(pse),
            Gbpages = parse.GetValue(gbpages),
            Xen = parse.GetValue(xen),
            Variant = parse.GetValue(variant),
            Hunks = parse.GetValue(hunks),
            Fixes = parse.GetValue(fixes),
            KernelSize = parse.GetValue(kernelSize),
            Cpus = parse.GetValue(cpus),
            Json = parse.GetValue(json),
            Dump = parse.GetValue(dump),
            Meminfo = parse.GetValue(meminfo),
        };

        var setup = MachineBuilder.Build(request, loader);
        var log = CliLogging.For(errors);
        var workload = setup.Scenario?.Workload ?? WorkloadPlan.BootOnly;
        var result = RunOnHost(setup.Machine, workload, line => log.Information("{Line}", line.Text));

        var meminfoLines = request.Meminfo ? Meminfo.Lines(result.Machine) : null;
        var dumpLines = request.Dump ? KernelPageTablesDump.Lines(result.Machine.Memory) : null;
        if (request.Json)
        {
            output.WriteLine(JsonOutput.Render(result, meminfoLines, dumpLines, setup.Scenario));
        }
        else
        {
            var text = new TextOutput(output);
            if (setup.Scenario is { } header)
            {
                text.Write(ScenarioReport.Header(header));
                output.WriteLine();
            }

            text.Write(HumanSummary.Lines(result));
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
        return result.Outcome switch
        {
            Outcome.Ok => ExitCodes.Ok,
            Outcome.Failed => ExitCodes.InternalError,
            _ => ExitCodes.BadOutcome,
        };
    }
}

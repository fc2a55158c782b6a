using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using BootActors.Cli.Options;
using BootActors.Cli.Scenarios;
using BootActors.Model.Kernel;
using BootActors.Model.Workload;

namespace BootActors.Cli.Ablate;

/// <summary>
/// <c>bootactors ablate</c>: which hunks of the seed, and which later fixes, a machine needs. Runs the
/// machine (and a scenario's workload) under every combination of the chosen switches on the
/// sequential interpreter and prints one row per combination, grouped by result, with a conclusion.
/// </summary>
internal sealed class AblateCommand
{
    private readonly MachineOptions machine = new();

    private readonly Option<string?> over = new("--over")
    {
        Description = "What to vary: hunks (the seed's four: 16 combinations), fixes (the five later fixes: 32) or both (512) [default: hunks].",
        HelpName = "hunks|fixes|both",
    };

    private readonly Option<bool> json = new("--json")
    {
        Description = "Print one JSON object: {\"rows\": [{\"hunks\": [...], \"fixes\": [...], \"outcome\": ..., \"errors\": [...]}, ...], \"conclusion\": ...}.",
    };

    private readonly Option<bool> markdown = new("--markdown")
    {
        Description = "Print the table in Markdown, to paste into a mail or a commit message.",
    };

    private readonly Option<string?> jobs = new("--jobs")
    {
        Description = $"Combinations run at once [default: the cores, {Environment.ProcessorCount} here].",
        HelpName = "N",
    };

    private readonly IScenarioLoader loader;
    private readonly TextWriter output;

    public AblateCommand(IScenarioLoader scenarios, TextWriter stdout)
    {
        loader = scenarios;
        output = stdout;
        Command = new Command("ablate",
            "Which hunks of the seed (4f9c11dd49fb) a machine needs, and which later fixes matter: boot it (and run a scenario's " +
            "workload) with every combination of the chosen switches on the sequential interpreter, in parallel, and print one row " +
            "per combination — the switches, the outcome, the first error's kind and its call chain — grouped by result, then a " +
            "one-line conclusion. The switches not varied come from --variant (default here: after, the seed), --hunks and --fixes.\n\n" +
            "Exit codes: 0 the table was printed (whatever the outcomes); 2 user error; 3 internal failure.");
        machine.AddTo(Command, before: [over]);
        Command.Options.Add(json);
        Command.Options.Add(markdown);
        Command.Options.Add(jobs);
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    private int Execute(ParseResult parse)
    {
        var axis = (parse.GetValue(over)?.Trim().ToLowerInvariant() ?? "hunks") switch
        {
            "hunks" => AblationAxis.Hunks,
            "fixes" => AblationAxis.Fixes,
            "both" => AblationAxis.Both,
            var other => throw new UsageException($"--over {other}: expected hunks, fixes or both"),
        };
        var request = machine.Request(parse);
        if (request.Hunks is not null && axis != AblationAxis.Fixes)
        {
            throw new UsageException($"--hunks {request.Hunks}: ablate --over {Name(axis)} varies the hunks itself; give --hunks only with --over fixes");
        }

        if (request.Fixes is not null && axis != AblationAxis.Hunks)
        {
            throw new UsageException($"--fixes {request.Fixes}: ablate --over {Name(axis)} varies the fixes itself; give --fixes only with --over hunks");
        }

        if (parse.GetValue(json) && parse.GetValue(markdown))
        {
            throw new UsageException("--json and --markdown are two forms of the same table: give one");
        }

        var parallelism = Environment.ProcessorCount;
        if (parse.GetValue(jobs) is { } j && (!int.TryParse(j, NumberStyles.None, CultureInfo.InvariantCulture, out parallelism) || parallelism < 1))
        {
            throw new UsageException($"--jobs {j}: expected a positive number of runs at once");
        }

        // Without a scenario or --variant, the seed is the base: its hunks are what is asked about.
        if (request.Variant is null && request.Scenario is null)
        {
            request = request with { Variant = "after" };
        }

        var setup = MachineBuilder.Build(request, loader, "ablate", bootFolds: true);
        var workload = setup.Scenario?.Workload ?? WorkloadPlan.BootOnly;
        var switches = Ablation.Switches(axis);
        var rows = Ablation.Run(setup.Machine, workload, axis, parallelism);

        var m = setup.Machine;
        var kind = m.Xen ? "Xen" : "The native kernel";
        var subject = setup.Scenario is null ? kind : $"{setup.Scenario.Name} ({(m.Xen ? "Xen" : "native")})";
        var verb = setup.Scenario is null || workload.Steps.Count == 0 ? "boots" : "runs cleanly";
        var report = new AblationReport(switches, rows, axis, subject, verb);
        var kept = axis switch
        {
            AblationAxis.Hunks => $"fixes {List(m.Variant.FixNames)}",
            AblationAxis.Fixes => $"hunks {List(m.Variant.HunkNames)}",
            _ => "",
        };
        var machineText = $"{m.E820Origin}, {(m.Xen ? "Xen PV guest" : "native")}, PSE {(m.EffectivePse ? "on" : "off")}, gbpages {(m.EffectiveGbpages ? "on" : "off")}, " +
                          $"{m.Cpus} CPU(s){(setup.Scenario is { } sc ? $", scenario {sc.Name}" : "")}";

        if (parse.GetValue(json))
        {
            output.WriteLine(report.Json(new JsonObject
            {
                ["machine"] = machineText,
                ["over"] = Name(axis),
                ["kept"] = kept.Length == 0 ? null : kept,
                ["combinations"] = rows.Count,
            }));
        }
        else if (parse.GetValue(markdown))
        {
            output.WriteLine($"`bootactors ablate --over {Name(axis)}`: {machineText}{(kept.Length > 0 ? $"; {kept}" : "")}.");
            output.WriteLine();
            foreach (var line in report.Markdown())
            {
                output.WriteLine(line);
            }
        }
        else
        {
            output.WriteLine($"ablate over the {Name(axis)}: {rows.Count} combinations of {machineText}{(kept.Length > 0 ? $"; {kept}" : "")}; sequential host, {Math.Min(parallelism, rows.Count)} at once");
            output.WriteLine();
            foreach (var line in report.Text())
            {
                output.WriteLine(line);
            }

            output.WriteLine();
            output.WriteLine(report.Conclusion() + ".");
        }

        output.Flush();
        return ExitCodes.Ok;
    }

    private static string Name(AblationAxis axis) => axis.ToString().ToLowerInvariant();

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(",", names);
}

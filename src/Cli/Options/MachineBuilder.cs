using System.Globalization;
using BootActors.Cli.Scenarios;
using BootActors.Model;
using BootActors.Model.E820;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Workload;

namespace BootActors.Cli.Options;

/// <summary>What <c>bootactors run</c> runs: the machine after every override, and the scenario it came from (if any).</summary>
internal sealed record RunSetup(MachineConfig Machine, Scenario? Scenario);

/// <summary>
/// Turns a <see cref="RunRequest"/> into the <see cref="MachineConfig"/> to boot. Every value the
/// user typed is checked here, before anything is simulated, and a bad one is a
/// <see cref="UsageException"/> naming the option, so no user mistake reaches the model as an
/// exception from deep inside it.
/// </summary>
internal static class MachineBuilder
{
    public const string DefaultMemory = "8G";

    /// <param name="bootFolds">The boot runs unwatched (no trace): see <see cref="RunSpecLimits.Check"/>.</param>
    public static RunSetup Build(RunRequest r, IScenarioLoader scenarios, string command = "run", bool bootFolds = false)
    {
        if (r.Memory is not null && r.E820 is not null)
        {
            throw new UsageException("--memory and --e820 are mutually exclusive: give the RAM size or an e820 map, not both");
        }

        if (r.Sets.Count > 0 && r.Scenario is null)
        {
            throw new UsageException($"--set overrides a scenario's keys: give a SCENARIO too (e.g. 'bootactors {command} hotadd-concurrent --set hotplug_mutex=on')");
        }

        var scenario = r.Scenario is { } path ? LoadScenario(scenarios, path, r.Sets) : null;
        var config = scenario?.Machine ?? Defaults();

        if (r.Memory is { } memory)
        {
            var bytes = SizeParser.Parse(memory, "--memory");
            config = config with { E820 = E820Map.FromMemorySize(bytes), E820Origin = $"--memory {memory}" };
        }
        else if (r.E820 is { } file)
        {
            // E820FormatException's message is already "file:line: reason"; CliApp prints it as is.
            var e820Path = E820Samples.Resolve(file);
            config = config with { E820 = E820Parser.ParseFile(e820Path), E820Origin = e820Path };
        }

        if (r.Pse is { } pse)
        {
            config = config with { Pse = OnOff(pse, "--pse") };
        }

        if (r.Gbpages is { } gb)
        {
            config = config with { Gbpages = OnOff(gb, "--gbpages") };
        }

        if (r.Xen)
        {
            config = config with { Xen = true };
        }

        config = config with { Variant = Variant(r, config.Variant) };

        if (r.KernelSize is { } ks)
        {
            config = config with { KernelSize = SizeParser.Parse(ks, "--kernel-size") };
        }

        if (r.Cpus is { } cpus)
        {
            // The range is RunSpecLimits' (below); a number too long for an int is out of it anyway.
            if (!int.TryParse(cpus.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                n = cpus.Trim().All(char.IsAsciiDigit) && cpus.Trim().Length > 0 ? int.MaxValue : throw new UsageException($"--cpus: '{cpus}' is not a CPU count (expected a whole number)");
            }

            config = config with { Cpus = n };
        }

        Check(config, scenario?.Workload ?? WorkloadPlan.BootOnly, r, scenario, bootFolds);
        return new RunSetup(config, scenario);
    }

    /// <summary>
    /// The run-spec limits every reader shares (<see cref="RunSpecLimits"/>), with this host's memory;
    /// a problem is reported at the option the user typed, or else at the scenario's key.
    /// </summary>
    public static void Check(MachineConfig config, WorkloadPlan workload, RunRequest? r, Scenario? scenario, bool bootFolds = false)
    {
        if (RunSpecLimits.Check(config, workload, RunSpecLimits.HostMemory(), bootFolds) is not { } p)
        {
            return;
        }

        // A kernel image that does not fit the RAM is the RAM's problem unless --kernel-size was typed.
        string? ram = r?.Memory is { } m ? $"--memory {m}" : r?.E820 is { } e ? $"--e820 {e}" : null;
        var option = p.Key switch
        {
            "cpus" => r?.Cpus is { } v ? $"--cpus {v}" : null,
            "kernel_size" => r?.KernelSize is { } v ? $"--kernel-size {v}" : ram,
            "memory" => ram,
            _ => null,
        };
        var where = option ?? (scenario is null
            ? p.Key
            : $"{scenario.SourcePath ?? scenario.Name}: {ScenarioKey(p)}");
        throw new UsageException($"cannot build this machine: {where}: {p.Reason}");
    }

    private static string ScenarioKey(SpecProblem p) => p.Key != "workload" ? p.Key : p.Field switch
    {
        _ when p.Event < 0 => $"workload[{p.Step}]",
        null => $"workload[{p.Step}], event {p.Event}",
        "cpu" => $"workload[{p.Step}], event {p.Event}, cpu",
        var f => $"workload[{p.Step}], event {p.Event}, {p.EventKind}.{f}",
    };

    /// <summary>The machine of a bare <c>bootactors run</c>: 8 GiB flat, PSE, no gbpages, native, fixed, one CPU, 8 MiB kernel.</summary>
    public static MachineConfig Defaults() => new()
    {
        E820 = E820Map.FromMemorySize(8UL << 30),
        E820Origin = $"--memory {DefaultMemory}",
        Variant = KernelVariant.Fixed,
        Pse = true,
        Gbpages = false,
        Xen = false,
        Cpus = 1,
        KernelSize = StaticTables.DefaultKernelSize,
    };

    /// <summary>--variant picks the base sets; --hunks and --fixes then replace one set each.</summary>
    private static KernelVariant Variant(RunRequest r, KernelVariant scenarioVariant)
    {
        var variant = scenarioVariant;
        if (r.Variant is { } name)
        {
            variant = Interpret("--variant", () => KernelVariant.Named(name.Trim().ToLowerInvariant()));
        }

        if (r.Hunks is { } hunks)
        {
            variant = variant with { Hunks = Interpret("--hunks", () => KernelSwitches.ParseHunks(hunks)) };
        }

        if (r.Fixes is { } fixes)
        {
            variant = variant with { Fixes = Interpret("--fixes", () => KernelSwitches.ParseFixes(fixes)) };
        }

        return variant;
    }

    // The model's parsers report an unknown name with an ArgumentException whose message lists the
    // valid names; only those calls are wrapped, so a model bug elsewhere still surfaces as exit 3.
    private static T Interpret<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"{option}: {ex.Message}");
        }
    }

    private static bool OnOff(string value, string option) => value.Trim().ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => throw new UsageException($"{option}: '{value}' is not a switch value (expected on or off)"),
    };

    private static Scenario LoadScenario(IScenarioLoader scenarios, string path, IReadOnlyList<string> sets)
    {
        try
        {
            return scenarios.Load(path, sets);
        }
        catch (ScenarioException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}

using System.CommandLine;

namespace BootActors.Cli.Options;

/// <summary>
/// The options that choose a machine and its kernel — the SCENARIO argument, <c>--set</c>, the RAM or
/// e820 map, PSE, gbpages, Xen, the variant and its switches, the kernel size, the CPUs — defined
/// once for every command that boots one (<c>run</c>, <c>ablate</c>), so they mean the same everywhere.
/// </summary>
internal sealed class MachineOptions
{
    public Argument<string?> Scenario { get; } = new Argument<string?>("SCENARIO")
    {
        Description = "A scenario: a name from config/scenarios (e.g. hotadd-concurrent) or a .hocon file. It gives the machine, " +
                      "the workload after the boot and the expected outcome; the options below override its machine settings.",
        Arity = ArgumentArity.ZeroOrOne,
    }.Named("a scenario");

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override a key of the scenario file, e.g. --set hotplug_mutex=on, --set hunks=nonpse_fallback,preserve_existing, " +
                      "--set expect.outcome=ok (repeatable; later ones win).",
        HelpName = "KEY=VALUE",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Memory { get; } = new("--memory")
    {
        Description = $"RAM size: one usable e820 entry [0, SIZE), e.g. 16G, 512M, 4096K, 1T, 16GiB, 0x100000000 [default: {MachineBuilder.DefaultMemory}].",
        HelpName = "SIZE",
    };

    public Option<string?> E820 { get; } = new Option<string?>("--e820")
    {
        Description = "Read the e820 map from a kernel log (BIOS-e820:/Xen: lines, old or new format).",
        HelpName = "FILE",
    }.Named("an e820 log");

    public Option<string?> Pse { get; } = new("--pse")
    {
        Description = "cpu_has_pse (forced off under --xen) [default: on].",
        HelpName = "on|off",
    };

    public Option<string?> Gbpages { get; } = new("--gbpages")
    {
        Description = "cpu_has_gbpages and direct_gbpages (forced off under --xen) [default: off].",
        HelpName = "on|off",
    };

    public Option<bool> Xen { get; } = new("--xen")
    {
        Description = "Boot as a Xen PV domU (implies no PSE, no gbpages).",
    };

    public Option<string?> Variant { get; } = new("--variant")
    {
        Description = "before (the seed's parent), after (the seed 4f9c11dd49fb), fixed (the seed plus later fixes) [default: fixed].",
        HelpName = "before|after|fixed",
    };

    public Option<string?> Hunks { get; } = new("--hunks")
    {
        Description = "Replace the variant's seed hunks: comma-separated nonpse_fallback, unmap_before_populate, preserve_existing, table_space_ptes; or all, none.",
        HelpName = "LIST",
    };

    public Option<string?> Fixes { get; } = new("--fixes")
    {
        Description = "Replace the variant's later fixes: comma-separated commits 22b45144f67, 574977a2edd, 8ae3a5a8dff, a06de63000b, 60817c9b31e (or their aliases); or all, none.",
        HelpName = "LIST",
    };

    public Option<string?> KernelSize { get; } = new("--kernel-size")
    {
        Description = "Size of the kernel image reserved at 2 MiB [default: 8M].",
        HelpName = "SIZE",
    };

    public Option<string?> Cpus { get; } = new("--cpus")
    {
        Description = "Number of CPUs [default: 1].",
        HelpName = "N",
    };

    /// <summary>The options in the order help lists them (the SCENARIO argument is added apart).</summary>
    public IEnumerable<Option> All => [Set, Memory, E820, Pse, Gbpages, Xen, Variant, Hunks, Fixes, KernelSize, Cpus];

    /// <summary>Adds the SCENARIO argument and the machine options to <paramref name="command"/>.</summary>
    public void AddTo(Command command, IEnumerable<Option>? before = null)
    {
        command.Arguments.Add(Scenario);
        var first = (before ?? []).ToList();
        foreach (var o in first.Concat(All.Except(first)))
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The machine options as typed (output options left at their defaults).</summary>
    public RunRequest Request(ParseResult parse) => new()
    {
        Scenario = parse.GetValue(Scenario),
        Sets = parse.GetValue(Set) ?? [],
        Memory = parse.GetValue(Memory),
        E820 = parse.GetValue(E820),
        Pse = parse.GetValue(Pse),
        Gbpages = parse.GetValue(Gbpages),
        Xen = parse.GetValue(Xen),
        Variant = parse.GetValue(Variant),
        Hunks = parse.GetValue(Hunks),
        Fixes = parse.GetValue(Fixes),
        KernelSize = parse.GetValue(KernelSize),
        Cpus = parse.GetValue(Cpus),
    };
}

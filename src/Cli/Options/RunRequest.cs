namespace BootActors.Cli.Options;

/// <summary>
/// The options of <c>bootactors run</c> as typed (null = not given), before any is interpreted,
/// so that a scenario's settings are overridden only by what the user actually wrote.
/// </summary>
internal sealed record RunRequest
{
    public string? Scenario { get; init; }

    /// <summary>The <c>--set KEY=VALUE</c> overrides of the scenario's keys, in the order given.</summary>
    public IReadOnlyList<string> Sets { get; init; } = [];

    public string? Memory { get; init; }

    public string? E820 { get; init; }

    public string? Pse { get; init; }

    public string? Gbpages { get; init; }

    public bool Xen { get; init; }

    public string? Variant { get; init; }

    public string? Hunks { get; init; }

    public string? Fixes { get; init; }

    public string? KernelSize { get; init; }

    public string? Cpus { get; init; }

    public bool Json { get; init; }

    public bool Dump { get; init; }

    public bool Meminfo { get; init; }
}

namespace BootActors.Cli;

/// <summary>
/// The process exit codes; scripts bisecting a kernel change rely on them, so they never change
/// meaning. <see cref="Table"/> is the one description of them: the root --help prints it and the
/// README copies it.
/// </summary>
public static class ExitCodes
{
    /// <summary>Simulated, and the outcome is ok (explore: no violation found; trace diff: the traces are the same).</summary>
    public const int Ok = 0;

    /// <summary>Simulated, and the kernel panicked, Xen refused, or an invariant broke (explore: a violation found; trace diff: the traces differ).</summary>
    public const int BadOutcome = 1;

    /// <summary>The user's input cannot be used: nothing was simulated.</summary>
    public const int UsageError = 2;

    /// <summary>A bug in bootactors itself.</summary>
    public const int InternalError = 3;

    /// <summary>Simulated, but not what was expected: a scenario's expect block, or a replay file's violation.</summary>
    public const int ExpectationNotMet = 4;

    /// <summary>A run reached --max-deliveries or --timeout before it finished (explore: every schedule did).</summary>
    public const int LimitReached = 5;

    /// <summary>The cluster failed under the exploration: the workers did not come or were all lost (explore --cluster), or the coordinator was lost (worker).</summary>
    public const int ClusterLost = 6;

    /// <summary>Interrupted (Ctrl-C): what was done so far is reported (128 + SIGINT, as shells count).</summary>
    public const int Interrupted = 130;

    /// <summary>Every exit code with its meaning, in the order scripts check them.</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> Table =
    [
        (Ok, "simulated; outcome ok (explore: no violation found; replay: the run is ok; trace diff: the traces are the same)"),
        (BadOutcome, "simulated; outcome panic, rejected or violation (explore: a violation found; trace diff: the traces differ)"),
        (UsageError, "user error, nothing simulated: a bad option value, an unknown or malformed scenario, e820, replay or trace file, " +
                     "an impossible machine, an output that cannot be written"),
        (InternalError, "internal failure of bootactors (a bug: please report it with the command)"),
        (ExpectationNotMet, "simulated, but not as expected: the scenario's expect block is not met, or replay did not reproduce the file's violation"),
        (LimitReached, "a run reached --max-deliveries or --timeout before it finished (explore: every schedule did); the message names the option"),
        (ClusterLost, "the cluster failed: explore --cluster's workers did not come or were all lost; a worker lost its coordinator (killed, unreachable, gave up) or was never admitted"),
        (Interrupted, "interrupted by Ctrl-C (explore prints what it found so far; a worker withdraws and its work goes to the others)"),
    ];

    /// <summary>The exit-code table as the help text shows it.</summary>
    public static string HelpText => "Exit codes:\n" + string.Join("\n", Table.Select(r => $"  {r.Code,3}  {r.Meaning}"));
}

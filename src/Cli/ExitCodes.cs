namespace BootActors.Cli;

/// <summary>The process exit codes; scripts bisecting a kernel change rely on them, so they never change meaning.</summary>
public static class ExitCodes
{
    /// <summary>Simulated, and the outcome is ok.</summary>
    public const int Ok = 0;

    /// <summary>Simulated, and the kernel panicked, Xen refused, or an invariant broke.</summary>
    public const int BadOutcome = 1;

    /// <summary>The user's input cannot be used: nothing was simulated.</summary>
    public const int UsageError = 2;

    /// <summary>A bug in bootactors itself.</summary>
    public const int InternalError = 3;

    /// <summary>The exit-code table as the help text shows it.</summary>
    public const string HelpText =
        "Exit codes:\n" +
        "  0  simulated; outcome ok\n" +
        "  1  simulated; outcome panic, rejected or violation\n" +
        "  2  user error, nothing simulated: bad option value, unknown or malformed scenario file or --set, unreadable or malformed e820 file, impossible machine\n" +
        "  3  internal failure of bootactors";
}

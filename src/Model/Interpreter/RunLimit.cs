using BootActors.Model.Kernel;

namespace BootActors.Model.Interpreter;

/// <summary>Which bound of the host, not of the kernel, ended a run.</summary>
public enum RunLimit
{
    /// <summary>The run ended on its own (ok or a kernel outcome), or failed in the host.</summary>
    None,

    /// <summary>The wall-clock bound (<c>--timeout</c>, bootactors.run-timeout).</summary>
    Timeout,

    /// <summary>The controlled-mode delivery bound (<c>--max-deliveries</c>, bootactors.conductor.max-steps).</summary>
    Deliveries,
}

/// <summary>Tells a run cut by a bound from a run that failed: both hosts stop a bounded run with no CPU to blame.</summary>
public static class RunLimits
{
    /// <summary>The call chain of a stop the conductor's delivery bound caused.</summary>
    public const string ConductorChain = "conductor";

    /// <summary>The call chain of a stop the host's clock caused.</summary>
    public const string HostChain = "host";

    public static RunLimit Of(RunStop? stop) => stop switch
    {
        { Cpu: < 0, Fatal.Kind: ErrorKind.Timeout, CallChain: ConductorChain } => RunLimit.Deliveries,
        { Cpu: < 0, Fatal.Kind: ErrorKind.Timeout, CallChain: HostChain } => RunLimit.Timeout,
        _ => RunLimit.None,
    };
}

using BootActors.Model.Kernel;

namespace BootActors.Model.Machine;

/// <summary>What applying one step gave: a value for the CPU's Rax, a wait, or a fatal event.</summary>
public readonly struct StepResult
{
    private StepResult(ulong value, FatalEvent? fatal, bool blocked)
    {
        Value = value;
        Fatal = fatal;
        Blocked = blocked;
    }

    public ulong Value { get; }

    public FatalEvent? Fatal { get; }

    /// <summary>The CPU cannot continue yet (it spins on a lock someone else holds).</summary>
    public bool Blocked { get; }

    public bool IsFatal => Fatal is not null;

    public static StepResult Ok(ulong value = 0) => new(value, null, false);

    public static StepResult Fail(ErrorKind kind, string message) => new(0, new FatalEvent(kind, message), false);

    public static StepResult Fail(FatalEvent fatal) => new(0, fatal, false);

    public static readonly StepResult Wait = new(0, null, true);
}

using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Actors.Infrastructure;

/// <summary>The CPU step a message belongs to: the CPU and the step of kernel code it serves.</summary>
public readonly record struct StepTag(int Cpu, Effect Step)
{
    public static readonly StepTag None = new(-1, default);
}

/// <summary>Every message between model actors; the conductor orders them, the trace records them.</summary>
public abstract record ModelMessage
{
    public StepTag Tag { get; init; } = StepTag.None;

    /// <summary>The name the trace shows: the message type.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>The message's fields, in kernel terms, for the trace.</summary>
    public abstract void Fields(Dictionary<string, string> into);
}

/// <summary>A request that carries out (a part of) one step of kernel code.</summary>
public abstract record StepRequest(Effect Step) : ModelMessage
{
    public override void Fields(Dictionary<string, string> into) => TraceFields.Of(Step, into);
}

/// <summary>The answer to a <see cref="StepRequest"/>: a value for the CPU's %rax, or a fatal event.</summary>
public abstract record StepReply(StepResult Result) : ModelMessage
{
    public override void Fields(Dictionary<string, string> into)
    {
        if (Result.Fatal is { } f)
        {
            into["error"] = f.Kind.JsonName();
            into["message"] = f.Message;
        }
        else
        {
            into["value"] = "0x" + Result.Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

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

/// <summary>
/// One stage of a step (<see cref="StepPlans"/>) to the owner that carries it out: from the CPU, or
/// the part an owner forwards (then <see cref="Input"/> carries what the owner's part found). Its
/// trace name is the stage's (ReadEntry, MmuUpdate, ApplyUpdate, Walk, FlushTlbIpi, …). The step
/// itself is the tag's: a message carries it once.
/// </summary>
public sealed record StepRequest : ModelMessage
{
    public StepRequest(Stage stage, in StepTag tag, StageData? input = null)
    {
        Stage = stage;
        Tag = tag;
        Input = input;
    }

    public Stage Stage { get; }

    /// <summary>What the forwarding owner's part handed on; null from a CPU.</summary>
    public StageData? Input { get; }

    /// <summary>The stage whose owner forwarded this part and completes when it is answered; null when the CPU sent it.</summary>
    public Stage? ForwardedBy { get; init; }

    /// <summary>The kernel step this stage belongs to.</summary>
    public Effect Step => Tag.Step;

    public override string TypeName => Stage.RequestName(Tag.Step);

    public override void Fields(Dictionary<string, string> into) => TraceFields.Of(Tag.Step, into);

    /// <summary>The answer to this request, for the same CPU step.</summary>
    public StepReply Reply(in StepResult result, StageData? data = null) => new(Stage, Tag, result, data) { ForwardedBy = ForwardedBy };

    /// <summary>What handling this request may touch at its receiver (<see cref="Topology.TargetOf"/>), whatever the state.</summary>
    public StageFootprint Footprint(int target) => Stage.Footprint(Tag.Step, Input, Tag.Cpu, target);
}

/// <summary>The answer to a <see cref="StepRequest"/>: a value for the CPU's %rax or a fatal event, and what the next part needs.</summary>
public sealed record StepReply : ModelMessage
{
    public StepReply(Stage stage, in StepTag tag, in StepResult result, StageData? data = null)
    {
        Stage = stage;
        Tag = tag;
        Result = result;
        Data = data;
    }

    public Stage Stage { get; }

    public StepResult Result { get; }

    /// <summary>What the answering part hands back (a page walk's result); null when nothing.</summary>
    public StageData? Data { get; }

    /// <summary>The stage this answer completes at its receiver (the owner that forwarded the part); null when it goes to the CPU.</summary>
    public Stage? ForwardedBy { get; init; }

    /// <summary>The kernel step this stage belongs to.</summary>
    public Effect Step => Tag.Step;

    public override string TypeName => Stage.ReplyName(Tag.Step, Result, Data);

    /// <summary>What handling this answer touches at its receiver: the completion of <see cref="ForwardedBy"/>; at a CPU, nothing another CPU sees.</summary>
    public StageFootprint Footprint(int target) => ForwardedBy?.CompletionFootprint(target) ?? StageFootprint.None;

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

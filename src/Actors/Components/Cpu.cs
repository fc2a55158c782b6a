using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;

namespace BootActors.Actors.Components;

/// <summary>The protocol of a CPU actor.</summary>
public static class Cpu
{
    /// <summary>From the host: run this kernel code (built for the CPU's registers) after what is queued.</summary>
    public sealed record RunProgram(Func<CpuContext, IEnumerable<Effect>> Program, string Label) : ModelMessage
    {
        public override void Fields(Dictionary<string, string> into) => into["program"] = Label;
    }

    /// <summary>To the host (not a model message): a printk line.</summary>
    public sealed record Printk(int Cpu, KernelFn Fn, string Text, int Epoch = 0);

    /// <summary>To the host: the CPU finished a program.</summary>
    public sealed record ProgramDone(int Cpu, string Label, int Epoch = 0);

    /// <summary>To the host: the CPU's code hit a fatal event, with its kernel call chain.</summary>
    public sealed record Stopped(int Cpu, string CallChain, FatalEvent Fatal, int Epoch = 0);
}

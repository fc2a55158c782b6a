using System.Diagnostics;
using System.Globalization;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;

namespace BootActors.Model.Interpreter;

/// <summary>One CPU's program: a step machine and where it is.</summary>
public sealed class CpuThread
{
    // The running function on top, its callers below (EffectKind.Call): each step is one MoveNext,
    // however deep the call chain, instead of one per nested iterator.
    private readonly Stack<IEnumerator<Effect>> frames = new();
    private readonly Stack<KernelFn> calls = new();
    private Effect current;

    public CpuThread(CpuContext cpu, IEnumerable<Effect> program, string label)
    {
        Cpu = cpu;
        frames.Push(program.GetEnumerator());
        Label = label;
    }

    public CpuContext Cpu { get; }

    public string Label { get; }

    public bool Done { get; private set; }

    /// <summary>The step the CPU is about to take (valid after <see cref="Advance"/> returned true).</summary>
    public Effect Current => current;

    /// <summary>The kernel call chain, outermost first.</summary>
    public IEnumerable<KernelFn> CallChain => calls.Reverse();

    public bool Blocked { get; set; }

    /// <summary>The lock this CPU spins on while <see cref="Blocked"/>.</summary>
    public ulong WaitingOn { get; set; }

    /// <summary>Moves to the next step; false when the program has finished.</summary>
    public bool Advance()
    {
        if (Done)
        {
            return false;
        }

        while (true)
        {
            var top = frames.Peek();
            if (!top.MoveNext())
            {
                top.Dispose();
                frames.Pop();
                if (frames.Count == 0)
                {
                    Done = true;
                    return false;
                }

                continue;
            }

            var e = top.Current;
            if (e.Kind == EffectKind.Call)
            {
                frames.Push(((IEnumerable<Effect>)e.Payload!).GetEnumerator());
                continue;
            }

            if (e.Kind == EffectKind.Enter)
            {
                calls.Push(e.Fn);
            }
            else if (e.Kind == EffectKind.Leave && calls.Count > 0)
            {
                calls.Pop();
            }

            current = e;
            return true;
        }
    }

    public string Chain() => string.Join(" → ", CallChain);
}

/// <summary>
/// The fast reference host: applies each step of each CPU's program directly to the
/// <see cref="Machine"/>, its stages (<see cref="StepPlans"/>) run inline. CPUs take turns only where one must wait (a held lock); otherwise a
/// CPU runs its program to the end before the next begins, so every race-free scenario has one
/// result the actor host must reproduce.
/// </summary>
public sealed class SequentialInterpreter
{
    private readonly Machine.Machine machine;
    private long deadline;
    private long nextClockCheck;

    public SequentialInterpreter(Machine.Machine machine) => this.machine = machine;

    public long Steps { get; private set; }

    /// <summary>Wall-clock bound of everything this interpreter runs, from its first <see cref="Run"/> (null: none).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Called for each printk line: CPU, function, text.</summary>
    public Action<int, KernelFn, string>? OnPrintk { get; init; }

    /// <summary>Called for every applied step (tracing; null keeps the hot path lean).</summary>
    public Action<CpuThread, Effect, StepResult>? OnStep { get; init; }

    /// <summary>Runs the threads; returns the first fatal event with the CPU and call chain, or null.</summary>
    public RunStop? Run(IReadOnlyList<CpuThread> threads)
    {
        if (deadline == 0 && Timeout is { } limit)
        {
            deadline = Stopwatch.GetTimestamp() + (long)Math.Min(limit.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 2);
        }

        // Folded iterations stand for steps no one here sees one by one (nothing else runs during them:
        // a CPU runs on until it waits for a lock, and the folded ones take none).
        var mayFold = OnStep is null && machine.StepsUnwatched;
        foreach (var t in threads)
        {
            t.Cpu.MayFold = mayFold;
        }

        var pending = new List<CpuThread>(threads);
        while (pending.Count > 0)
        {
            var progressed = false;
            foreach (var t in pending.ToList())
            {
                var stop = RunThread(t);
                if (stop is not null)
                {
                    return stop;
                }

                if (t.Done)
                {
                    pending.Remove(t);
                    progressed = true;
                    break;
                }

                progressed |= !t.Blocked;
            }

            if (!progressed && pending.Count > 0 && pending.All(t => t.Blocked))
            {
                var t = pending[0];
                return new RunStop(t.Cpu.Id, t.Chain(), new FatalEvent(ErrorKind.Deadlock,
                    $"every CPU waits for {Machine.Machine.LockName(t.WaitingOn)} (owner: CPU{machine.LockFor(t.WaitingOn).Owner}); nobody can release it"));
            }
        }

        return null;
    }

    /// <summary>A run cut by <see cref="Timeout"/>: no CPU is to blame, as on the actor host.</summary>
    private RunStop TimedOut() => new(-1, "host", new FatalEvent(ErrorKind.Timeout, string.Create(CultureInfo.InvariantCulture,
        $"the run did not finish within {Timeout!.Value.TotalSeconds:0.###} s ({Steps} steps applied)")));

    /// <summary>Runs one thread until it finishes, blocks on the lock, or hits a fatal event.</summary>
    private RunStop? RunThread(CpuThread t)
    {
        var cpu = t.Cpu;
        if (t.Blocked)
        {
            // Still spinning: the lock was handed over on unlock, or it was not.
            if (machine.Resume(cpu.Id, t.Current) is not { } resumed)
            {
                return null;
            }

            t.Blocked = false;
            cpu.Rax = resumed.Value;
        }

        while (t.Advance())
        {
            var e = t.Current;
            var r = machine.Apply(cpu, e, Steps);
            Steps += FoldedIterations.Folds(e.Kind) ? ((FoldedIterations)e.Payload!).StepCount(FoldedIterations.Done(r.Value)) : 1;
            if (deadline != 0 && Steps >= nextClockCheck)
            {
                nextClockCheck = Steps + 0x1000;
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    return TimedOut();
                }
            }

            OnStep?.Invoke(t, e, r);
            if (r.IsFatal)
            {
                return new RunStop(cpu.Id, t.Chain(), r.Fatal!);
            }

            if (e.Kind == EffectKind.Printk)
            {
                OnPrintk?.Invoke(cpu.Id, e.Fn, (string)e.Payload!);
            }

            if (r.Blocked)
            {
                t.Blocked = true;
                t.WaitingOn = e.Value;
                return null;
            }

            cpu.Rax = r.Value;
        }

        return null;
    }
}

/// <summary>Where a run stopped: the CPU, its kernel call chain, and why.</summary>
public sealed record RunStop(int Cpu, string CallChain, FatalEvent Fatal);

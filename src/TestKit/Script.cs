namespace BootActors.TestKit;

/// <summary>One phase of a hand-written interleaving: only <see cref="Cpu"/> runs, until it reaches <see cref="Until"/> (null: until it has nothing left to do).</summary>
/// <param name="Cpu">The CPU that runs in this phase.</param>
/// <param name="Until">Where it stops (null: when it has nothing left to do).</param>
public sealed record ScriptStep(int Cpu, HoldPoint? Until);

/// <summary>
/// A hand-written interleaving, built fluently: <c>Script.Run(1).Until(HoldPoint.AfterPudValCheck).Then(2).ToEnd().Then(1).ToEnd()</c>
/// holds CPU1 after its pud_val check, runs CPU2 to completion, then releases CPU1.
/// </summary>
public sealed class Script
{
    private readonly List<ScriptStep> steps = new();

    private Script()
    {
    }

    /// <summary>The phases, in order.</summary>
    public IReadOnlyList<ScriptStep> Steps => steps;

    /// <summary>Starts a script whose first phase runs <paramref name="cpu"/>.</summary>
    public static StepBuilder Run(int cpu) => new Script().Next(cpu);

    internal StepBuilder Next(int cpu) => new(this, cpu);

    internal Script Add(ScriptStep step)
    {
        steps.Add(step);
        return this;
    }

    /// <summary>Adds a phase that runs <paramref name="cpu"/>.</summary>
    public StepBuilder Then(int cpu) => Next(cpu);

    /// <inheritdoc />
    public override string ToString() => string.Join(", then ", steps.Select(s => $"CPU{s.Cpu} " + (s.Until is { } u ? $"until {u}" : "to the end")));

    /// <summary>A phase whose CPU is chosen; <see cref="Until"/> or <see cref="ToEnd"/> says how far it runs.</summary>
    public sealed class StepBuilder
    {
        private readonly Script script;
        private readonly int cpu;

        internal StepBuilder(Script script, int cpu)
        {
            this.script = script;
            this.cpu = cpu;
        }

        /// <summary>The CPU runs until it reaches <paramref name="point"/>, where it is held.</summary>
        public Script Until(HoldPoint point) => script.Add(new ScriptStep(cpu, point));

        /// <summary>The CPU runs until it has nothing left to do (finished, or spinning on a lock).</summary>
        public Script ToEnd() => script.Add(new ScriptStep(cpu, null));
    }
}

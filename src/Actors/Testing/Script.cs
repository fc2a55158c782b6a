using BootActors.Actors.Exploration;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.Actors.Testing;

/// <summary>
/// A named point in a CPU's kernel code: just after one of its steps has been carried out (its reply
/// delivered), e.g. after the pud_val check of phys_pud_init =
/// <c>HoldPoint.After(KernelFn.phys_pud_init, EffectKind.ReadEntry, Level.Pud)</c>.
/// </summary>
public sealed record HoldPoint(KernelFn Function, EffectKind Step, Level? Level = null, int Occurrence = 1)
{
    public static HoldPoint After(KernelFn function, EffectKind step, Level? level = null, int occurrence = 1) =>
        new(function, step, level, occurrence);

    /// <summary>After the read of the pud entry in phys_pud_init (the pud_val test before populating).</summary>
    public static readonly HoldPoint AfterPudValCheck = After(KernelFn.phys_pud_init, EffectKind.ReadEntry, Model.Paging.Level.Pud);

    public bool Matches(in Effect e) => e.Fn == Function && e.Kind == Step && (Level is null || e.Level == Level);

    public override string ToString() => $"after {Step}{(Level is { } l ? $" ({l.Name()})" : "")} in {Function}" + (Occurrence > 1 ? $" (#{Occurrence})" : "");
}

/// <summary>One phase of a hand-written interleaving: only <see cref="Cpu"/> runs, until it reaches <see cref="Until"/> (null: until it has nothing left to do).</summary>
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

    public IReadOnlyList<ScriptStep> Steps => steps;

    public static StepBuilder Run(int cpu) => new Script().Next(cpu);

    internal StepBuilder Next(int cpu) => new(this, cpu);

    internal Script Add(ScriptStep step)
    {
        steps.Add(step);
        return this;
    }

    public StepBuilder Then(int cpu) => Next(cpu);

    public override string ToString() => string.Join(", then ", steps.Select(s => $"CPU{s.Cpu} " + (s.Until is { } u ? $"until {u}" : "to the end")));

    public sealed class StepBuilder
    {
        private readonly Script script;
        private readonly int cpu;

        internal StepBuilder(Script script, int cpu)
        {
            this.script = script;
            this.cpu = cpu;
        }

        public Script Until(HoldPoint point) => script.Add(new ScriptStep(cpu, point));

        public Script ToEnd() => script.Add(new ScriptStep(cpu, null));
    }
}

/// <summary>
/// Plays a <see cref="Script"/>: in each phase only the phase's CPU advances (its oldest pending
/// message, whoever receives it); the phase ends when that CPU reaches its hold point or has nothing
/// pending (finished, or spinning on a lock). After the last phase the non-preemptive default runs.
/// </summary>
public sealed class ScriptedStrategy : ExplorationStrategy
{
    private readonly IReadOnlyList<ScriptStep> steps;
    private int phase;
    private int matches;

    public ScriptedStrategy(Script script) => steps = script.Steps;

    public override string Name => "scripted";

    /// <summary>The phases whose hold point was reached, by index.</summary>
    public List<int> Reached { get; } = new();

    public override void BeginSchedule(int iteration)
    {
        base.BeginSchedule(iteration);
        phase = 0;
        matches = 0;
        Reached.Clear();
    }

    protected override int ChooseCpu(CpuView view) => Pick(view);

    protected override int ChooseForced(CpuView view) => Pick(view);

    private int Pick(CpuView view)
    {
        while (phase < steps.Count && !view.Enabled.Contains(steps[phase].Cpu))
        {
            NextPhase();
        }

        return phase < steps.Count ? steps[phase].Cpu : Continue(view);
    }

    protected override void AfterChoice(CpuView view, int cpu)
    {
        if (phase >= steps.Count || steps[phase].Until is not { } point || cpu != steps[phase].Cpu)
        {
            return;
        }

        var m = view.Pending[view.IndexOf(cpu)];
        if (Topology.IsCpu(m.To) && m.Message is StepReply && point.Matches(m.Message.Tag.Step) && ++matches == point.Occurrence)
        {
            Reached.Add(phase);
            NextPhase();
        }
    }

    private void NextPhase()
    {
        phase++;
        matches = 0;
    }
}

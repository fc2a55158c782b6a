using BootActors.Actors.Exploration;
using BootActors.Actors.Infrastructure;

namespace BootActors.TestKit;

/// <summary>
/// Plays a <see cref="Script"/>: in each phase only the phase's CPU advances (its oldest pending
/// message, whoever receives it); the phase ends when that CPU reaches its hold point or has nothing
/// pending (finished, or spinning on a lock). After the last phase the non-preemptive default runs.
/// </summary>
internal sealed class ScriptedStrategy : ExplorationStrategy
{
    private readonly IReadOnlyList<ScriptStep> steps;
    private int phase;
    private int matches;

    public ScriptedStrategy(Script script)
        : base(ChoiceMode.Cpu) => steps = script.Steps;

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

    protected override int ChooseOption(ChoiceView view) => Pick(view);

    protected override int ChooseForced(ChoiceView view) => Pick(view);

    private int Pick(ChoiceView view)
    {
        while (phase < steps.Count && view.OldestOf(steps[phase].Cpu) < 0)
        {
            NextPhase();
        }

        return phase < steps.Count ? view.OldestOf(steps[phase].Cpu) : Continue(view);
    }

    protected override void AfterChoice(ChoiceView view, int k)
    {
        if (phase >= steps.Count || steps[phase].Until is not { } point || view.Cpu(k) != steps[phase].Cpu)
        {
            return;
        }

        var m = view.Message(k);
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

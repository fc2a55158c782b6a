namespace BootActors.Actors.Conductor;

/// <summary>One recorded delivery, as a trace file names it.</summary>
public readonly record struct RecordedDelivery(string From, string To, string Type);

/// <summary>
/// Re-delivers messages in the order a trace recorded them (a free-mode run, or any schedule whose
/// strategy is not at hand, chosen among deliveries or among CPUs): at each step it picks the
/// oldest pending message of the recorded sender→receiver pair, which must have the recorded type
/// (Akka keeps each pair's messages in order, so nothing else could have been delivered). Because
/// the model is deterministic, the same messages are pending again; a step with no match means the
/// trace is not of this run, and the run is refused loudly.
/// </summary>
public sealed class FollowTraceStrategy : IScheduleStrategy
{
    private readonly IReadOnlyList<RecordedDelivery> order;
    private readonly IReadOnlyList<string> names;
    private int next;

    public FollowTraceStrategy(IReadOnlyList<RecordedDelivery> order, IReadOnlyList<string> actorNames)
    {
        this.order = order;
        names = actorNames;
    }

    public string Name => "follow-trace";

    public int Position => next;

    public int Choose(IReadOnlyList<PendingMessage> pending)
    {
        if (next >= order.Count)
        {
            // Past the recorded part: oldest first.
            return 0;
        }

        var want = order[next];
        for (var i = 0; i < pending.Count; i++)
        {
            var p = pending[i];
            if (names[p.From] == want.From && names[p.To] == want.To)
            {
                // The pair's oldest message: the only one of the pair that can be delivered.
                if (p.Message.TypeName != want.Type)
                {
                    break;
                }

                next++;
                return i;
            }
        }

        throw new ScheduleDivergedException(
            $"delivery {next + 1} of the trace is {want.Type} {want.From} → {want.To}, but no such message is pending " +
            $"(pending: {string.Join(", ", pending.Select(p => $"{p.Message.TypeName} {names[p.From]} → {names[p.To]}"))}): the trace is not of this run");
    }
}

/// <summary>A recorded schedule does not fit the run it is replayed on.</summary>
public sealed class ScheduleDivergedException(string message) : Exception(message);

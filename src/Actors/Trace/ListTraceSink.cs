using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Trace;

/// <summary>One delivered message, kept as objects (for reports that read the steps of a schedule).</summary>
public sealed record TraceRecord(long Seq, int From, int To, ModelMessage Message);

/// <summary>Keeps the delivered messages of a run in memory, optionally forwarding them to another sink.</summary>
public sealed class ListTraceSink : ITraceSink
{
    private readonly ITraceSink? next;
    private readonly List<TraceRecord> records = new();

    public ListTraceSink(ITraceSink? next = null) => this.next = next;

    public IReadOnlyList<TraceRecord> Records
    {
        get
        {
            lock (records)
            {
                return records.ToList();
            }
        }
    }

    public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock)
    {
        lock (records)
        {
            records.Add(new TraceRecord(seq, from, to, message));
        }

        next?.Record(seq, from, to, message, senderClock, receiverClock);
    }
}

namespace BootActors.Actors.TraceTools;

/// <summary>How two messages of a trace are ordered.</summary>
public enum Ordering
{
    /// <summary>Both are the same message.</summary>
    Same,

    /// <summary>The first message's delivery happens before the second was sent: the second may depend on what the first did.</summary>
    Before,

    /// <summary>The second message's delivery happens before the first was sent.</summary>
    After,

    /// <summary>Neither: no chain of messages and program order links them.</summary>
    Concurrent,
}

/// <summary>One message of a happens-before chain.</summary>
public readonly record struct ChainLink(long Seq, int From, int To, string Type, long SendTime, long ReceiveTime);

/// <summary>
/// Happens-before between messages by vector clocks (Fidge–Mattern). Events are the sends and the
/// receives; message a happens before message b when a's receive happens before b's send
/// (to_clock(a) ≤ from_clock(b)), so b may depend on what a did. Two requests that only met at a
/// shared actor are concurrent even though that actor handled one first: that order is the
/// schedule's choice, which is exactly what a race is.
/// </summary>
public static class HappensBefore
{
    /// <summary>a's receive happens before (or is) b's send: every component of to_clock(a) ≤ from_clock(b).</summary>
    public static bool Precedes(TraceEvent a, TraceEvent b)
    {
        for (var i = 0; i < a.ToClock.Length; i++)
        {
            if (a.ToClock[i] > b.FromClock[i])
            {
                return false;
            }
        }

        return true;
    }

    public static Ordering Compare(TraceEvent a, TraceEvent b)
    {
        if (a.Seq == b.Seq)
        {
            return Ordering.Same;
        }

        if (Precedes(a, b))
        {
            return Ordering.Before;
        }

        return Precedes(b, a) ? Ordering.After : Ordering.Concurrent;
    }

    /// <summary>
    /// The shortest chain of messages from <paramref name="first"/> to <paramref name="last"/>
    /// (both included) such that each one's receiver sends the next after receiving it (program
    /// order at that actor), given the messages delivered between them in seq order. Null when
    /// there is none, i.e. the two are not ordered.
    /// </summary>
    /// <remarks>
    /// Every link of a chain is delivered before the next is sent, so only messages delivered
    /// between the two can be on it, and they come in delivery order. Per actor the reachable
    /// receives are kept in program order with a running minimum of chain length, so each message
    /// looks up the best chain that reached its sender before it sent: O(n log n).
    /// </remarks>
    public static IReadOnlyList<ChainLink>? Chain(ChainLink first, ChainLink last, IEnumerable<ChainLink> between, int actors)
    {
        if (first.Seq == last.Seq)
        {
            return [first];
        }

        // Per actor: receives reached by a chain, by receive time, with the prefix minimum of hops.
        var reached = new List<Reach>[actors];
        for (var i = 0; i < actors; i++)
        {
            reached[i] = new List<Reach>();
        }

        var links = new List<(ChainLink Link, int Parent)> { (first, -1) };
        reached[first.To].Add(new Reach(first.ReceiveTime, 1, 0, 1, 0));

        int Best(int actor, long sendTime, out int hops)
        {
            var list = reached[actor];
            var lo = 0;
            var hi = list.Count;

            // The last receive strictly before the send.
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                if (list[mid].ReceiveTime < sendTime)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo == 0)
            {
                hops = 0;
                return -1;
            }

            var r = list[lo - 1];
            hops = r.BestHops;
            return r.BestLink;
        }

        foreach (var m in between)
        {
            if (m.Seq <= first.Seq || m.Seq >= last.Seq)
            {
                continue;
            }

            var parent = Best(m.From, m.SendTime, out var hops);
            if (parent < 0)
            {
                continue;
            }

            links.Add((m, parent));
            var list = reached[m.To];
            var index = links.Count - 1;
            var (bestHops, bestLink) = list.Count > 0 && list[^1].BestHops <= hops + 1
                ? (list[^1].BestHops, list[^1].BestLink)
                : (hops + 1, index);

            // Receives at one actor come in program order, so the list stays sorted by receive time.
            list.Add(new Reach(m.ReceiveTime, hops + 1, index, bestHops, bestLink));
        }

        var end = Best(last.From, last.SendTime, out _);
        if (end < 0)
        {
            return null;
        }

        var chain = new List<ChainLink> { last };
        for (var i = end; i >= 0; i = links[i].Parent)
        {
            chain.Add(links[i].Link);
        }

        chain.Reverse();
        return chain;
    }

    private readonly record struct Reach(long ReceiveTime, int Hops, int Link, int BestHops, int BestLink);

    public static ChainLink LinkOf(TraceEvent e) => new(e.Seq, e.From, e.To, e.Type, e.SendTime, e.ReceiveTime);
}

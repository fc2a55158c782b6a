using BootActors.Actors.TraceTools;
using static BootActors.Model.Paging.X86;

namespace BootActors.Cli.Trace;

/// <summary>The event filters of <c>trace show</c> (and the range of the exports): all given ones must hold.</summary>
internal sealed class EventFilter
{
    /// <summary>The top of the direct map's reach in this model (64 TiB above PAGE_OFFSET, the 2.6.27 layout).</summary>
    private const ulong DirectMapEnd = PAGE_OFFSET + (64UL << 40);

    private int? cpu;
    private HashSet<int>? actors;
    private HashSet<string>? types;
    private ulong? va;
    private ulong? phys;

    public long? From { get; private set; }

    public long? To { get; private set; }

    /// <summary>Whether only the range is filtered (so nothing needs decoding to decide).</summary>
    public bool NeedsEntry => va is not null || phys is not null;

    public bool IsEmpty => cpu is null && actors is null && types is null && !NeedsEntry && From is null && To is null;

    public static EventFilter Build(TraceFileHeader header, int? cpu, string? actor, string? type, string? addr, string? from, string? to)
    {
        var f = new EventFilter { cpu = cpu };
        if (cpu is < 0)
        {
            throw new UsageException($"--cpu {cpu}: expected a CPU number");
        }

        if (actor is not null)
        {
            f.actors = new HashSet<int>();
            foreach (var name in Items(actor, "--actor"))
            {
                var i = header.ActorIndex(name);
                if (i < 0)
                {
                    throw new UsageException($"--actor {name}: the trace's actors are {string.Join(", ", header.Actors)}");
                }

                f.actors.Add(i);
            }
        }

        if (type is not null)
        {
            f.types = new HashSet<string>(Items(type, "--type"), StringComparer.OrdinalIgnoreCase);
        }

        if (addr is not null)
        {
            var a = TraceText.Address(addr, "--addr");

            // A kernel virtual address is looked up as such (and, in the direct map, its physical
            // address too); anything lower is physical and also stands for its direct-map alias.
            if (a >= 0xffff800000000000UL)
            {
                f.va = a;
                f.phys = a >= PAGE_OFFSET && a < DirectMapEnd ? __pa(a) : null;
            }
            else
            {
                f.phys = a;
                f.va = __va(a);
            }
        }

        f.From = from is null ? null : TraceText.Seq(from, "--from");
        f.To = to is null ? null : TraceText.Seq(to, "--to");
        if (f.From > f.To)
        {
            throw new UsageException($"--from {f.From} --to {f.To}: the range is empty");
        }

        return f;
    }

    /// <summary>A comma-separated list as typed: an empty list or item would filter everything out, silently, so it is refused.</summary>
    private static string[] Items(string list, string option)
    {
        var items = list.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(i => i.Length == 0))
        {
            throw new UsageException(list.Trim().Length == 0
                ? $"{option}: an empty list: give at least one name"
                : $"{option} {list}: an empty item: separate the names by single commas");
        }

        return items;
    }

    public static EventFilter Range(TraceFileHeader header, string? from, string? to) => Build(header, null, null, null, null, from, to);

    public bool InRange(TraceEvent e) => InRange(e.Seq);

    public bool InRange(long seq) => (From is null || seq >= From) && (To is null || seq <= To);

    /// <summary>Past the range: a reader may stop (seqs only grow, up to a free run's local reordering).</summary>
    public bool PastRange(TraceEvent e) => To is { } t && e.Seq > t + 10_000;

    public bool Matches(TraceEvent e, DecodedEntry? entry)
    {
        if (!InRange(e))
        {
            return false;
        }

        if (cpu is { } c && e.Cpu != c)
        {
            return false;
        }

        if (actors is not null && !actors.Contains(e.From) && !actors.Contains(e.To))
        {
            return false;
        }

        if (types is not null && !types.Contains(e.Type))
        {
            return false;
        }

        return !NeedsEntry || (entry is not null && entry.Concerns(va, phys));
    }
}

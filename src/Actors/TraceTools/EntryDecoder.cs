using System.Globalization;
using System.Text;
using BootActors.Model.Paging;
using static BootActors.Model.Paging.X86;

namespace BootActors.Actors.TraceTools;

/// <summary>What an event did to (or learned about) one page-table entry, or a page, a range, a translation.</summary>
public sealed record DecodedEntry
{
    /// <summary>read, write, fill, page, range, translate, error.</summary>
    public required string Kind { get; init; }

    public Level? Level { get; init; }

    public int? Index { get; init; }

    /// <summary>The table page holding the entry (or the page a page operation is about).</summary>
    public ulong? Table { get; init; }

    /// <summary>The entry's value, when the event carries it (a write, or the reply to a read).</summary>
    public ulong? Value { get; init; }

    /// <summary>The frame the entry points at (a lower table or the mapped memory).</summary>
    public ulong? Frame { get; init; }

    /// <summary>The entry's flags by their kernel names (_PAGE_ without the prefix).</summary>
    public string? Flags { get; init; }

    /// <summary>The virtual range the entry (or table page) maps, when the trace showed where its table sits.</summary>
    public ulong? VaStart { get; init; }

    public ulong? VaSpan { get; init; }

    /// <summary>A physical range the event names (the memory an entry maps, a fill's or hot-add's range).</summary>
    public ulong? PhysStart { get; init; }

    public ulong? PhysEnd { get; init; }

    /// <summary>The whole decoding as one line.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// Whether the event concerns <paramref name="va"/> (a virtual address) or <paramref name="phys"/>
    /// (the physical address behind it, or the one given): the entry maps it, or its frame, table page
    /// or range holds it.
    /// </summary>
    public bool Concerns(ulong? va, ulong? phys)
    {
        if (va is { } v && VaStart is { } s && VaSpan is { } n && v - s < n)
        {
            return true;
        }

        if (phys is { } p)
        {
            if (PhysStart is { } ps && PhysEnd is { } pe && p >= ps && p < pe)
            {
                return true;
            }

            if (Table is { } t && p >> PAGE_SHIFT == t)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Decodes the page-table entries a trace's events read or wrote, in order. It is stateful, as a
/// person reading the trace is: it pairs each reply with its request (a read's value arrives in the
/// reply), and it learns where each table sits in the virtual address space from the links it sees
/// (a pgd page maps everything; a link's child maps the linking entry's range).
/// </summary>
public sealed class EntryDecoder
{
    private const ulong SignExtendBit = 1UL << 47;

    private readonly Dictionary<(int Requester, int Responder), Queue<Pending>> pending = new();
    private readonly Dictionary<ulong, ulong> tableVa = new();
    private readonly Dictionary<ulong, Level> tableLevel = new();

    /// <summary>Decodes <paramref name="e"/>; <paramref name="request"/> is the seq of the request a reply answers (0 if none).</summary>
    public DecodedEntry? Decode(TraceEvent e, out long request)
    {
        request = 0;
        if (e.IsReply)
        {
            if (pending.TryGetValue((e.To, e.From), out var queue) && queue.Count > 0)
            {
                var req = queue.Dequeue();
                request = req.Seq;
                return DecodeReply(e, req);
            }

            return e.Field("error") is { } orphanError ? Error(orphanError, e.Field("message")) : null;
        }

        var decoded = DecodeRequest(e);

        // The host's programs get no reply; everything else is answered in order per pair of actors.
        if (e.Cpu >= 0)
        {
            var key = (e.From, e.To);
            if (!pending.TryGetValue(key, out var queue))
            {
                queue = new Queue<Pending>(2);
                pending[key] = queue;
            }

            queue.Enqueue(new Pending(e.Seq, e.Type, decoded));
        }

        return decoded;
    }

    public DecodedEntry? Decode(TraceEvent e) => Decode(e, out _);

    /// <summary>The flags of an entry by their kernel names; bit 7 is PSE above the pte level and PAT in a pte.</summary>
    public static string FlagNames(ulong value, Level level)
    {
        var names = new List<string>(8);
        void Add(ulong bit, string name)
        {
            if ((value & bit) != 0)
            {
                names.Add(name);
            }
        }

        Add(_PAGE_PRESENT, "PRESENT");
        Add(_PAGE_RW, "RW");
        Add(_PAGE_USER, "USER");
        Add(_PAGE_PWT, "PWT");
        Add(_PAGE_PCD, "PCD");
        Add(_PAGE_ACCESSED, "ACCESSED");
        Add(_PAGE_DIRTY, "DIRTY");
        Add(_PAGE_PSE, level == Level.Pte ? "PAT" : "PSE");
        Add(_PAGE_GLOBAL, "GLOBAL");
        if (level != Level.Pte && (value & _PAGE_PSE) != 0)
        {
            Add(_PAGE_PAT_LARGE, "PAT_LARGE");
        }

        Add(_PAGE_NX, "NX");
        return names.Count == 0 ? "none" : string.Join(" ", names);
    }

    /// <summary>Decodes one entry value at a known place, learning the child table's position from a link.</summary>
    public DecodedEntry Entry(string kind, ulong table, Level level, int index, ulong value)
    {
        var (va, span) = EntryVa(table, level, index);
        var e = new PageTableEntry(value);
        var text = new StringBuilder(160);
        text.Append(Place(table, level, index)).Append(" = ").Append(e.ToString());
        ulong? frame = null;
        ulong? physStart = null, physEnd = null;
        if (e.IsNone)
        {
            text.Append(" (none)");
        }
        else
        {
            frame = e.Frame.Value;
            if (!e.Present)
            {
                text.Append(" (not present) frame ").Append(Hex.Of(e.Frame.Value));
            }
            else if (level == Level.Pte || (level is Level.Pmd or Level.Pud && e.Large))
            {
                var pageSpan = EntrySpan(level);
                var phys = e.Frame.PhysAddr.Value & ~(pageSpan - 1);
                physStart = phys;
                physEnd = phys + pageSpan;
                text.Append(": ").Append(SizeName(pageSpan)).Append(" page at frame ").Append(Hex.Of(phys >> PAGE_SHIFT))
                    .Append(" (phys ").Append(Hex.Of(phys)).Append('-').Append(Hex.Of(phys + pageSpan - 1)).Append(')');
            }
            else
            {
                // A link: its child maps this entry's range.
                var childLevel = level.Below();
                Learn(e.Frame.Value, childLevel, va);
                physStart = e.Frame.PhysAddr.Value;
                physEnd = physStart + PAGE_SIZE;
                text.Append(": ").Append(childLevel.Name()).Append(" page ").Append(Hex.Of(e.Frame.Value));
            }

            text.Append("; flags ").Append(FlagNames(value, level));
        }

        if (va is { } v)
        {
            text.Append("; maps va ").Append(Hex.Of(v)).Append('-').Append(Hex.Of(v + span - 1));
        }

        return new DecodedEntry
        {
            Kind = kind,
            Level = level,
            Index = index,
            Table = table,
            Value = value,
            Frame = frame,
            Flags = e.IsNone ? null : FlagNames(value, level),
            VaStart = va,
            VaSpan = va is null ? null : span,
            PhysStart = physStart,
            PhysEnd = physEnd,
            Text = text.ToString(),
        };
    }

    private static string SizeName(ulong span) => span switch
    {
        PUD_SIZE => "1G",
        PMD_SIZE => "2M",
        _ => "4K",
    };

    private static string Place(ulong table, Level level, int index) =>
        $"{level.Name()}[{index.ToString(CultureInfo.InvariantCulture)}] of table {Hex.Of(table)}";

    private static ulong SignExtend(ulong va) => (va & SignExtendBit) != 0 ? va | 0xffff000000000000UL : va;

    private static bool TryHex(string? s, out ulong value)
    {
        value = 0;
        return s is not null && s.StartsWith("0x", StringComparison.Ordinal) &&
               ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static Level? ParseLevel(string? s) => s switch
    {
        "pgd" => Model.Paging.Level.Pgd,
        "pud" => Model.Paging.Level.Pud,
        "pmd" => Model.Paging.Level.Pmd,
        "pte" => Model.Paging.Level.Pte,
        _ => null,
    };

    private static DecodedEntry Error(string error, string? message) => new()
    {
        Kind = "error",
        Text = message is null ? error : $"{error}: {message}",
    };

    private void Learn(ulong pfn, Level level, ulong? va)
    {
        tableLevel[pfn] = level;
        if (va is { } v)
        {
            tableVa[pfn] = v;
        }
    }

    /// <summary>The virtual range of an entry: a pgd slot's by its index, a lower entry's from where its table was linked.</summary>
    private (ulong? Va, ulong Span) EntryVa(ulong table, Level level, int index)
    {
        var span = EntrySpan(level);
        if (level == Model.Paging.Level.Pgd)
        {
            return (SignExtend((ulong)index << PGDIR_SHIFT), span);
        }

        return tableVa.TryGetValue(table, out var baseVa) ? (baseVa + ((ulong)index * span), span) : (null, span);
    }

    private DecodedEntry? DecodeRequest(TraceEvent e)
    {
        var level = ParseLevel(e.Field("level"));
        if (TryHex(e.Field("table"), out var table) && level is { } lv &&
            int.TryParse(e.Field("index"), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (lv == Model.Paging.Level.Pgd)
            {
                Learn(table, lv, 0);
            }

            if (TryHex(e.Field("entry"), out var value))
            {
                return Entry("write", table, lv, index, value);
            }

            var (va, span) = EntryVa(table, lv, index);
            if (TryHex(e.Field("addr"), out var addr) && TryHex(e.Field("end"), out var endAddr))
            {
                // A pte page filled from this index on: its entries map [addr, end), as far as the page reaches.
                var reach = Math.Min(endAddr - addr, span * (ulong)(512 - index));
                var vaText = va is { } fv ? $"; maps va {Hex.Of(fv)}-{Hex.Of(fv + reach - 1)}" : "";
                return new DecodedEntry
                {
                    Kind = "fill",
                    Level = lv,
                    Index = index,
                    Table = table,
                    VaStart = va,
                    VaSpan = va is null ? null : reach,
                    PhysStart = addr,
                    PhysEnd = addr + reach,
                    Text = $"{Place(table, lv, index)} onwards: ptes for phys {Hex.Of(addr)}-{Hex.Of(addr + reach - 1)}{vaText}",
                };
            }

            var where = va is { } v ? $" (maps va {Hex.Of(v)}-{Hex.Of(v + span - 1)})" : "";
            return new DecodedEntry
            {
                Kind = "read",
                Level = lv,
                Index = index,
                Table = table,
                VaStart = va,
                VaSpan = va is null ? null : span,
                Text = $"{Place(table, lv, index)}{where}",
            };
        }

        if (TryHex(e.Field("page"), out var page))
        {
            var pageLevel = level ?? (tableLevel.TryGetValue(page, out var known) ? known : null);
            var name = pageLevel is { } pl ? $"{pl.Name()} page {Hex.Of(page)}" : $"page {Hex.Of(page)}";
            ulong? pageVa = tableVa.TryGetValue(page, out var pv) ? pv : null;
            var covers = pageVa is { } cv && pageLevel is { } cl ? $" (maps va {Hex.Of(cv)}-{Hex.Of(cv + (EntrySpan(cl) * 512) - 1)})" : "";
            return new DecodedEntry
            {
                Kind = "page",
                Level = pageLevel,
                Table = page,
                PhysStart = page << PAGE_SHIFT,
                PhysEnd = (page << PAGE_SHIFT) + PAGE_SIZE,
                VaStart = pageVa,
                VaSpan = pageVa is null || pageLevel is null ? null : EntrySpan(pageLevel.Value) * 512,
                Text = name + covers,
            };
        }

        if (TryHex(e.Field("va"), out var tva))
        {
            return new DecodedEntry
            {
                Kind = "translate",
                VaStart = tva & PAGE_MASK,
                VaSpan = PAGE_SIZE,
                PhysStart = tva >= PAGE_OFFSET ? __pa(tva) : null,
                PhysEnd = tva >= PAGE_OFFSET ? __pa(tva) + 1 : null,
                Text = $"translate va {Hex.Of(tva)}",
            };
        }

        if (TryHex(e.Field("start"), out var rs) && TryHex(e.Field("end"), out var re))
        {
            return new DecodedEntry
            {
                Kind = "range",
                PhysStart = rs,
                PhysEnd = re,
                VaStart = __va(rs),
                VaSpan = re - rs,
                Text = $"phys {Hex.Of(rs)}-{Hex.Of(re - 1)} (va {Hex.Of(__va(rs))}-{Hex.Of(__va(re) - 1)})",
            };
        }

        return null;
    }

    private DecodedEntry? DecodeReply(TraceEvent e, Pending req)
    {
        if (e.Field("error") is { } error)
        {
            var at = req.Decoded is { } d ? $" ({d.Text})" : "";
            var err = Error(error, e.Field("message"));
            return err with { Text = err.Text + at, Level = req.Decoded?.Level, Index = req.Decoded?.Index, Table = req.Decoded?.Table, VaStart = req.Decoded?.VaStart, VaSpan = req.Decoded?.VaSpan };
        }

        if (req.Decoded is not { } asked || !TryHex(e.Field("value"), out var value))
        {
            return null;
        }

        if (asked.Kind == "read" && asked.Level is { } level && asked.Index is { } index && asked.Table is { } table)
        {
            return Entry("read", table, level, index, value);
        }

        if (asked.Kind == "translate" && asked.VaStart is { } page)
        {
            return asked with
            {
                Frame = value,
                PhysStart = value << PAGE_SHIFT,
                PhysEnd = (value << PAGE_SHIFT) + PAGE_SIZE,
                Text = $"va {Hex.Of(page)} → frame {Hex.Of(value)}",
            };
        }

        // A write's or a page operation's reply: the same place as its request.
        return asked;
    }

    private sealed record Pending(long Seq, string Type, DecodedEntry? Decoded);
}

using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BootActors.Actors.TraceTools;
using BootActors.Model.Paging;

namespace BootActors.Cli.Trace;

/// <summary>
/// The viewer's data, one binary blob (gzip-compressed and base64-encoded into the page by
/// <see cref="HtmlExporter"/>), laid out so the page reads a million events without parsing them:
/// each trace's per-event text first (effect, fields, decoded entry, clocks — decoded only when an
/// event is shown or searched), then typed columns (seq, actors, type, CPU, entry position, …) and the
/// page-table history, each section aligned to 8 bytes, and last a JSON directory of the sections
/// followed by its length as a little-endian u32. Everything is written in one pass per trace.
/// </summary>
internal sealed class ViewerPayload(Stream output)
{
    private const char Separator = '\u001f';

    private readonly JsonArray traces = new();
    private readonly List<(string Name, string Type, byte[] Data)> pending = new();
    private long position;

    /// <summary>Streams one trace's text and keeps its columns until <see cref="Finish"/>; returns the trace's directory entry.</summary>
    public (JsonObject Info, long Written) AddTrace(string path, string prefix, EventFilter range, TableHistory? history, string? historyError)
    {
        using var reader = TraceReader.Open(path);
        var header = reader.Header;
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        var functions = new Dictionary<string, int>(StringComparer.Ordinal);
        static int Intern(Dictionary<string, int> table, string name)
        {
            if (!table.TryGetValue(name, out var i))
            {
                i = table.Count;
                table[name] = i;
            }

            return i;
        }

        var seq = new Column<uint>();
        var from = new Column<ushort>();
        var to = new Column<ushort>();
        var type = new Column<ushort>();
        var cpu = new Column<short>();
        var fn = new Column<short>();
        var req = new Column<uint>();
        var flags = new Column<byte>();
        var level = new Column<sbyte>();
        var index = new Column<short>();
        var table = new Column<double>();
        var vaHi = new Column<uint>();
        var vaLo = new Column<uint>();
        var vaSpan = new Column<double>();
        var physStart = new Column<double>();
        var physEnd = new Column<double>();
        var textStart = new Column<uint>();

        var textOffset = position;
        var decoder = new EntryDecoder();
        var line = new StringBuilder(512);
        var bytes = new byte[4096];
        long written = 0;
        long violation = -1;
        foreach (var e in reader.Events())
        {
            var entry = decoder.Decode(e, out var request);
            if (range.PastRange(e))
            {
                break;
            }

            if (!range.InRange(e))
            {
                continue;
            }

            if (e.IsViolation && violation < 0)
            {
                violation = written;
            }

            written++;
            seq.Add((uint)e.Seq);
            from.Add((ushort)e.From);
            to.Add((ushort)e.To);
            type.Add((ushort)Intern(types, e.Type));
            cpu.Add((short)e.Cpu);
            fn.Add((short)(e.Function is { } f ? Intern(functions, f) : -1));
            req.Add((uint)request);
            flags.Add((byte)((e.IsReply ? 1 : 0) | (e.IsViolation ? 2 : 0)));
            level.Add((sbyte)(entry?.Level is { } l ? Depth(l) : -1));
            index.Add((short)(entry?.Index ?? -1));
            table.Add(entry?.Table is { } t ? t : double.NaN);
            var va = entry?.VaStart ?? 0;
            vaHi.Add((uint)(va >> 32));
            vaLo.Add((uint)va);
            vaSpan.Add(entry?.VaSpan is { } span ? span : 0);
            physStart.Add(entry?.PhysStart is { } ps ? ps : double.NaN);
            physEnd.Add(entry?.PhysEnd is { } pe ? pe : double.NaN);

            line.Clear();
            line.Append(e.Effect).Append(Separator);
            for (var i = 0; i < e.Fields.Count; i++)
            {
                if (i > 0)
                {
                    line.Append('\u001e');
                }

                line.Append(e.Fields[i].Key).Append('=').Append(e.Fields[i].Value);
            }

            line.Append(Separator).Append(entry?.Text).Append(Separator);
            Clock(line, e.FromClock);
            line.Append(Separator);
            Clock(line, e.ToClock);
            var n = Encoding.UTF8.GetMaxByteCount(line.Length);
            if (n > bytes.Length)
            {
                bytes = new byte[Math.Max(n, bytes.Length * 2)];
            }

            var count = Encoding.UTF8.GetBytes(line.ToString(), bytes);
            textStart.Add((uint)(position - textOffset));
            output.Write(bytes, 0, count);
            position += count;
        }

        textStart.Add((uint)(position - textOffset));
        var sections = new JsonObject { ["text"] = new JsonArray(textOffset, position - textOffset, "u8") };
        void Keep<T>(string name, Column<T> c)
            where T : unmanaged
        {
            pending.Add(($"{prefix}.{name}", c.TypeName, c.ToBytes()));
        }

        Keep("textStart", textStart);
        Keep("seq", seq);
        Keep("from", from);
        Keep("to", to);
        Keep("type", type);
        Keep("cpu", cpu);
        Keep("fn", fn);
        Keep("req", req);
        Keep("flags", flags);
        Keep("level", level);
        Keep("index", index);
        Keep("table", table);
        Keep("vaHi", vaHi);
        Keep("vaLo", vaLo);
        Keep("vaSpan", vaSpan);
        Keep("physStart", physStart);
        Keep("physEnd", physEnd);

        var info = new JsonObject
        {
            ["prefix"] = prefix,
            ["file"] = Path.GetFileName(path),
            ["scenario"] = header.Scenario,
            ["mode"] = header.Mode,
            ["strategy"] = header.Strategy,
            ["seed"] = header.Seed,
            ["start"] = header.Start,
            ["actors"] = new JsonArray(header.Actors.Select(a => (JsonNode?)a).ToArray()),
            ["types"] = Names(types),
            ["functions"] = Names(functions),
            ["count"] = written,
            ["violation"] = violation,
            ["text"] = sections["text"]!.DeepClone(),
            ["history"] = History(prefix, history, historyError, seq),
        };
        traces.Add(info);
        return (info, written);
    }

    /// <summary>Writes the kept columns, the directory and its length.</summary>
    public void Finish(JsonObject extra)
    {
        var sections = new JsonObject();
        foreach (var (name, type, data) in pending)
        {
            Align();
            sections[name] = new JsonArray(position, data.Length, type);
            output.Write(data);
            position += data.Length;
        }

        var root = new JsonObject { ["version"] = 1, ["traces"] = traces, ["sections"] = sections };
        foreach (var (k, v) in extra)
        {
            root[k] = v?.DeepClone();
        }

        var json = Encoding.UTF8.GetBytes(root.ToJsonString());
        output.Write(json);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)json.Length);
        output.Write(length);
        position += json.Length + 4;
    }

    private JsonNode History(string prefix, TableHistory? history, string? error, Column<uint> seqs)
    {
        if (history is null)
        {
            return new JsonObject { ["error"] = error ?? "no history" };
        }

        var count = seqs.Count;
        var first = count > 0 ? seqs[0] : uint.MaxValue;

        // The tables as they stood before the first event shown: the run's start plus every change before it.
        var pages = new SortedDictionary<ulong, (Level Level, ulong[] Entries)>();
        foreach (var p in history.Initial)
        {
            var entries = new ulong[512];
            foreach (var (i, v) in p.Entries)
            {
                entries[i] = v;
            }

            pages[p.Pfn] = (p.Level, entries);
        }

        var shown = new List<EntryWrite>();
        foreach (var w in history.Writes)
        {
            if (w.Seq >= first)
            {
                shown.Add(w);
                continue;
            }

            if (!pages.TryGetValue(w.Table, out var page))
            {
                page = (w.Level, new ulong[512]);
                pages[w.Table] = page;
            }

            for (var k = 0; k < w.Count; k++)
            {
                page.Entries[w.Index + k] = w.Value + (ulong)k * w.Stride;
            }
        }

        var ipPfn = new Column<double>();
        var ipLevel = new Column<byte>();
        var ipStart = new Column<uint>();
        var ieIndex = new Column<ushort>();
        var ieHi = new Column<uint>();
        var ieLo = new Column<uint>();
        foreach (var (pfn, (lvl, entries)) in pages)
        {
            ipPfn.Add(pfn);
            ipLevel.Add((byte)Depth(lvl));
            ipStart.Add((uint)ieIndex.Count);
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i] != 0)
                {
                    ieIndex.Add((ushort)i);
                    ieHi.Add((uint)(entries[i] >> 32));
                    ieLo.Add((uint)entries[i]);
                }
            }
        }

        ipStart.Add((uint)ieIndex.Count);

        // Each shown event's writes: evWrites[i] .. evWrites[i + 1].
        var evWrites = new Column<uint>();
        var wTable = new Column<double>();
        var wLevel = new Column<byte>();
        var wIndex = new Column<ushort>();
        var wCount = new Column<ushort>();
        var wHi = new Column<uint>();
        var wLo = new Column<uint>();
        var wStride = new Column<double>();
        var wBeforeHi = new Column<uint>();
        var wBeforeLo = new Column<uint>();
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            evWrites.Add((uint)wTable.Count);
            while (at < shown.Count && shown[at].Seq < seqs[i])
            {
                at++;
            }

            while (at < shown.Count && shown[at].Seq == seqs[i])
            {
                var w = shown[at++];
                wTable.Add(w.Table);
                wLevel.Add((byte)Depth(w.Level));
                wIndex.Add((ushort)w.Index);
                wCount.Add((ushort)w.Count);
                wHi.Add((uint)(w.Value >> 32));
                wLo.Add((uint)w.Value);
                wStride.Add(w.Stride);
                wBeforeHi.Add((uint)(w.Before >> 32));
                wBeforeLo.Add((uint)w.Before);
            }
        }

        evWrites.Add((uint)wTable.Count);
        foreach (var (name, column) in new (string, IColumn)[]
                 {
                     ("ipPfn", ipPfn), ("ipLevel", ipLevel), ("ipStart", ipStart), ("ieIndex", ieIndex), ("ieHi", ieHi), ("ieLo", ieLo),
                     ("evWrites", evWrites), ("wTable", wTable), ("wLevel", wLevel), ("wIndex", wIndex), ("wCount", wCount), ("wHi", wHi), ("wLo", wLo),
                     ("wStride", wStride), ("wBeforeHi", wBeforeHi), ("wBeforeLo", wBeforeLo),
                 })
        {
            pending.Add(($"{prefix}.{name}", column.TypeName, column.ToBytes()));
        }

        // Each CPU's TLB before the first event shown, then every later version.
        var tlbs = new JsonArray();
        foreach (var group in history.Tlbs.GroupBy(v => v.Cpu))
        {
            var before = group.LastOrDefault(v => v.Seq < first) ?? group.First();
            foreach (var v in group.Where(v => v == before || v.Seq >= first))
            {
                tlbs.Add(new JsonObject
                {
                    ["seq"] = v == before ? 0 : v.Seq,
                    ["cpu"] = v.Cpu,
                    ["lines"] = new JsonArray(TlbText.Lines(v.Cpu, v.Entries, v.Flushes).Select(l => (JsonNode?)l).ToArray()),
                });
            }
        }

        var narrative = history.Narrative is { } story
            ? new JsonArray(story.Select(l => (JsonNode?)new JsonObject { ["text"] = l.Text, ["seq"] = l.Seq, ["role"] = l.Role }).ToArray())
            : null;
        return new JsonObject
        {
            ["how"] = history.How,
            ["root"] = history.Root,
            ["cpus"] = history.Cpus,
            ["tlbs"] = tlbs,
            ["narrative"] = narrative,
        };
    }

    /// <summary>The viewer numbers levels from the top: pgd 0, pud 1, pmd 2, pte 3.</summary>
    private static int Depth(Level level) => 4 - (int)level;

    private void Align()
    {
        while (position % 8 != 0)
        {
            output.WriteByte(0);
            position++;
        }
    }

    private static void Clock(StringBuilder sb, long[] clock)
    {
        var first = true;
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] == 0)
            {
                continue;
            }

            if (!first)
            {
                sb.Append(',');
            }

            first = false;
            sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(':').Append(clock[i].ToString(CultureInfo.InvariantCulture));
        }
    }

    private static JsonArray Names(Dictionary<string, int> table) =>
        new(table.OrderBy(kv => kv.Value).Select(kv => (JsonNode?)kv.Key).ToArray());

    private interface IColumn
    {
        string TypeName { get; }

        byte[] ToBytes();
    }

    /// <summary>A growable array of one primitive type, written little-endian (the byte order of every machine the page runs on).</summary>
    private sealed class Column<T> : IColumn
        where T : unmanaged
    {
        private T[] items = new T[1024];

        public int Count { get; private set; }

        public string TypeName => typeof(T) switch
        {
            var t when t == typeof(byte) => "u8",
            var t when t == typeof(sbyte) => "i8",
            var t when t == typeof(ushort) => "u16",
            var t when t == typeof(short) => "i16",
            var t when t == typeof(uint) => "u32",
            var t when t == typeof(double) => "f64",
            _ => throw new NotSupportedException(typeof(T).Name),
        };

        public T this[int i] => items[i];

        public void Add(T value)
        {
            if (Count == items.Length)
            {
                Array.Resize(ref items, items.Length * 2);
            }

            items[Count++] = value;
        }

        public byte[] ToBytes()
        {
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("the viewer's data is written little-endian");
            }

            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(items.AsSpan(0, Count)).ToArray();
        }
    }
}

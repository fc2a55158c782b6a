using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using BootActors.Model.Files;
using BootActors.Model.Workload;

namespace BootActors.Actors.TraceTools;

/// <summary>
/// Reads a JSON Lines trace (docs/trace-format.md) one event at a time, so a million-event file
/// costs one event's memory. Every defect is reported as file:line: reason
/// (<see cref="TraceFormatException"/>): a person repairs or regenerates a file by its line.
/// </summary>
public sealed class TraceReader : IDisposable
{
    public const int SupportedVersion = 1;

    /// <summary>The most actors a run has: those of the largest machine (<see cref="RunSpecLimits.MaxCpus"/> CPUs, Xen).</summary>
    public static readonly int MaxActors = new Infrastructure.Topology(RunSpecLimits.MaxCpus, xen: true).Count;

    private const int InitialBuffer = 1 << 20;

    private readonly Stream stream;
    private readonly StringPool pool = new();
    private readonly Dictionary<string, int> actorIndex;
    private byte[] buffer = new byte[InitialBuffer];
    private int start;
    private int end;
    private bool eof;
    private long line;

    public TraceReader(Stream input, string name)
    {
        stream = input;
        Name = name;
        Header = ReadHeader();
        actorIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Header.Actors.Count; i++)
        {
            actorIndex[Header.Actors[i]] = i;
        }
    }

    /// <summary>
    /// Skip each event's fields and effect (they come back empty and null): for passes that only need
    /// the order and the clocks, which then read a large trace faster.
    /// </summary>
    public bool OrderOnly { get; set; }

    /// <summary>The file name used in messages.</summary>
    public string Name { get; }

    public TraceFileHeader Header { get; }

    public static TraceReader Open(string path)
    {
        FileStream file;
        try
        {
            file = InputFile.OpenRead(path, "trace file", bufferSize: 1);
        }
        catch (InputFileException ex)
        {
            throw new TraceFormatException(path, 0, ex.Reason);
        }

        try
        {
            return new TraceReader(file, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads just the header of a file.</summary>
    public static TraceFileHeader ReadHeaderOf(string path)
    {
        using var reader = Open(path);
        return reader.Header;
    }

    /// <summary>The next event, or null at the end of the file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TraceEvent? Read()
    {
        while (NextLine(out var offset, out var length, out var terminated))
        {
            var bytes = new ReadOnlySpan<byte>(buffer, offset, length);
            if (IsBlank(bytes))
            {
                // A blank line carries nothing; editors leave them at the end.
                continue;
            }

            CheckUtf8(bytes, line);
            return ParseEvent(bytes, terminated);
        }

        return null;
    }

    /// <summary>All remaining events, read lazily.</summary>
    public IEnumerable<TraceEvent> Events()
    {
        while (Read() is { } e)
        {
            yield return e;
        }
    }

    public void Dispose() => stream.Dispose();

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Finds the next line in the buffer, reading more as needed; the span excludes "\n" and a trailing "\r".</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool NextLine(out int offset, out int length, out bool terminated)
    {
        var scanFrom = start;
        while (true)
        {
            var nl = new ReadOnlySpan<byte>(buffer, scanFrom, end - scanFrom).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                offset = start;
                length = scanFrom + nl - start;
                start = scanFrom + nl + 1;
                terminated = true;
                break;
            }

            if (eof)
            {
                if (start == end)
                {
                    offset = length = 0;
                    terminated = false;
                    return false;
                }

                offset = start;
                length = end - start;
                start = end;
                terminated = false;
                break;
            }

            scanFrom = end - start;
            Fill();
        }

        line++;
        if (length > 0 && buffer[offset + length - 1] == (byte)'\r')
        {
            length--;
        }

        return true;
    }

    /// <summary>Moves the unread part to the front (growing the buffer for a long line) and reads more.</summary>
    private void Fill()
    {
        var pending = end - start;
        if (pending == buffer.Length)
        {
            if (buffer.Length >= InputFile.MaxTraceLineBytes)
            {
                throw new TraceFormatException(Name, line + 1, $"a line longer than {InputFile.MaxTraceLineBytes >> 20} MiB: not a trace line (is this a trace file?)");
            }

            Array.Resize(ref buffer, Math.Min(buffer.Length * 2, InputFile.MaxTraceLineBytes));
        }

        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, pending);
        }

        start = 0;
        end = pending;
        int n;
        try
        {
            n = stream.Read(buffer, end, buffer.Length - end);
        }
        catch (IOException ex)
        {
            throw new TraceFormatException(Name, line + 1, $"cannot read the file: {ex.Message}");
        }

        if (n == 0)
        {
            eof = true;
        }

        end += n;
    }

    private TraceFileHeader ReadHeader()
    {
        if (!NextLine(out var offset, out var length, out var terminated) || IsBlank(new ReadOnlySpan<byte>(buffer, offset, length)))
        {
            throw new TraceFormatException(Name, 0, "empty file: a trace starts with a header line {\"bootactors_trace\":1,…}");
        }

        CheckUtf8(new ReadOnlySpan<byte>(buffer, offset, length), 1);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(new ReadOnlySpan<byte>(buffer, offset, length)) as JsonObject
                     ?? throw Bad(1, "the header is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw Bad(1, terminated ? $"not JSON: {JsonReason(ex)}" : "truncated: the file ends inside the header line");
        }

        if (header["bootactors_trace"] is not JsonValue versionNode)
        {
            throw Bad(1, header.ContainsKey("seq")
                ? "missing header: the first line is an event; a trace starts with a header line {\"bootactors_trace\":1,…}"
                : "not a bootactors trace: the first line has no \"bootactors_trace\" field");
        }

        if (!versionNode.TryGetValue<int>(out var version))
        {
            throw Bad(1, $"\"bootactors_trace\" is {versionNode.ToJsonString()}, not a format version number");
        }

        if (version != SupportedVersion)
        {
            throw Bad(1, version > SupportedVersion
                ? $"trace format version {version} is newer than this bootactors reads (version {SupportedVersion}); use the bootactors that wrote it"
                : $"trace format version {version} is not a bootactors trace format (the first is version {SupportedVersion})");
        }

        var actors = new List<string>();
        if (header["actors"] is not JsonArray actorArray || actorArray.Count == 0)
        {
            throw Bad(1, "the header has no \"actors\" list");
        }

        if (actorArray.Count > MaxActors)
        {
            throw Bad(1, $"\"actors\" lists {actorArray.Count} actors; a run has at most {MaxActors} (host, a CPU and a TLB for each of {RunSpecLimits.MaxCpus} CPUs, memory, allocator, two locks, hypervisor)");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in actorArray)
        {
            if (a is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !v.TryGetValue<string>(out var name) || name.Length == 0)
            {
                throw Bad(1, "\"actors\" holds something other than a name");
            }

            if (!seen.Add(name))
            {
                throw Bad(1, $"actor \"{name}\" is listed twice");
            }

            actors.Add(name);
        }

        long? seed = null;
        if (header["seed"] is JsonValue seedNode)
        {
            if (!seedNode.TryGetValue<long>(out var s))
            {
                throw Bad(1, "\"seed\" is not an integer");
            }

            seed = s;
        }

        return new TraceFileHeader
        {
            Version = version,
            Scenario = HeaderString(header, "scenario", "(unnamed)"),
            Mode = HeaderString(header, "mode", null),
            Seed = seed,
            Strategy = HeaderString(header, "strategy", null),

            // Traces written before runs could start after the boot have no "start": they traced the whole run.
            Start = HeaderString(header, "start", "boot"),
            Spec = header["spec"] as JsonObject,
            Actors = actors,
        };
    }

    private string HeaderString(JsonObject header, string key, string? fallback)
    {
        if (header[key] is JsonValue v && v.TryGetValue<string>(out var s))
        {
            return s;
        }

        return fallback ?? throw Bad(1, $"the header has no \"{key}\"");
    }

    private TraceEvent ParseEvent(ReadOnlySpan<byte> bytes, bool terminated)
    {
        try
        {
            return ParseEventJson(bytes);
        }
        catch (JsonException ex)
        {
            throw Bad(line, terminated ? $"not JSON: {JsonReason(ex)}" : "truncated: the file ends inside this line");
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader's getters throw this for a value of the wrong JSON type.
            throw Bad(line, terminated ? $"malformed event: {ex.Message}" : "truncated: the file ends inside this line");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TraceEvent ParseEventJson(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Bad(line, "an event must be a JSON object");
        }

        var n = Header.Actors.Count;
        long seq = -1;
        int from = -1, to = -1, cpu = -1;
        string? type = null, function = null, effect = null;
        List<KeyValuePair<string, string>>? fields = null;
        long[]? fromClock = null, toClock = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = pool.Get(reader.ValueSpan);
            reader.Read();
            switch (key)
            {
                case "seq":
                    seq = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var s) && s > 0
                        ? s
                        : throw Bad(line, "\"seq\" must be a positive integer");
                    break;
                case "from":
                    from = Actor(ref reader, "from");
                    break;
                case "to":
                    to = Actor(ref reader, "to");
                    break;
                case "type":
                    type = reader.TokenType == JsonTokenType.String ? pool.Get(reader.ValueSpan) : throw Bad(line, "\"type\" must be a string");
                    break;
                case "fields" when OrderOnly:
                case "effect" when OrderOnly:
                    reader.Skip();
                    break;
                case "fields":
                    fields = Fields(ref reader);
                    break;
                case "from_clock":
                    fromClock = Clock(ref reader, "from_clock", n);
                    break;
                case "to_clock":
                    toClock = Clock(ref reader, "to_clock", n);
                    break;
                case "cpu":
                    cpu = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c) && c >= 0
                        ? c
                        : throw Bad(line, "\"cpu\" must be a CPU number");
                    break;
                case "function":
                    function = reader.TokenType == JsonTokenType.String ? pool.Get(reader.ValueSpan) : throw Bad(line, "\"function\" must be a string");
                    break;
                case "effect":
                    effect = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Bad(line, "\"effect\" must be a string");
                    break;
                default:
                    // A field a later writer added: skipped, so such traces stay readable.
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw Bad(line, "malformed event object");
        }

        if (reader.Read())
        {
            throw Bad(line, "more than one JSON value on the line");
        }

        string Missing(string what) => $"event has no \"{what}\"";
        return new TraceEvent
        {
            Seq = seq > 0 ? seq : throw Bad(line, Missing("seq")),
            Line = line,
            From = from >= 0 ? from : throw Bad(line, Missing("from")),
            To = to >= 0 ? to : throw Bad(line, Missing("to")),
            Type = type ?? throw Bad(line, Missing("type")),
            Fields = (IReadOnlyList<KeyValuePair<string, string>>?)fields ?? [],
            FromClock = fromClock ?? throw Bad(line, Missing("from_clock")),
            ToClock = toClock ?? throw Bad(line, Missing("to_clock")),
            Cpu = cpu,
            Function = function,
            Effect = effect,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Actor(ref Utf8JsonReader reader, string key)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Bad(line, $"\"{key}\" must be an actor name");
        }

        var name = pool.Get(reader.ValueSpan);
        return actorIndex.TryGetValue(name, out var i)
            ? i
            : throw Bad(line, $"\"{key}\": \"{name}\" is not among the header's actors");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private List<KeyValuePair<string, string>> Fields(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Bad(line, "\"fields\" must be an object");
        }

        var list = new List<KeyValuePair<string, string>>(6);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = pool.Get(reader.ValueSpan);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Bad(line, $"field \"{key}\" must be a string");
            }

            // Level names repeat on most events; everything else is read as is.
            list.Add(new(key, key == "level" ? pool.Get(reader.ValueSpan) : reader.GetString()!));
        }

        return list;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long[] Clock(ref Utf8JsonReader reader, string key, int n)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Bad(line, $"\"{key}\" must be an object of actor: count");
        }

        var clock = new long[n];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = pool.Get(reader.ValueSpan);
            reader.Read();
            if (!actorIndex.TryGetValue(name, out var i))
            {
                throw Bad(line, $"\"{key}\" names \"{name}\", which is not among the header's actors");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 0)
            {
                throw Bad(line, $"\"{key}\".\"{name}\" must be a non-negative integer");
            }

            clock[i] = v;
        }

        return clock;
    }

    /// <summary>
    /// JSON text is UTF-8 (RFC 8259); the JSON reader does not check the bytes inside a string it
    /// is not asked to decode, so a damaged line is refused here, where its line is known.
    /// </summary>
    private void CheckUtf8(ReadOnlySpan<byte> bytes, long at)
    {
        if (!Utf8.IsValid(bytes))
        {
            try
            {
                InputFile.Decode(bytes, Name, "trace file");
            }
            catch (InputFileException ex)
            {
                throw Bad(at, ex.Reason);
            }
        }
    }

    private static string JsonReason(JsonException ex)
    {
        // System.Text.Json appends its own 0-based position; the file:line prefix replaces it.
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        }

        message = OneLine.Of((cut >= 0 ? message[..cut] : message).TrimEnd('.', ' '), 200);
        return ex.BytePositionInLine is { } b ? $"{message} (at byte {b + 1})" : message;
    }

    private TraceFormatException Bad(long at, string reason) => new(Name, at, reason);

    /// <summary>
    /// Interns the few distinct names (actors, types, field keys, functions) straight from their UTF-8
    /// bytes, so a million events do not allocate a million copies of "ReadEntry".
    /// </summary>
    private sealed class StringPool
    {
        private readonly Dictionary<ulong, List<(byte[] Bytes, string Text)>> entries = new();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public string Get(ReadOnlySpan<byte> utf8)
        {
            // FNV-1a over the bytes: names are short, collisions are resolved by comparing bytes.
            var hash = 14695981039346656037UL;
            foreach (var b in utf8)
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            if (!entries.TryGetValue(hash, out var bucket))
            {
                bucket = new List<(byte[], string)>(1);
                entries[hash] = bucket;
            }

            foreach (var (bytes, text) in bucket)
            {
                if (utf8.SequenceEqual(bytes))
                {
                    return text;
                }
            }

            // Escaped names (\uXXXX) are not expected from the writer; decode them properly anyway.
            var s = utf8.IndexOf((byte)'\\') >= 0 ? JsonSerializer.Deserialize<string>("\"" + Encoding.UTF8.GetString(utf8) + "\"")! : Encoding.UTF8.GetString(utf8);
            if (entries.Count < 100_000)
            {
                bucket.Add((utf8.ToArray(), s));
            }

            return s;
        }
    }
}

using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BootActors.Actors.Infrastructure;
using BootActors.Model.Kernel;

namespace BootActors.Actors.Trace;

/// <summary>Receives one event per delivered model message. Implementations are thread-safe.</summary>
public interface ITraceSink
{
    void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock);
}

/// <summary>The header line of a trace file: what ran, with which actors.</summary>
public sealed record TraceHeader(string Scenario, string Mode, long? Seed, string Strategy, IReadOnlyList<string> Actors)
{
    /// <summary>The resolved run (machine and workload), so a tool can re-run it exactly (e.g. to show the tables at a point).</summary>
    public Model.Workload.RunSpec? Spec { get; init; }

    /// <summary>Where the run starts: "boot" (the whole run is traced) or "after-boot" (the boot ran elsewhere and only the workload is traced).</summary>
    public string Start { get; init; } = "boot";
}

/// <summary>
/// Writes the trace as JSON Lines: a header object, then one object per delivered message with
/// its sequence number, sender and receiver, type and fields, both vector clocks (non-zero
/// components), and the CPU step it belongs to. No wall-clock fields, so a controlled run with
/// the same seed writes the same bytes.
/// </summary>
public sealed class JsonlTraceSink : ITraceSink, IDisposable
{
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly object gate = new();
    private readonly Stream stream;
    private readonly bool ownsStream;
    private readonly IReadOnlyList<string> names;
    private readonly Dictionary<string, string> fields = new();
    private readonly MemoryStream buffer = new();
    private readonly Utf8JsonWriter writer;

    public JsonlTraceSink(Stream stream, TraceHeader header, bool ownsStream = true)
    {
        this.stream = stream;
        this.ownsStream = ownsStream;
        names = header.Actors;
        writer = new Utf8JsonWriter(buffer, Options);
        writer.WriteStartObject();
        writer.WriteNumber("bootactors_trace", FormatVersion);
        writer.WriteString("scenario", header.Scenario);
        writer.WriteString("mode", header.Mode);
        if (header.Seed is { } seed)
        {
            writer.WriteNumber("seed", seed);
        }

        writer.WriteString("strategy", header.Strategy);
        writer.WriteString("start", header.Start);
        if (header.Spec is { } spec)
        {
            writer.WritePropertyName("spec");
            spec.ToJson().WriteTo(writer);
        }

        writer.WriteStartArray("actors");
        foreach (var n in names)
        {
            writer.WriteStringValue(n);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        FlushLine();
    }

    public long Events { get; private set; }

    /// <summary>
    /// The first write that failed (a full disk), after which nothing more is written. The run goes
    /// on undisturbed — a trace is an observer — and the caller reports the file as not written.
    /// </summary>
    public IOException? WriteError { get; private set; }

    public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock)
    {
        lock (gate)
        {
            fields.Clear();
            message.Fields(fields);
            writer.WriteStartObject();
            writer.WriteNumber("seq", seq);
            writer.WriteString("from", names[from]);
            writer.WriteString("to", names[to]);
            writer.WriteString("type", message.TypeName);
            writer.WriteStartObject("fields");
            foreach (var (k, v) in fields)
            {
                writer.WriteString(k, v);
            }

            writer.WriteEndObject();
            WriteClock("from_clock", senderClock);
            WriteClock("to_clock", receiverClock);
            var tag = message.Tag;
            if (tag.Cpu >= 0)
            {
                writer.WriteNumber("cpu", tag.Cpu);
                writer.WriteString("function", tag.Step.Fn.ToString());
                writer.WriteString("effect", Describe.Effect(tag.Step));
            }

            writer.WriteEndObject();
            FlushLine();
            Events++;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            writer.Dispose();
            try
            {
                if (WriteError is null)
                {
                    stream.Flush();
                }

                if (ownsStream)
                {
                    stream.Dispose();
                }
            }
            catch (IOException ex)
            {
                WriteError ??= ex;
            }
        }
    }

    private void WriteClock(string name, long[] clock)
    {
        writer.WriteStartObject(name);
        for (var i = 0; i < clock.Length; i++)
        {
            if (clock[i] != 0)
            {
                writer.WriteNumber(names[i], clock[i]);
            }
        }

        writer.WriteEndObject();
    }

    private void FlushLine()
    {
        writer.Flush();
        buffer.WriteByte((byte)'\n');
        if (WriteError is null)
        {
            try
            {
                stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            }
            catch (IOException ex)
            {
                WriteError = ex;
            }
        }

        buffer.SetLength(0);
        writer.Reset(buffer);
    }
}

/// <summary>A trace kept in memory (tests, exploration replays).</summary>
public sealed class MemoryTraceSink : ITraceSink
{
    private readonly MemoryStream stream = new();
    private readonly JsonlTraceSink inner;

    public MemoryTraceSink(TraceHeader header) => inner = new JsonlTraceSink(stream, header, ownsStream: false);

    public void Record(long seq, int from, int to, ModelMessage message, long[] senderClock, long[] receiverClock) =>
        inner.Record(seq, from, to, message, senderClock, receiverClock);

    public string Text()
    {
        lock (stream)
        {
            return Encoding.UTF8.GetString(stream.ToArray());
        }
    }
}

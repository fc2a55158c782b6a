using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BootActors.Actors.TraceTools;

namespace BootActors.Cli.Trace;

/// <summary>
/// One self-contained HTML file: the viewer (<see cref="HtmlViewer"/>, inline CSS and JavaScript,
/// nothing fetched) with the trace embedded as <see cref="ViewerPayload"/>, gzip-compressed and
/// base64-encoded (the page inflates it with the browser's DecompressionStream). With a second trace
/// (--compare) both are embedded, with where they first diverge.
/// </summary>
internal static class HtmlExporter
{
    public static ExportResult Write(string path, EventFilter range, Stream output, string? compare)
    {
        var notes = new List<string>();
        var historyA = History(path, notes);
        var historyB = compare is null ? default : History(compare, notes);
        var header = TraceReader.ReadHeaderOf(path);

        output.Write(Encoding.UTF8.GetBytes(HtmlViewer.Head(header.Scenario)));
        long written;
        using (var base64 = new CryptoStream(output, new ToBase64Transform(), CryptoStreamMode.Write, leaveOpen: true))
        {
            using (var gzip = new GZipStream(base64, CompressionLevel.Optimal, leaveOpen: true))
            using (var buffered = new BufferedStream(gzip, 1 << 16))
            {
                var payload = new ViewerPayload(buffered);
                (_, written) = payload.AddTrace(path, "a", range, historyA.History, historyA.Error);
                var extra = new JsonObject();
                if (compare is not null)
                {
                    payload.AddTrace(compare, "b", range, historyB.History, historyB.Error);
                    var (same, a, b) = TraceQueries.FirstDivergence(path, compare);
                    extra["divergence"] = new JsonObject { ["same"] = same, ["a"] = a, ["b"] = b };
                }

                payload.Finish(extra);
            }
        }

        output.Write(Encoding.UTF8.GetBytes(HtmlViewer.Tail));
        output.Flush();
        return new ExportResult(written, notes.Count == 0 ? null : string.Join("; ", notes));
    }

    /// <summary>The page-table history by re-running the trace's run, or why it cannot be had (the viewer then says so).</summary>
    private static (TableHistory? History, string? Error) History(string path, List<string> notes)
    {
        try
        {
            return (TableHistory.Record(path), null);
        }
        catch (TraceFormatException ex)
        {
            notes.Add($"the page tables of {Path.GetFileName(path)} are not in the viewer: {ex.Message}");
            return (null, ex.Message);
        }
    }
}

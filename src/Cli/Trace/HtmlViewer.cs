using System.Net;
using System.Reflection;

namespace BootActors.Cli.Trace;

/// <summary>
/// The trace viewer page: inline CSS and JavaScript only (no CDN, no fetch), so the exported file
/// opens from disk, offline, years later. The script and style live beside this file
/// (Trace/Viewer/viewer.js, viewer.css) and are embedded in the assembly. Rows are virtualised —
/// only the rows in view are in the DOM — so a trace of a million events scrolls as one of a hundred.
/// </summary>
internal static class HtmlViewer
{
    private static readonly Lazy<string> Css = new(() => Resource("viewer.css"));
    private static readonly Lazy<string> Script = new(() => Resource("viewer.js"));

    /// <summary>Everything before the embedded data; ends by opening the data's script element.</summary>
    public static string Head(string scenario) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>bootactors trace: {{WebUtility.HtmlEncode(scenario)}}</title>
        <style>
        {{Css.Value}}
        </style>
        </head>
        <body>
        <header>
          <div id="title"><span></span><span id="status"></span></div>
          <div id="violation" class="none"></div>
          <details id="story" open hidden><summary>What happened, in kernel terms (click a line to go to its event; ★ marks these events in the lanes)</summary><ol id="narrative"></ol></details>
          <div id="compare-bar" hidden></div>
          <div id="controls">
            <label>CPU <select id="filter-cpu"><option value="">all</option></select></label>
            <label>actor <select id="filter-actor"><option value="">all</option></select></label>
            <label>type <select id="filter-type"><option value="">all</option></select></label>
            <button id="jump-violation" type="button">jump to violation</button>
            <input id="search" type="search" placeholder="search: text, #seq, 0xaddress, pud[8] of 0x202, 0x202[8]" aria-label="search" spellcheck="false">
            <button id="search-prev" type="button" title="previous match (shift+enter)">&#9650;</button>
            <button id="search-next" type="button" title="next match (enter)">&#9660;</button>
            <label><input id="only-matches" type="checkbox"> only matches</label>
            <span id="search-count"></span>
            <span id="count"></span>
          </div>
        </header>
        <main>
          <div id="timeline" tabindex="0">
            <div id="lane-head"></div>
            <div id="spacer"><svg id="rows" xmlns="http://www.w3.org/2000/svg"></svg></div>
          </div>
          <aside id="details"><p class="hint">Click an event to see its fields, clocks, the page-table entry it read or wrote, and the page tables and TLBs as they stood after it.</p></aside>
        </main>
        <script id="trace-data" type="application/octet-stream" data-encoding="base64 gzip">
        """;

    /// <summary>Everything after the embedded data.</summary>
    public static string Tail => "\n</script>\n<script>\n" + Script.Value + "\n</script>\n</body>\n</html>\n";

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"BootActors.Cli.Trace.Viewer.{name}")
                           ?? throw new InvalidOperationException($"the viewer's {name} is not embedded in the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

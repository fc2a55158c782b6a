using System.Text.Json;
using Microsoft.Playwright;

namespace BootActors.Trace.Tests;

/// <summary>
/// A fact that needs the system's Chromium (Debian's package at /usr/bin/chromium, which
/// .ci/install-chromium installs). Without it the test is skipped and says why, rather than failing
/// on a machine that cannot install a browser.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string DefaultPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath))
        {
            Skip = $"Chromium is not installed at {ExecutablePath} (install it with .ci/install-chromium, i.e. apt-get install chromium, " +
                   "or point BOOTACTORS_CHROMIUM at a Chromium binary): the HTML viewer is not tested in a browser on this machine";
        }
    }

    public static string ExecutablePath => Environment.GetEnvironmentVariable("BOOTACTORS_CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;
}

/// <summary>The HTML viewer in a real headless Chromium (Playwright for .NET on the system's browser).</summary>
[Collection(ViewerCollection.Name)]
public sealed class ViewerTests(TraceFiles traces)
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    [ChromiumFact]
    public async Task TheViewerShowsTheViolationAndDecodesTheEntryOfAClickedEvent()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var violation = trace.Single(e => e.Fields.ContainsKey("error"));
        var overwrite = trace.Last(e => e.Seq < violation.Seq && e.Type == "PudPopulate" && e.To == violation.From && e.From == violation.To);
        await using var viewer = await Viewer.Open(Export("viewer.html", traces.HotaddSeed0));
        var page = viewer.Page;

        // The violation is named at the top, with the error the run reported.
        var banner = await page.InnerTextAsync("#violation");
        Assert.Contains($"#{violation.Seq} Faulted memory → cpu1", banner);
        Assert.Contains("overwrote_present_entry", banner);

        // Jumping to it selects it and brings its row into view.
        await page.ClickAsync("#jump-violation");
        Assert.Contains($"#{violation.Seq} Faulted", await page.InnerTextAsync("#details h2"));
        Assert.True(await page.IsVisibleAsync($"g.ev[data-seq='{violation.Seq}']"));

        // Clicking the populate that overwrote pud[8] shows its fields and its entry decoded.
        await page.ClickAsync($"g.ev[data-seq='{overwrite.Seq}']");
        var entry = await page.InnerTextAsync("#detail-entry");
        Assert.Contains("pud[8] of table 0x202", entry);
        Assert.Contains($"pmd page {overwrite.Field("child")}", entry);
        Assert.Contains("flags PRESENT RW USER ACCESSED DIRTY", entry);
        Assert.Contains("maps va 0xffff880200000000-0xffff88023fffffff", entry);
        Assert.Contains(overwrite.Field("entry")!, await page.InnerTextAsync("#detail-fields"));
        await viewer.Screenshot("trace-viewer.png");

        // Filtering by CPU leaves only that CPU's messages.
        await page.SelectOptionAsync("#filter-cpu", "2");
        var cpus = await page.EvalOnSelectorAllAsync<string[]>("g.ev", "els => els.map(e => e.dataset.cpu)");
        Assert.NotEmpty(cpus);
        Assert.All(cpus, c => Assert.Equal("2", c));
        Assert.Contains($"{trace.Count(e => e.Cpu == 2)} of {trace.Count} events shown", await page.InnerTextAsync("#count"));
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task SearchFindsFreeTextASequenceNumberAnAddressAndATableEntry()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        await using var viewer = await Viewer.Open(Export("search.html", traces.HotaddSeed0));
        var page = viewer.Page;

        // Free text over the message type, the kernel function and the effect, case-insensitive.
        var text = trace.Count(e => Concat(e).Contains("pud_populate", StringComparison.OrdinalIgnoreCase));
        Assert.Equal($"{text} events", await Search(page, "PUD_populate"));
        Assert.True(await page.Locator("g.ev.match").CountAsync() > 0);
        await page.CheckAsync("#only-matches");
        Assert.Contains($"{text} of {trace.Count} events shown", await page.InnerTextAsync("#count"));
        Assert.All(await page.EvalOnSelectorAllAsync<string[]>("g.ev", "els => els.map(e => e.getAttribute('class'))"), c => Assert.Contains("match", c));
        await viewer.Screenshot("trace-viewer-search.png");
        await page.UncheckAsync("#only-matches");

        // A sequence number goes to the event.
        Assert.Equal("event #30011", await Search(page, "#30011"));
        Assert.StartsWith("#30011 PudPopulate cpu2 → memory", await page.InnerTextAsync("#details h2"));

        // An address finds what 'trace show --addr' finds: entries that map it, tables and ranges that hold it.
        var shown = Cli.Run("trace", "show", traces.HotaddSeed0, "--addr", "0xffff880200000000");
        Assert.Equal(0, shown.ExitCode);
        var events = shown.StdoutLines.Count(l => l.StartsWith('#'));
        Assert.True(events > 10);
        Assert.Equal($"{events} events", await Search(page, "0xffff880200000000"));
        Assert.Equal($"{events} events", await Search(page, "0x200000000"));

        // A table entry: every request that reads or writes pud[8] of table 0x202, and its reply.
        var requests = trace.Where(e => e.Field("table") == "0x202" && e.Field("level") == "pud" && e.Field("index") == "8").ToList();
        Assert.Equal($"{2 * requests.Count} events", await Search(page, "pud[8] of 0x202"));
        Assert.Equal($"{2 * requests.Count} events", await Search(page, "0x202[8]"));
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task ThePageTablesAtAnEventAreWhatTracePtPrints()
    {
        await using var viewer = await Viewer.Open(Export("tables.html", traces.HotaddSeed0));
        var page = viewer.Page;
        foreach (var seq in new[] { 1L, 29000, 29883, 30011, 30023 })
        {
            await Search(page, "#" + seq);
            var pt = Cli.Run("trace", "pt", traces.HotaddSeed0, "--at", seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0, pt.ExitCode);
            var lines = pt.Stdout.Split('\n');
            Assert.Equal(lines[0], await page.InnerTextAsync("#pt-title"));
            var dump = lines.SkipWhile(l => !l.StartsWith("---[", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0).ToArray();
            var tlbs = lines.SkipWhile(l => l != "TLBs").Skip(1).TakeWhile(l => l.Length > 0).ToArray();
            Assert.Equal(dump, await page.EvalOnSelectorAllAsync<string[]>("#pt-dump .ptl", "els => els.map(e => e.textContent)"));
            Assert.Equal(tlbs, await page.EvalOnSelectorAllAsync<string[]>("#pt-tlbs .tlbl", "els => els.map(e => e.textContent)"));
        }

        // A 2 MiB leaf written by #29882 (SetPmd): listed as changed and its line of the dump highlighted once the pmd page is linked.
        await Search(page, "#29882");
        var changed = await page.InnerTextAsync("#pt-changed");
        Assert.Contains("pmd[0] of table 0x3f0000001", changed);
        Assert.Contains("not reachable from init_level4_pgt yet", changed);
        await Search(page, "#30011");
        Assert.Contains("pud[8] of table 0x202: none (0x0) → pmd page 0x3f0000000", await page.InnerTextAsync("#pt-changed li.changed"));
        // The lines of the dump inside pud[8]'s gigabyte, and only those.
        var hit = await page.EvalOnSelectorAllAsync<string[]>("#pt-dump .ptl.hit", "els => els.map(e => e.textContent)");
        var all = await page.EvalOnSelectorAllAsync<string[]>("#pt-dump .ptl", "els => els.map(e => e.textContent)");
        Assert.Equal(all.Where(l => string.CompareOrdinal(l, "0xffff880200000000") >= 0 && string.CompareOrdinal(l, "0xffff880240000000") < 0), hit);
        Assert.StartsWith("0xffff880200000000-", hit[0]);

        // The violation: the overwrite it attempted of the present pud[8], refused before the write.
        await page.ClickAsync("#jump-violation");
        var attempted = await page.InnerTextAsync("#pt-changed li.overwrote.attempted");
        Assert.Contains("pud[8] of table 0x202: present (pmd page 0x3f0000000", attempted);
        Assert.Contains("overwrite of a present entry", attempted);
        await viewer.Screenshot("trace-viewer-tables.png");
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task AnEntryOverwrittenWhilePresentIsMarkedFromItsEventOn()
    {
        // The seed's parent natively: pgd_populate(pgd[272] → the new pud) over head_64.S's link to level3_ident_pgt.
        var trace = RawEvent.ReadAll(traces.NativeBefore);
        var populate = trace.Single(e => e.Type == "PgdPopulate");
        await using var viewer = await Viewer.Open(Export("before.html", traces.NativeBefore));
        var page = viewer.Page;

        await Search(page, "#" + (populate.Seq - 1));
        Assert.Equal(0, await page.Locator("#pt-overwritten").CountAsync());
        Assert.Equal(0, await page.Locator("#pt-dump .ptl.over").CountAsync());

        await Search(page, "#" + populate.Seq);
        var changed = await page.InnerTextAsync("#pt-changed li.overwrote");
        Assert.Contains("pgd[272] of table 0x201: pud page 0x202 (0x202063) → pud page 0x8 (0x8067)", changed);
        Assert.Contains("overwritten while present", changed);
        Assert.True(await page.Locator("#pt-dump .ptl.over").CountAsync() > 0);

        await Search(page, "#" + trace[^1].Seq);
        Assert.Contains($"pgd[272] of table 0x201: pud page 0x202 → pud page 0x8 at #{populate.Seq}", await page.InnerTextAsync("#pt-overwritten"));
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task TheStoryOfTheViolationLinksEachLineToItsEventAndStarsTheKeyEvents()
    {
        var trace = RawEvent.ReadAll(traces.HotaddSeed0);
        var violation = trace.Single(e => e.Fields.ContainsKey("error"));
        await using var viewer = await Viewer.Open(Export("story.html", traces.HotaddSeed0));
        var page = viewer.Page;

        var items = page.Locator("#narrative li");
        Assert.Equal(5, await items.CountAsync());
        var roles = await page.EvalOnSelectorAllAsync<string[]>("#narrative li .role", "els => els.map(e => e.textContent)");
        Assert.Equal(new[] { "read", "read", "populate", "populate", "violation" }, roles);
        var seqs = await page.EvalOnSelectorAllAsync<string[]>("#narrative li", "els => els.map(e => e.dataset.seq)");
        Assert.Equal(violation.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), seqs[^1]);

        for (var k = 0; k < 5; k++)
        {
            await items.Nth(k).Locator("a").ClickAsync();
            Assert.StartsWith($"#{seqs[k]} ", await page.InnerTextAsync("#details h2"));
            var row = page.Locator($"g.ev[data-seq='{seqs[k]}']");
            Assert.True(await row.IsVisibleAsync());
            if (k < 4)
            {
                Assert.Equal(roles[k], await row.GetAttributeAsync("data-key"));
                Assert.Contains("★ " + roles[k], await row.TextContentAsync());
                var e = trace.Single(x => x.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) == seqs[k]);
                Assert.Equal(roles[k] == "read" ? "ReadEntry" : "PudPopulate", e.Type);
            }
        }

        await items.Nth(2).Locator("a").ClickAsync();
        await viewer.Screenshot("trace-viewer-story.png");
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task TwoTracesSideBySideAreAlignedUpToTheirFirstDivergenceWhichIsMarked()
    {
        var html = traces.PathFor("compare.html");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "html", "--compare", traces.HotaddSeed1, "-o", html).ExitCode);
        var diff = Cli.Run("trace", "diff", traces.HotaddSeed0, traces.HotaddSeed1);
        var at = System.Text.RegularExpressions.Regex.Match(diff.Stdout, @"first divergence at #(\d+), after (\d+) identical deliveries");
        Assert.True(at.Success, diff.Stdout);
        var a = RawEvent.ReadAll(traces.HotaddSeed0);
        var b = RawEvent.ReadAll(traces.HotaddSeed1);

        await using var viewer = await Viewer.Open(html);
        var page = viewer.Page;
        var bar = await page.InnerTextAsync("#compare-bar");
        Assert.Contains($"first divergence after {at.Groups[2].Value} identical deliveries, at A #{at.Groups[1].Value} / B #{at.Groups[1].Value}", bar);

        await page.ClickAsync("#jump-divergence");
        Assert.True(await page.IsVisibleAsync("#divergence-mark"));
        Assert.StartsWith($"A #{at.Groups[1].Value} ", await page.InnerTextAsync("#details h2"));

        // Row by row: the same delivery on both sides before the mark, each trace's own at it.
        var same = int.Parse(at.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in new[] { same - 3, same - 1, same })
        {
            var left = await page.TextContentAsync($"g.ev[data-side='0'][data-i='{row}'] text");
            var right = await page.TextContentAsync($"g.ev[data-side='1'][data-i='{row}'] text");
            Assert.Equal($"#{a[row].Seq} {a[row].Type}", left);
            Assert.Equal($"#{b[row].Seq} {b[row].Type}", right);
            Assert.Equal(row < same, a[row].Type == b[row].Type && a[row].From == b[row].From && a[row].To == b[row].To && a[row].Cpu == b[row].Cpu && Same(a[row].Fields, b[row].Fields));
        }

        // B's events are its own: clicking one shows B's details and page tables.
        await page.ClickAsync($"g.ev[data-side='1'][data-i='{same}']");
        Assert.StartsWith($"B #{b[same].Seq} {b[same].Type}", await page.InnerTextAsync("#details h2"));
        Assert.StartsWith($"page tables after #{b[same].Seq} {b[same].Type}", await page.InnerTextAsync("#pt-title"));
        await viewer.Screenshot("trace-viewer-compare.png");
        viewer.AssertClean();
    }

    [ChromiumFact]
    public async Task AHundredThousandEventTraceOpensAndShowsItsLastTables()
    {
        var trace = traces.Xen7G;
        var count = File.ReadLines(trace).LongCount() - 1;
        Assert.True(count >= 100_000, $"{count} events");
        var html = Export("big.html", trace);

        // Compressed: the page is far smaller than the trace it holds.
        Assert.True(new FileInfo(html).Length * 5 < new FileInfo(trace).Length, $"{new FileInfo(html).Length} bytes of HTML for {new FileInfo(trace).Length} bytes of trace");

        await using var viewer = await Viewer.Open(html, TimeSpan.FromSeconds(60));
        var page = viewer.Page;
        Assert.Contains($"{count} of {count} events shown", await page.InnerTextAsync("#count"));
        await Search(page, "#" + count);
        var pt = Cli.Run("trace", "pt", trace, "--at", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var dump = pt.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("---[", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0).ToArray();
        Assert.Equal(dump, await page.EvalOnSelectorAllAsync<string[]>("#pt-dump .ptl", "els => els.map(e => e.textContent)"));
        var populates = RawEvent.ReadAll(trace).Count(e => Concat(e).Contains("pmd_populate_kernel", StringComparison.OrdinalIgnoreCase));
        Assert.True(populates > 0);
        Assert.Equal($"{populates} events", await Search(page, "pmd_populate_kernel"));
        viewer.AssertClean();
    }

    private static string Concat(RawEvent e)
    {
        using var doc = JsonDocument.Parse(e.Line);
        var r = doc.RootElement;
        string Get(string k) => r.TryGetProperty(k, out var v) ? v.GetString() ?? "" : "";
        return e.Type + "\n" + Get("function") + "\n" + Get("effect");
    }

    private static bool Same(Dictionary<string, string> x, Dictionary<string, string> y) =>
        x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private string Export(string name, string trace)
    {
        var html = traces.PathFor(name);
        Assert.Equal(0, Cli.Run("trace", "export", trace, "--format", "html", "-o", html).ExitCode);
        return html;
    }

    /// <summary>Types a query into the search box, presses Enter and returns what the viewer says it found.</summary>
    private static async Task<string> Search(IPage page, string query)
    {
        await page.FillAsync("#search", query);
        await page.PressAsync("#search", "Enter");
        return await page.InnerTextAsync("#search-count");
    }

    /// <summary>A page in headless Chromium with the exported file open and ready, noting any script error or request.</summary>
    private sealed class Viewer : IAsyncDisposable
    {
        private readonly IPlaywright playwright;
        private readonly IBrowser browser;
        private readonly List<string> errors = new();
        private readonly List<string> requests = new();

        private Viewer(IPlaywright playwright, IBrowser browser, IPage page)
        {
            this.playwright = playwright;
            this.browser = browser;
            Page = page;
        }

        public IPage Page { get; }

        public static async Task<Viewer> Open(string html, TimeSpan? timeout = null)
        {
            var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.ExecutablePath, Headless = true, Args = ChromiumArgs });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
            page.SetDefaultTimeout((float)(timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds);
            var viewer = new Viewer(playwright, browser, page);
            page.Request += (_, r) => viewer.requests.Add(r.Url);
            page.PageError += (_, e) => viewer.errors.Add(e);
            await page.GotoAsync(new Uri(html).AbsoluteUri);
            await page.WaitForSelectorAsync("body[data-ready]");
            Assert.Equal("true", await page.GetAttributeAsync("body", "data-ready"));
            return viewer;
        }

        /// <summary>No script error, and nothing fetched but the file itself.</summary>
        public void AssertClean()
        {
            Assert.Empty(errors);
            Assert.All(requests, url => Assert.StartsWith("file:", url, StringComparison.Ordinal));
        }

        /// <summary>The picture of the page as a person sees it: kept with the test results (docs/ holds copies).</summary>
        public async Task Screenshot(string name)
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
            Directory.CreateDirectory(folder);
            await Page.ScreenshotAsync(new() { Path = Path.Combine(folder, name) });
        }

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}

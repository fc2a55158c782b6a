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

[Collection(TraceCollection.Name)]
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
        var html = traces.PathFor("viewer.html");
        Assert.Equal(0, Cli.Run("trace", "export", traces.HotaddSeed0, "--format", "html", "-o", html).ExitCode);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.ExecutablePath, Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 900 } });
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        await page.GotoAsync(new Uri(html).AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-ready=true]");

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
        var fields = await page.InnerTextAsync("#detail-fields");
        Assert.Contains(overwrite.Field("entry")!, fields);

        await SaveScreenshot(page);

        // Filtering by CPU leaves only that CPU's messages.
        await page.SelectOptionAsync("#filter-cpu", "2");
        var cpus = await page.EvalOnSelectorAllAsync<string[]>("g.ev", "els => els.map(e => e.dataset.cpu)");
        Assert.NotEmpty(cpus);
        Assert.All(cpus, c => Assert.Equal("2", c));
        Assert.Contains($"{trace.Count(e => e.Cpu == 2)} of {trace.Count} events shown", await page.InnerTextAsync("#count"));

        Assert.Empty(errors);
        Assert.All(requests, url => Assert.StartsWith("file:", url, StringComparison.Ordinal));
    }

    /// <summary>The picture of the page as a person sees it: kept with the test results.</summary>
    private static async Task SaveScreenshot(IPage page)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "trace-viewer.png") });
    }
}


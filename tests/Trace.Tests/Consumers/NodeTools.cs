using System.Diagnostics;

namespace BootActors.Trace.Tests.Consumers;

/// <summary>
/// The npm tools in tests/Trace.Tests/js (Mermaid's CLI, DevTools' trace engine), installed by
/// .ci/install-npm-tools from the pinned package-lock.json. Mermaid's CLI drives Debian's chromium
/// through tests/Trace.Tests/js/puppeteer-config.json.
/// </summary>
internal static class NodeTools
{
    public static string Folder => Path.Combine(Cli.RepoRoot(), "tests", "Trace.Tests", "js");

    public static string? Node => FindOnPath("node");

    /// <summary>Why a tool cannot run here, or null when it can.</summary>
    public static string? Missing(string package, bool needsChromium)
    {
        if (Node is null)
        {
            return "node is not installed (apt-get install nodejs npm, then .ci/install-npm-tools)";
        }

        if (!Directory.Exists(Path.Combine(Folder, "node_modules", package)))
        {
            return $"{package} is not installed in tests/Trace.Tests/js (run .ci/install-npm-tools, i.e. npm ci there)";
        }

        if (needsChromium && !File.Exists(ChromiumFactAttribute.DefaultPath))
        {
            return $"Chromium is not installed at {ChromiumFactAttribute.DefaultPath} (run .ci/install-chromium), and Mermaid's CLI renders in it";
        }

        return null;
    }

    /// <summary>Runs node (or a package's bin script) in tests/Trace.Tests/js with a deadline; stdout, stderr and the exit code.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Node!)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PUPPETEER_SKIP_DOWNLOAD"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
        }

        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that drives Mermaid's CLI (@mermaid-js/mermaid-cli on the system's Chromium); skipped, saying why, only when it cannot be installed.</summary>
public sealed class MermaidCliFactAttribute : FactAttribute
{
    public MermaidCliFactAttribute()
    {
        if (NodeTools.Missing("@mermaid-js/mermaid-cli", needsChromium: true) is { } why)
        {
            Skip = $"Mermaid's CLI cannot run here: {why}";
        }
    }
}

/// <summary>A fact that drives Chrome DevTools' trace engine (@paulirish/trace_engine); skipped, saying why, only when it cannot be installed.</summary>
public sealed class DevToolsEngineFactAttribute : FactAttribute
{
    public DevToolsEngineFactAttribute()
    {
        if (NodeTools.Missing("@paulirish/trace_engine", needsChromium: false) is { } why)
        {
            Skip = $"DevTools' trace engine cannot run here: {why}";
        }
    }
}

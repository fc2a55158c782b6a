using System.Text;
using System.Text.RegularExpressions;
using Akka.Configuration;
using BootActors.Actors.Settings;
using BootActors.Model.Files;

namespace BootActors.Actors.Scenarios;

/// <summary>
/// Reads scenario files (HOCON, config/scenarios/*.hocon). The schema is flat at the top so that
/// <c>--set KEY=VALUE</c> can name any key:
/// <code>
/// cpus = 2                      # required, 1..4096
/// memory = 8G                   # or e820 = "../e820/x.dmesg" (relative to the file); exactly one
/// pse = on                      # optional on|off, default on;  gbpages default off; xen default off
/// kernel_size = 8M              # optional, default 8M
/// variant = fixed               # required: before|after|fixed
/// hunks = "a,b"                 # optional, replaces the variant's hunks ("none" allowed; a list too)
/// fixes = "22b45144f67"         # optional, replaces the variant's fixes
/// hotplug_mutex = off           # optional knobs: flush = local|global (global),
/// alloc_order = bottom-up       #   alloc_order = bottom-up|top-down, pte_grain = page|entry
/// workload = [                  # required (may be []): steps after the boot, in order
///   { cpu = 1, hotadd { start = 8G, size = 1G } }
///   { concurrent = [ { cpu = 1, touch { addr = 0xfff00000, count = 4, stride = 4K } }, ... ] }
///   { cpu = 0, hotremove { start = 4G, size = 1G } }
/// ]
/// expect { outcome = violation, error = overwrote_present_entry, message = "pud[8]" }  # optional
/// </code>
/// </summary>
public static partial class ScenarioLoader
{
    public const string Extension = ".hocon";

    /// <summary>The top-level keys, which are also what <c>--set</c> may name (with expect.outcome|error|message).</summary>
    public static IReadOnlyList<string> Keys => ScenarioReader.TopLevelKeys;

    /// <summary>Reads the scenario file at <paramref name="path"/>, then applies <paramref name="sets"/> ("KEY=VALUE", later ones win).</summary>
    /// <exception cref="ScenarioException">The file cannot be read or is not a valid scenario, or a --set is bad.</exception>
    public static Scenario Load(string path, IReadOnlyList<string>? sets = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = InputFile.ReadAllText(path, InputFile.MaxScenarioBytes, "scenario file");
        }
        catch (InputFileException ex)
        {
            throw new ScenarioException(path, ex.Line > 0 ? (int)ex.Line : null, null, ex.Reason, ex);
        }

        return LoadText(text, path, sets);
    }

    /// <summary>
    /// As <see cref="Load"/>, for text already read. <paramref name="fileName"/> names the file in
    /// messages, gives the scenario its name, and is where a relative <c>e820</c> path starts from.
    /// </summary>
    public static Scenario LoadText(string text, string fileName, IReadOnlyList<string>? sets = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        sets ??= [];

        var lines = Check(text, fileName, null);
        var config = Parse(text, fileName, null);
        var setPaths = new List<IReadOnlyDictionary<string, int>>();
        foreach (var set in sets)
        {
            var (key, hocon) = SetToHocon(set, fileName);
            setPaths.Add(Check(hocon, fileName, key));

            // Later sets take precedence over earlier ones and over the file.
            config = Parse(hocon, fileName, key).WithFallback(config);
        }

        var source = new ScenarioSource(fileName, lines, setPaths);
        var root = HoconNode.From(config.Root, "") as HoconObjectNode
                   ?? throw new ScenarioException(fileName, null, null, "the file is not an object of keys");
        var directory = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Environment.CurrentDirectory;
        return new ScenarioReader(source, directory).Read(root, Path.GetFileNameWithoutExtension(fileName), LeadingComment(text));
    }

    /// <summary>
    /// Resolves the SCENARIO argument: an existing file, a path ending in .hocon or containing a
    /// directory, or a bare name (<c>hotadd-concurrent</c>) looked up as
    /// <c>scenarios/NAME.hocon</c> in <paramref name="configDir"/> when given, else in the
    /// config/ folder found upward from the current directory and then from the program's own
    /// directory (the CLI ships config/ next to its binary).
    /// </summary>
    /// <exception cref="ScenarioException">No such file or scenario; the message lists the scenarios there are.</exception>
    public static string Find(string nameOrPath, string? configDir = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);

        // Anything at that path (a directory, a FIFO too) is what the user meant; reading it says what is wrong with it.
        if (FileStatus.Of(nameOrPath).Kind != FileKind.Missing)
        {
            return nameOrPath;
        }

        var looksLikePath = nameOrPath.EndsWith(Extension, StringComparison.OrdinalIgnoreCase)
                            || nameOrPath.Contains('/') || nameOrPath.Contains(Path.DirectorySeparatorChar);
        if (looksLikePath)
        {
            throw new ScenarioException(nameOrPath, null, null, "no such scenario file");
        }

        var directories = configDir is not null ? [configDir] : ConfigDirectory.Candidates();
        var scenarioDirs = directories.Select(d => Path.Combine(d, "scenarios")).Where(Directory.Exists).ToList();
        foreach (var dir in scenarioDirs)
        {
            var candidate = Path.Combine(dir, nameOrPath + Extension);
            if (File.Exists(candidate))
            {
                return DisplayPath(candidate);
            }
        }

        if (scenarioDirs.Count == 0)
        {
            var where = configDir ?? $"{Environment.CurrentDirectory} or {AppContext.BaseDirectory} or above";
            throw new ScenarioException(nameOrPath, null, null, $"no such file, and no config/scenarios folder in {where} to look it up as a scenario name");
        }

        var known = Directory.GetFiles(scenarioDirs[0], "*" + Extension).Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        throw new ScenarioException(nameOrPath, null, null,
            $"no such file or scenario (scenarios in {DisplayPath(scenarioDirs[0])}: {string.Join(", ", known)})");
    }

    /// <summary>The path relative to the current directory when it lies below it, else absolute: short, and still usable.</summary>
    public static string DisplayPath(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative;
    }

    /// <summary>The comment lines at the top of the file, markers stripped; a blank line or the first key ends them.</summary>
    public static string LeadingComment(string text)
    {
        var lines = new List<string>();
        foreach (var raw in text.TrimStart('\uFEFF').Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 && lines.Count == 0)
            {
                continue;
            }

            var marker = line.StartsWith('#') ? 1 : line.StartsWith("//", StringComparison.Ordinal) ? 2 : 0;
            if (marker == 0)
            {
                break;
            }

            var body = line[marker..];
            lines.Add(body.StartsWith(' ') ? body[1..] : body);
        }

        return string.Join("\n", lines).Trim('\n');
    }

    /// <summary>"KEY=VALUE" as one HOCON line. A bare value is quoted so "hunks=a,b" or "e820=../x.dmesg" mean what they say.</summary>
    private static (string Key, string Hocon) SetToHocon(string set, string fileName)
    {
        var eq = set.IndexOf('=', StringComparison.Ordinal);
        var key = eq < 0 ? set.Trim() : set[..eq].Trim();
        if (eq < 0 || !SetKey().IsMatch(key))
        {
            throw new ScenarioException(fileName, null, $"--set {set}", "expected KEY=VALUE, e.g. --set hotplug_mutex=on");
        }

        var parts = key.Split('.');
        var known = parts.Length == 1
            ? ScenarioReader.TopLevelKeys.Contains(key)
            : parts.Length == 2 && parts[0] == "expect" && ScenarioReader.ExpectKeys.Contains(parts[1]);
        if (!known)
        {
            throw new ScenarioException(fileName, null, $"--set {key}",
                $"unknown key (--set takes {string.Join(", ", ScenarioReader.TopLevelKeys)}, or expect.{string.Join("|", ScenarioReader.ExpectKeys)})");
        }

        var value = set[(eq + 1)..].Trim();
        var hocon = value.StartsWith('[') || value.StartsWith('{') || value.StartsWith('"')
            ? value
            : Quote(value);
        return (key, $"{key} = {hocon}\n");
    }

    private static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    private static IReadOnlyDictionary<string, int> Check(string hocon, string fileName, string? setKey)
    {
        try
        {
            return HoconSyntax.Check(hocon);
        }
        catch (HoconSyntaxException ex)
        {
            throw setKey is null
                ? new ScenarioException(fileName, ex.Line, null, ex.Reason, ex)
                : new ScenarioException(fileName, null, $"--set {setKey}", ex.Reason, ex);
        }
    }

    private static Config Parse(string hocon, string fileName, string? setKey)
    {
        try
        {
            return ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception ex) when (ex is FormatException or ConfigurationException or InvalidOperationException or ArgumentException)
        {
            // HoconSyntax has passed the text, so this is where Akka's parser is stricter than HOCON.
            // It says "Unknown token at position N:" plus a caret drawing; the offset gives the line.
            var first = ex.Message.Split('\n')[0].Trim().TrimEnd(':');
            int? line = null;
            var reason = $"HOCON syntax (Akka's parser): {first}";
            if (Position().Match(first) is { Success: true } m && int.TryParse(m.Groups[1].ValueSpan, out var offset) && offset <= hocon.Length)
            {
                line = hocon.AsSpan(0, offset).Count('\n') + 1;
                reason = $"HOCON syntax (Akka's parser): {first[..m.Index].Trim()}";
                if (offset < hocon.Length && hocon[offset] == ',' && hocon[..offset].TrimEnd().EndsWith('}'))
                {
                    reason += " — Akka's parser takes no ',' after 'key { ... }': write 'key = { ... },' or end the entry with a new line";
                }
            }

            throw setKey is null
                ? new ScenarioException(fileName, line, null, reason, ex)
                : new ScenarioException(fileName, null, $"--set {setKey}", reason, ex);
        }
    }

    [GeneratedRegex(@"\bat position (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex Position();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SetKey();
}

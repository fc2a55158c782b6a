namespace BootActors.Actors.Settings;

/// <summary>
/// Finds the project's config/ folder (akka.hocon, scenarios/, e820/): upward from the current
/// directory first, so a checkout's own files win when run from inside it, then upward from the
/// program's directory, where the CLI's build copies config/.
/// </summary>
public static class ConfigDirectory
{
    public const string Name = "config";

    /// <summary>The config folders found, nearest first, without repeats (each start gives at most one).</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var found = new List<string>();
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            if (FindAbove(start) is { } dir && !found.Contains(dir, StringComparer.Ordinal))
            {
                found.Add(dir);
            }
        }

        return found;
    }

    /// <summary>The nearest config folder, or null when there is none.</summary>
    public static string? Find() => Candidates().FirstOrDefault();

    /// <summary>The nearest <c>config</c> folder holding <c>scenarios</c> or <c>akka.hocon</c>, at or above <paramref name="start"/>.</summary>
    public static string? FindAbove(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, Name);

            // A bare "config" folder of something else (a tool's settings) is not ours.
            if (Directory.Exists(Path.Combine(candidate, "scenarios")) || File.Exists(Path.Combine(candidate, "akka.hocon")))
            {
                return candidate;
            }
        }

        return null;
    }
}

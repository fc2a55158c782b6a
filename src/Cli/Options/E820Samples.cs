using BootActors.Actors.Scenarios;
using BootActors.Actors.Settings;
using BootActors.Model.E820;
using BootActors.Model.Files;

namespace BootActors.Cli.Options;

/// <summary>
/// The sample e820 logs under config/e820/ (a checkout's, or the ones the tool carries next to its
/// own files): <c>--e820 xen-pv-4g</c> or <c>--e820 xen-pv-4g.dmesg</c> names one from any directory.
/// </summary>
public static class E820Samples
{
    public const string Folder = "e820";

    public const string Extension = ".dmesg";

    /// <summary>
    /// <paramref name="file"/> itself when it exists or names a directory; else the sample of that
    /// name in the nearest config/e820/ that has it.
    /// </summary>
    /// <exception cref="E820FormatException">Neither a file nor a sample: the message lists the samples there are.</exception>
    public static string Resolve(string file)
    {
        // Anything at that path (a directory, a FIFO too) is what the user meant; reading it says what is wrong with it.
        if (FileStatus.Of(file).Kind != FileKind.Missing || file.Contains('/') || file.Contains(Path.DirectorySeparatorChar))
        {
            return file;
        }

        var folders = ConfigDirectory.Candidates().Select(d => Path.Combine(d, Folder)).Where(Directory.Exists).ToList();
        var names = file.EndsWith(Extension, StringComparison.OrdinalIgnoreCase) ? new[] { file } : new[] { file, file + Extension };
        foreach (var candidate in folders.SelectMany(dir => names.Select(n => Path.Combine(dir, n))))
        {
            if (File.Exists(candidate))
            {
                return ScenarioLoader.DisplayPath(candidate);
            }
        }

        if (folders.Count == 0)
        {
            return file;
        }

        var samples = Directory.GetFiles(folders[0], "*" + Extension).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        throw new E820FormatException(file, 0,
            $"no such e820 file, nor a sample of that name in {ScenarioLoader.DisplayPath(folders[0])} ({string.Join(", ", samples)})");
    }
}

using System.Text;

namespace BootActors.Fuzz;

/// <summary>
/// One fuzz input: the files it writes into its scratch folder and the bootactors command line
/// that reads them. "{dir}" in an argument is the scratch folder.
/// </summary>
public sealed record FuzzCase(string Reader, string Origin, IReadOnlyList<FuzzFile> Files, IReadOnlyList<string> Args)
{
    /// <summary>"scenario/mutated: run {dir}/in.hocon --host sequential …" — enough to reproduce it with the files.</summary>
    public override string ToString() => $"{Reader}/{Origin}: {string.Join(' ', Args)}";
}

/// <summary>A file of a fuzz input, by name inside the scratch folder.</summary>
public sealed record FuzzFile(string Name, byte[] Data)
{
    public static FuzzFile Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}

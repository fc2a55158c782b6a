namespace BootActors.Cli;

/// <summary>
/// A user mistake found before anything is simulated. Its message is the whole one-line report
/// (it names the option or file), so the command prints it as is, with no stack trace, and exits 2.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);

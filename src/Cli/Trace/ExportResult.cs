namespace BootActors.Cli.Trace;

/// <summary>What an export wrote, and what the user should be told about it (one line on stderr).</summary>
internal sealed record ExportResult(long Written, string? Note = null);

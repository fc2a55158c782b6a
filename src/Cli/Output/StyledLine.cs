namespace BootActors.Cli.Output;

internal enum LineStyle
{
    Plain,
    Heading,
    Good,
    Bad,
}

/// <summary>One line of human output; the style only matters on a terminal.</summary>
internal readonly record struct StyledLine(string Text, LineStyle Style = LineStyle.Plain);

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace BootActors.Cli;

/// <summary>
/// System.CommandLine's parse errors in the user's words, one line: the mistake named by option or
/// command, and the help of the command that was actually parsed. Its own messages speak of .NET
/// ("as expected type 'System.Nullable`1[System.Int32]'") and list every error the first one caused.
/// </summary>
internal static partial class ParseErrors
{
    public static string Describe(ParseResult parse)
    {
        var path = CommandPath(parse.CommandResult);
        var command = parse.CommandResult.Command;

        // "trace show: …" after the "bootactors: " every refusal starts with; the root's own errors need no prefix.
        var where = path == "bootactors" ? "" : path.StartsWith("bootactors ", StringComparison.Ordinal) ? path["bootactors ".Length..] + ": " : path + ": ";

        // A mistake in a word the user typed is the cause of the others ("Required command was not provided"),
        // so it is named first: an unknown word, then an option without its value, then a value that cannot be read.
        var error = parse.Errors.FirstOrDefault(e => Unrecognized().IsMatch(e.Message) || e.Message.StartsWith(UnknownOption, StringComparison.Ordinal))
                    ?? parse.Errors.FirstOrDefault(e => OptionValueMissing().IsMatch(e.Message))
                    ?? parse.Errors.FirstOrDefault(e => CannotParse().IsMatch(e.Message))
                    ?? parse.Errors[0];
        return $"{Reword(error.Message, path, where, command)} (see '{path} --help')";
    }

    private const string UnknownOption = "unrecognized option '";

    /// <summary>
    /// An argument's value that starts with '-' is an option bootactors does not know: System.CommandLine
    /// hands an unknown "--x" to a command's empty argument, where it would be read as a scenario or file name.
    /// </summary>
    public static void RefuseOptionsAsArguments(Command command)
    {
        foreach (var argument in command.Arguments)
        {
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens)
                {
                    if (token.Value.Length > 1 && token.Value.StartsWith('-'))
                    {
                        result.AddError($"{UnknownOption}{token.Value}'");
                        return;
                    }
                }
            });
        }

        foreach (var sub in command.Subcommands)
        {
            RefuseOptionsAsArguments(sub);
        }
    }

    /// <summary>"bootactors trace show": the words that reach <paramref name="result"/>'s command.</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent as CommandResult)
        {
            names.Insert(0, r.Command is RootCommand ? "bootactors" : r.Command.Name);
        }

        return string.Join(' ', names);
    }

    private static string Reword(string message, string path, string where, Command command)
    {
        if (Unrecognized().Match(message) is { Success: true } u)
        {
            var token = u.Groups["token"].Value;
            if (token.StartsWith('-'))
            {
                return $"unrecognized option '{token}'";
            }

            return command.Subcommands.Count > 0
                ? $"{where}unknown command '{token}' (commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})"
                : $"{where}unexpected argument '{token}' (usage: {Usage(path, command)})";
        }

        if (NoCommand().IsMatch(message))
        {
            return $"{where}give a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        }

        if (OptionValueMissing().Match(message) is { Success: true } ov)
        {
            var name = ov.Groups["option"].Value;
            var option = Find(command, name);
            return $"{name}: expected a value{(option?.HelpName is { } h ? $" ({h})" : "")}";
        }

        if (ArgumentMissing().IsMatch(message))
        {
            return $"{where}missing argument(s): usage: {Usage(path, command)}";
        }

        if (OptionRequired().Match(message) is { Success: true } or)
        {
            var name = or.Groups["option"].Value;
            var option = Find(command, name);
            return $"{where}{name}{(option?.HelpName is { } h ? $" {h}" : "")} is required";
        }

        if (CannotParse().Match(message) is { Success: true } m)
        {
            return $"{m.Groups["option"].Value} {m.Groups["value"].Value}: expected {Kind(m.Groups["type"].Value)}";
        }

        if (OneValue().Match(message) is { Success: true } one)
        {
            return $"{one.Groups["option"].Value}: give one value (repeat the option for several where it allows that)";
        }

        // A message naming .NET types is not for a user; what is left to say is where the mistake is.
        return DotNetName().IsMatch(message) ? $"{where}a value cannot be used here" : message;
    }

    /// <summary>What a value of a .NET type looks like to a user.</summary>
    private static string Kind(string type) => type switch
    {
        _ when type.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a value of another kind",
    };

    private static string Usage(string path, Command command) =>
        string.Join(' ', new[] { path }.Concat(command.Arguments.Where(a => !a.Hidden).Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[{a.Name}]" : a.Name)));

    private static Option? Find(Command command, string name) =>
        command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Required command was not provided\.?$")]
    private static partial Regex NoCommand();

    [GeneratedRegex(@"^Required argument missing for option: '(?<option>[^']+)'\.?$")]
    private static partial Regex OptionValueMissing();

    [GeneratedRegex(@"^Required argument missing for command: '(?<command>[^']+)'\.?$")]
    private static partial Regex ArgumentMissing();

    [GeneratedRegex(@"^Option '(?<option>[^']+)' is required\.?$")]
    private static partial Regex OptionRequired();

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<option>[^']+)' as expected type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Option '(?<option>[^']+)' expects a single argument")]
    private static partial Regex OneValue();

    [GeneratedRegex(@"System\.|`\d|\(Parameter '")]
    private static partial Regex DotNetName();
}

using System.CommandLine;

namespace BootActors.Cli.Options;

/// <summary>
/// Every option and argument that names a file or directory refuses an empty name when the command
/// line is parsed, by name: "" reaches no file, and the readers would otherwise say so in .NET's
/// words ("The value cannot be an empty string. (Parameter 'path')").
/// </summary>
internal static class FileNames
{
    public static Option<T> Named<T>(this Option<T> option, string what)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is string s && string.IsNullOrWhiteSpace(s))
            {
                result.AddError($"{option.Name}: expected the name of {what}, not an empty string");
            }
        });
        return option;
    }

    public static Argument<T> Named<T>(this Argument<T> argument, string what)
    {
        argument.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is string s && string.IsNullOrWhiteSpace(s))
            {
                result.AddError($"{argument.Name}: expected the name of {what}, not an empty string");
            }
        });
        return argument;
    }
}

namespace BootActors.Actors.Scenarios;

/// <summary>A HOCON syntax error at a 1-based line of the text.</summary>
internal sealed class HoconSyntaxException(int line, string reason) : Exception(reason)
{
    public int Line { get; } = line;

    public string Reason { get; } = reason;
}

/// <summary>
/// A strict check of the HOCON subset scenario files use, which also records the line of every key
/// and array element. Akka's parser (Akka.Configuration.Hocon) does the real parsing, but it is
/// lenient — an unclosed '{', a key with no value, "a = 1 }" and "[{a=1} {b=2}]" all parse into
/// something — and it reports no line numbers; a scenario that means something other than what it
/// says must be refused, and with the line, so this walks the text first.
/// Paths are keys joined with '.', array elements as [i]: "workload[1].concurrent[0].hotadd.start".
/// Not supported (refused with a message saying so): substitutions, includes, triple-quoted
/// strings, '+='.
/// </summary>
internal sealed class HoconSyntax
{
    /// <summary>
    /// Objects, lists and dotted key parts inside each other. A scenario needs five or six
    /// (workload[i].concurrent[j].hotadd.start); the checker and Akka's parser both recurse per
    /// level, so a deeper text is refused before it can exhaust the stack.
    /// </summary>
    public const int MaxDepth = 32;

    // HOCON's forbidden characters in unquoted text, plus whitespace; '/' only as "//".
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string text;
    private readonly Dictionary<string, int> lines = new(StringComparer.Ordinal);
    private int pos;
    private int line = 1;
    private int depth;

    private HoconSyntax(string source)
    {
        text = source;
    }

    /// <summary>Checks <paramref name="text"/>; returns the line of every key path and array element.</summary>
    /// <exception cref="HoconSyntaxException">The text is not in the supported subset.</exception>
    public static IReadOnlyDictionary<string, int> Check(string text)
    {
        var syntax = new HoconSyntax(text);
        syntax.Root();
        return syntax.lines;
    }

    private bool AtEnd => pos >= text.Length;

    private char Peek(int ahead = 0) => pos + ahead < text.Length ? text[pos + ahead] : '\0';

    private void Root()
    {
        SkipSpacesAndNewlines();
        if (Peek() == '{')
        {
            // The whole file may be one object, as in JSON.
            var open = line;
            pos++;
            ObjectBody("", '}', open);
            pos++;
            SkipSpacesAndNewlines();
            if (!AtEnd)
            {
                throw Error(line, $"unexpected {Describe(Peek())} after the '}}' that closes the file's '{{' of line {open}");
            }

            return;
        }

        ObjectBody("", '\0', 0);
    }

    /// <summary>Members up to <paramref name="closer"/> ('\0' = the end of the text), which is left unconsumed.</summary>
    private void ObjectBody(string prefix, char closer, int openLine)
    {
        while (true)
        {
            SkipSpacesAndNewlines();
            var c = Peek();
            if (AtEnd)
            {
                if (closer == '\0')
                {
                    return;
                }

                throw Error(openLine, $"{Name(prefix)}this '{{' is never closed (the file ends first)");
            }

            if (c == closer)
            {
                return;
            }

            if (c == ',')
            {
                throw Error(line, "a ',' with no entry before it");
            }

            if (c is '}' or ']')
            {
                throw Error(line, closer == '\0'
                    ? $"unexpected '{c}': nothing is open here"
                    : $"unexpected '{c}': the '{{' of line {openLine} is still open");
            }

            var keyLine = line;
            var path = prefix;
            var key = Key();
            if (depth + key.Count > MaxDepth)
            {
                throw Error(keyLine, $"nested too deeply: more than {MaxDepth} levels of objects, lists and dotted key parts (a scenario needs about six)");
            }
            SkipSpaces();
            if (key is ["include"] && Peek() == '"')
            {
                throw Error(keyLine, "include is not supported in scenario files");
            }

            foreach (var segment in key)
            {
                path = path.Length == 0 ? segment : $"{path}.{segment}";
                lines.TryAdd(path, keyLine);
            }

            // A key given twice is merged (objects) or replaced (anything else); the later line is the one that counts.
            lines[path] = keyLine;
            c = Peek();
            if (c == '+' && Peek(1) == '=')
            {
                throw Error(line, $"{path}: '+=' is not supported in scenario files");
            }

            if (c is '=' or ':')
            {
                pos++;
                SkipSpaces();
                if (Peek() is '\n' or '\0' or ',' or '}' or ']')
                {
                    throw Error(keyLine, $"{path}: has no value");
                }
            }
            else if (c != '{')
            {
                throw Error(line, c is '\n' or '\0' or ',' or '}'
                    ? $"{path}: has no value (expected '=', ':' or '{{' after the key)"
                    : $"{path}: expected '=', ':' or '{{' after the key, found {Describe(c)}");
            }

            Value(path);
            SkipSpaces();
            c = Peek();
            if (c == ',')
            {
                pos++;
                SkipSpaces();
                if (Peek() == ',')
                {
                    throw Error(line, "two ',' in a row");
                }
            }
            else if (c is '}' or ']' && c != closer)
            {
                throw Error(line, closer == '\0'
                    ? $"unexpected '{c}': nothing is open here"
                    : $"unexpected '{c}': the '{{' of line {openLine} is still open");
            }
            else if (!(c == '\n' || c == closer || (AtEnd && closer == '\0')))
            {
                throw Error(line, $"{path}: unexpected {Describe(c)} after the value (put a new line or ',' between entries; quote a value that contains it)");
            }
        }
    }

    /// <summary>A key: unquoted or quoted parts joined by '.'.</summary>
    private List<string> Key()
    {
        var segments = new List<string>();
        while (true)
        {
            string segment;
            if (Peek() == '"')
            {
                segment = Quoted();
            }
            else
            {
                var start = pos;
                while (!AtEnd && !IsSpace(Peek()) && Peek() != '\n' && Peek() != '.' && !Forbidden.Contains(Peek()) && !IsCommentStart())
                {
                    pos++;
                }

                segment = text[start..pos];
                if (segment.Length == 0)
                {
                    throw Error(line, $"expected a key, found {Describe(Peek())}");
                }
            }

            segments.Add(segment);
            if (Peek() != '.')
            {
                return segments;
            }

            pos++;
        }
    }

    private void Value(string path)
    {
        var c = Peek();
        if (c is '{' or '[')
        {
            if (++depth > MaxDepth)
            {
                throw Error(line, $"{path}: nested too deeply: more than {MaxDepth} levels of objects, lists and dotted key parts (a scenario needs about six)");
            }

            if (c == '{')
            {
                var open = line;
                pos++;
                ObjectBody(path, '}', open);
                pos++;
            }
            else
            {
                Array(path);
            }

            depth--;
            return;
        }

        // A simple value: quoted and unquoted pieces on one line (HOCON concatenates them).
        while (true)
        {
            c = Peek();
            if (c == '$')
            {
                throw Error(line, $"{path}: substitutions (${{...}}) are not supported in scenario files");
            }

            if (c == '"')
            {
                Quoted();
            }
            else
            {
                var start = pos;
                while (!AtEnd && !IsSpace(Peek()) && Peek() != '\n' && !Forbidden.Contains(Peek()) && !IsCommentStart())
                {
                    pos++;
                }

                if (pos == start)
                {
                    throw Error(line, $"{path}: {Describe(Peek())} cannot start a value (quote the value)");
                }
            }

            SkipSpaces();
            c = Peek();
            if (AtEnd || c is '\n' or ',' or '}' or ']')
            {
                return;
            }

            if (c is '{' or '[')
            {
                throw Error(line, $"{path}: a value cannot mix text with an object or a list");
            }

            if (c != '"' && Forbidden.Contains(c))
            {
                throw Error(line, $"{path}: {Describe(c)} cannot appear in an unquoted value (quote the value)");
            }
        }
    }

    private void Array(string path)
    {
        var open = line;
        pos++;
        for (var i = 0; ; i++)
        {
            SkipSpacesAndNewlines();
            var c = Peek();
            if (c == ']')
            {
                pos++;
                return;
            }

            if (AtEnd)
            {
                throw Error(open, $"{path}: this '[' is never closed (the file ends first)");
            }

            if (c == ',')
            {
                throw Error(line, $"{path}: an empty list element (two ',' in a row, or a ',' right after '[')");
            }

            if (c == '}')
            {
                throw Error(line, $"{path}: unexpected '}}': the '[' of line {open} is still open");
            }

            var element = $"{path}[{i}]";
            lines[element] = line;
            Value(element);
            SkipSpaces();
            c = Peek();
            if (c == ',')
            {
                pos++;
            }
            else if (c is not ('\n' or ']') && !AtEnd)
            {
                throw Error(line, $"{element}: unexpected {Describe(c)} after the element (put a ',' or a new line between elements)");
            }
        }
    }

    /// <summary>A "..." string on one line; returns its text (escapes kept as written: only keys need it).</summary>
    private string Quoted()
    {
        if (Peek(1) == '"' && Peek(2) == '"')
        {
            throw Error(line, "triple-quoted strings are not supported in scenario files");
        }

        var startLine = line;
        var start = ++pos;
        while (true)
        {
            var c = Peek();
            if (AtEnd || c == '\n')
            {
                throw Error(startLine, "unterminated string: the '\"' opened on this line is never closed on it");
            }

            if (c == '\\')
            {
                if (!"\"\\/bfnrtu".Contains(Peek(1)) || Peek(1) == '\0')
                {
                    throw Error(line, $"unknown escape '\\{Peek(1)}' in a string");
                }

                pos += 2;
                continue;
            }

            if (c == '"')
            {
                pos++;
                return text[start..(pos - 1)];
            }

            pos++;
        }
    }

    private bool IsCommentStart() => Peek() == '#' || (Peek() == '/' && Peek(1) == '/');

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v' or '\uFEFF' or '\u00A0';

    /// <summary>Spaces and a comment, up to (not over) the end of the line.</summary>
    private void SkipSpaces()
    {
        while (!AtEnd)
        {
            if (IsSpace(Peek()))
            {
                pos++;
            }
            else if (IsCommentStart())
            {
                while (!AtEnd && Peek() != '\n')
                {
                    pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private void SkipSpacesAndNewlines()
    {
        while (true)
        {
            SkipSpaces();
            if (Peek() != '\n')
            {
                return;
            }

            pos++;
            line++;
        }
    }

    private string Describe(char c) => AtEnd && c == '\0' ? "the end of the file" : c == '\n' ? "the end of the line" : $"'{c}'";

    private static string Name(string path) => path.Length == 0 ? "" : $"{path}: ";

    private static HoconSyntaxException Error(int line, string reason) => new(line, reason);
}

namespace BootActors.Trace.Tests;

[Collection(TraceCollection.Name)]
public sealed class BadFileTests(TraceFiles traces)
{
    private string Write(string name, string text)
    {
        var path = traces.PathFor(name);
        File.WriteAllText(path, text);
        return path;
    }

    private string FirstLines(int n) => string.Join("\n", File.ReadLines(traces.HotaddSeed0).Take(n)) + "\n";

    [Theory]
    [InlineData("show")]
    [InlineData("export")]
    [InlineData("hb")]
    [InlineData("pt")]
    public void ATruncatedLastLineIsRefusedWithItsLineNumberByEverySubcommand(string command)
    {
        var text = FirstLines(10);
        var path = Write($"truncated-{command}.jsonl", text[..^40]);

        var run = command switch
        {
            "show" => Cli.Run("trace", "show", path),
            "export" => Cli.Run("trace", "export", path, "--format", "chrome", "-o", traces.PathFor("truncated.json")),
            "hb" => Cli.Run("trace", "hb", path, "1", "2"),
            _ => Cli.Run("trace", "pt", path, "--at", "2"),
        };

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}:10: truncated: the file ends inside this line\n", run.Stderr);
    }

    [Fact]
    public void ALineThatIsNotJsonIsRefusedWithItsLineNumberAndWhy()
    {
        var lines = FirstLines(8).Split('\n').ToList();
        lines[5] = "seq=5 from=memory to=cpu0";
        var path = Write("notjson.jsonl", string.Join("\n", lines));

        var run = Cli.Run("trace", "show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"bootactors: {path}:6: not JSON: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("(at byte 1)", run.Stderr);
    }

    [Fact]
    public void AFileWithoutItsHeaderIsRefusedAsSuch()
    {
        var path = Write("noheader.jsonl", string.Join("\n", File.ReadLines(traces.HotaddSeed0).Skip(1).Take(5)) + "\n");

        var run = Cli.Run("trace", "show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{path}:1: missing header: the first line is an event", run.Stderr);
    }

    [Theory]
    [InlineData(2, "trace format version 2 is newer than this bootactors reads (version 1); use the bootactors that wrote it")]
    [InlineData(0, "trace format version 0 is not a bootactors trace format (the first is version 1)")]
    public void AnotherFormatVersionIsRefusedByName(int version, string reason)
    {
        var text = FirstLines(4).Replace("{\"bootactors_trace\":1,", $"{{\"bootactors_trace\":{version},", StringComparison.Ordinal);
        var path = Write($"v{version}.jsonl", text);

        var run = Cli.Run("trace", "show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}:1: {reason}\n", run.Stderr);
    }

    [Fact]
    public void AnOlderVersionOneTraceWithoutStartAndSpecIsStillShown()
    {
        // Traces written before the header named its start and run spec: version 1 all the same.
        var lines = File.ReadLines(traces.HotaddSeed0).Take(6).ToList();
        var header = System.Text.Json.Nodes.JsonNode.Parse(lines[0])!.AsObject();
        header.Remove("start");
        header.Remove("spec");
        lines[0] = header.ToJsonString();
        var path = Write("old-v1.jsonl", string.Join("\n", lines) + "\n");

        var show = Cli.Run("trace", "show", path);
        var pt = Cli.Run("trace", "pt", path, "--at", "3");

        Assert.Equal(0, show.ExitCode);
        Assert.Contains("5 event(s) shown", show.Stdout);
        Assert.Equal(2, pt.ExitCode);
        Assert.Contains($"{path}:1: the header has no run \"spec\"", pt.Stderr);
    }

    [Fact]
    public void AnEmptyFileAndAMissingFileAreRefusedByName()
    {
        var empty = Write("empty.jsonl", "");
        var missing = traces.PathFor("no-such-trace.jsonl");

        var a = Cli.Run("trace", "show", empty);
        var b = Cli.Run("trace", "show", missing);

        Assert.Equal(2, a.ExitCode);
        Assert.Equal($"bootactors: {empty}: empty file: a trace starts with a header line {{\"bootactors_trace\":1,…}}\n", a.Stderr);
        Assert.Equal(2, b.ExitCode);
        Assert.Equal($"bootactors: {missing}: no such trace file\n", b.Stderr);
    }

    [Fact]
    public void AnEventNamingAnActorTheHeaderLacksIsRefusedAtItsLine()
    {
        var text = FirstLines(6).Replace("\"seq\":3,\"from\":\"allocator\"", "\"seq\":3,\"from\":\"gpu0\"", StringComparison.Ordinal);
        var path = Write("actor.jsonl", text);

        var run = Cli.Run("trace", "show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}:4: \"from\": \"gpu0\" is not among the header's actors\n", run.Stderr);
    }

    [Fact]
    public void AnEventWithoutItsClocksIsRefusedAtItsLine()
    {
        var lines = FirstLines(5).Split('\n').ToList();
        var node = System.Text.Json.Nodes.JsonNode.Parse(lines[2])!.AsObject();
        node.Remove("to_clock");
        lines[2] = node.ToJsonString();
        var path = Write("noclock.jsonl", string.Join("\n", lines));

        var run = Cli.Run("trace", "show", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bootactors: {path}:3: event has no \"to_clock\"\n", run.Stderr);
    }
}

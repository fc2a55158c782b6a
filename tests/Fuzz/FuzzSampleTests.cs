using CsCheck;

namespace BootActors.Fuzz;

/// <summary>The corpus, built once for the sample tests (bootactors writes the replay file and traces it starts from).</summary>
public sealed class CorpusFixture : IDisposable
{
    public CorpusFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), $"bootactors-fuzz-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        Corpus = Corpus.Build(Root);
        Runner.CaptureStrayOutput();
    }

    public string Root { get; }

    public Corpus Corpus { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>
/// The short sample of the fuzz harness CI runs: a fixed seed's inputs of each reader, each answered
/// cleanly (a defined exit code, one line of report, no stack trace, nothing stray on stdout, one
/// JSON object for --json) within the deadline. CsCheck shrinks a failing input before reporting it.
/// The long run is Program.cs (README.md).
/// </summary>
public sealed class FuzzSampleTests(CorpusFixture fixture) : IClassFixture<CorpusFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("e820", 60)]
    [InlineData("scenario", 60)]
    [InlineData("set", 60)]
    [InlineData("replay", 40)]
    [InlineData("trace", 40)]
    [InlineData("values", 40)]
    public void EveryInputOfAReaderIsAnsweredCleanly(string reader, int count)
    {
        var dir = Path.Combine(fixture.Root, $"sample-{reader}");
        new Inputs(fixture.Corpus).For(reader).Sample(input =>
        {
            var result = Runner.Run(input, dir, Deadline);
            Assert.True(result.Verdict == Verdict.Clean,
                $"{result.Verdict}: {result.Why}\ninput: {input}\nstdout: {Tail(result.Stdout)}\nstderr: {Tail(result.Stderr)}");
        }, seed: "0N0XIzNsQ0O2", iter: count, threads: 1);
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : "…" + s[^2000..];
}

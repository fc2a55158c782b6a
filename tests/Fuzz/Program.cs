using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;

namespace BootActors.Fuzz;

/// <summary>
/// The long fuzz run: <c>dotnet run -c Release --project tests/Fuzz -- --inputs 100000</c>. Input i
/// is generated from (seed, i) alone, so any finding is reproduced with <c>--from i --inputs 1</c>.
/// Inputs run in a worker process; this supervisor restarts it after an input that killed it
/// (a stack overflow is exit 134 and cannot be caught in-process) or hung it, counting each as a
/// crash or hang and saving the input under --out.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"fuzz: {ex.Message}");
            Console.Error.WriteLine("usage: fuzz [--inputs N] [--from I] [--seed S] [--reader e820|scenario|set|replay|trace|values] [--deadline SECONDS] [--out DIR]");
            return 2;
        }

        return o.Worker ? Worker(o) : Supervise(o);
    }

    /// <summary>Input <paramref name="index"/> of the run: its reader in turn, its bytes from (seed, index).</summary>
    public static FuzzCase Input(Inputs inputs, Options o, long index) =>
        inputs.For(ReaderOf(o, index)).Generate(new PCG((uint)index, o.Seed), null!, out _);

    private static string ReaderOf(Options o, long index) => o.Reader ?? Inputs.Readers[index % Inputs.Readers.Length];

    private static int Supervise(Options o)
    {
        var root = Path.Combine(Path.GetTempPath(), $"bootactors-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Console.Error.WriteLine($"fuzz: building the corpus in {root}");
        var corpus = Corpus.Build(root);
        var inputs = new Inputs(corpus);
        var stats = Inputs.Readers.ToDictionary(r => r, _ => new ReaderStats());
        var sw = Stopwatch.StartNew();
        var next = o.From;
        var end = o.From + o.Count;
        var lastReport = TimeSpan.Zero;
        while (next < end)
        {
            var worker = StartWorker(o, root, next, end);
            long started = -1;
            string? line;
            while ((line = worker.StandardOutput.ReadLine()) is not null)
            {
                var parts = line.Split(' ', 5);
                var index = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts[0] == "S")
                {
                    started = index;
                    continue;
                }

                var verdict = Enum.Parse<Verdict>(parts[2]);
                var code = int.Parse(parts[3], CultureInfo.InvariantCulture);
                var reader = ReaderOf(o, index);
                stats[reader].Add(verdict, code);
                if (verdict != Verdict.Clean)
                {
                    Console.Error.WriteLine($"fuzz: input {index} ({reader}): {verdict}: {Unescape(parts[4])}");
                }

                started = -1;
                next = index + 1;
                if (sw.Elapsed - lastReport > TimeSpan.FromSeconds(30))
                {
                    lastReport = sw.Elapsed;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"fuzz: {next - o.From} of {o.Count} inputs in {sw.Elapsed.TotalMinutes:0.0} min; crashes {stats.Values.Sum(s => s.Crashes)}, hangs {stats.Values.Sum(s => s.Hangs)}"));
                }
            }

            worker.WaitForExit();
            if (started >= 0)
            {
                // The worker died inside this input (a hang already reported its line before exiting).
                var input = Input(inputs, o, started);
                stats[input.Reader].Add(Verdict.Crash, worker.ExitCode);
                Console.Error.WriteLine($"fuzz: input {started} ({input.Reader}): the process died with exit {worker.ExitCode}: {input}");
                Save(o, started, input, $"the process died with exit {worker.ExitCode}", "", "");
                next = started + 1;
            }
            else if (worker.ExitCode is not (0 or HangExit))
            {
                lock (WorkerErrors)
                {
                    throw new InvalidOperationException($"the fuzz worker failed outside any input (exit {worker.ExitCode}):\n{string.Join("\n", WorkerErrors)}");
                }
            }
        }

        Report(o, stats, sw.Elapsed);
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }

        return stats.Values.Sum(s => s.Crashes + s.Hangs) == 0 ? 0 : 1;
    }

    private const int HangExit = 86;

    private static Process StartWorker(Options o, string root, long from, long end)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var a in new[] { "--worker", "--root", root, "--from", from.ToString(CultureInfo.InvariantCulture), "--inputs", (end - from).ToString(CultureInfo.InvariantCulture),
                     "--seed", o.Seed.ToString(CultureInfo.InvariantCulture), "--deadline", o.Deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--out", o.Out })
        {
            psi.ArgumentList.Add(a);
        }

        if (o.Reader is { } r)
        {
            psi.ArgumentList.Add("--reader");
            psi.ArgumentList.Add(r);
        }

        var p = Process.Start(psi)!;

        // The kernel log lines of valid runs go to stderr; drain it so the worker never blocks on a
        // full pipe, keeping the end for a worker that fails outside any input.
        WorkerErrors.Clear();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (WorkerErrors)
            {
                if (e.Data is { } line)
                {
                    WorkerErrors.Enqueue(line);
                    if (WorkerErrors.Count > 40)
                    {
                        WorkerErrors.Dequeue();
                    }
                }
            }
        };
        p.BeginErrorReadLine();
        return p;
    }

    private static readonly Queue<string> WorkerErrors = new();

    private static int Worker(Options o)
    {
        var protocol = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        Runner.CaptureStrayOutput();
        var corpus = Corpus.Build(o.Root ?? throw new ArgumentException("--worker needs --root"));
        var inputs = new Inputs(corpus);
        var dir = Path.Combine(corpus.Root, $"run-{Environment.ProcessId}");
        for (var i = o.From; i < o.From + o.Count; i++)
        {
            protocol.WriteLine($"S {i}");
            var input = Input(inputs, o, i);
            var result = Runner.Run(input, dir, o.Deadline);
            protocol.WriteLine($"R {i} {result.Verdict} {result.ExitCode} {Escape(result.Why + " — " + input)}");
            if (result.Verdict != Verdict.Clean)
            {
                Save(o, i, input, result.Why, result.Stdout, result.Stderr);
            }

            if (result.Verdict == Verdict.Hang)
            {
                // The stuck thread cannot be stopped; a fresh worker continues after this input.
                protocol.Flush();
                Environment.Exit(HangExit);
            }
        }

        return 0;
    }

    /// <summary>Keeps a finding: its files, command line, verdict and output, under --out/input-N.</summary>
    private static void Save(Options o, long index, FuzzCase input, string why, string stdout, string stderr)
    {
        var dir = Path.Combine(o.Out, $"input-{index}");
        Directory.CreateDirectory(dir);
        foreach (var f in input.Files)
        {
            var path = Path.Combine(dir, f.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, f.Data);
        }

        File.WriteAllText(Path.Combine(dir, "finding.txt"),
            $"{why}\ncommand: bootactors {string.Join(' ', input.Args)}\n({{dir}} is this folder; reproduce with --from {index} --inputs 1 --seed {o.Seed})\n\nstdout:\n{stdout}\nstderr:\n{stderr}\n");
    }

    private static void Report(Options o, Dictionary<string, ReaderStats> stats, TimeSpan elapsed)
    {
        var total = stats.Values.Aggregate(new ReaderStats(), (a, s) => a.Merge(s));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz: {total.Inputs} inputs (seed {o.Seed}, from {o.From}) in {elapsed.TotalMinutes:0.0} min: {total.Crashes} crashes, {total.Hangs} hangs"));
        Console.WriteLine("  reader      inputs   crashes  hangs   exit codes");
        foreach (var (reader, s) in stats.Where(p => p.Value.Inputs > 0))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {reader,-10} {s.Inputs,7} {s.Crashes,9} {s.Hangs,6}   {string.Join(", ", s.Codes.OrderBy(c => c.Key).Select(c => $"{c.Key}×{c.Value}"))}"));
        }

        if (total.Crashes + total.Hangs > 0)
        {
            Console.WriteLine($"  findings in {Path.GetFullPath(o.Out)}");
        }
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Unescape(string s) => s.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    private sealed class ReaderStats
    {
        public long Inputs { get; private set; }

        public long Crashes { get; private set; }

        public long Hangs { get; private set; }

        public Dictionary<int, long> Codes { get; } = new();

        public void Add(Verdict verdict, int code)
        {
            Inputs++;
            Crashes += verdict == Verdict.Crash ? 1 : 0;
            Hangs += verdict == Verdict.Hang ? 1 : 0;
            Codes[code] = Codes.GetValueOrDefault(code) + 1;
        }

        public ReaderStats Merge(ReaderStats other)
        {
            Inputs += other.Inputs;
            Crashes += other.Crashes;
            Hangs += other.Hangs;
            foreach (var (k, v) in other.Codes)
            {
                Codes[k] = Codes.GetValueOrDefault(k) + v;
            }

            return this;
        }
    }
}

/// <summary>The fuzz run's options.</summary>
public sealed record Options
{
    public long Count { get; init; } = 1000;

    public long From { get; init; }

    public ulong Seed { get; init; } = 20081009;

    public string? Reader { get; init; }

    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(60);

    public string Out { get; init; } = "fuzz-findings";

    public bool Worker { get; init; }

    public string? Root { get; init; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            long Number(string v) => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"'{v}' is not a count");
            o = args[i] switch
            {
                "--inputs" => o with { Count = Number(Value()) },
                "--from" => o with { From = Number(Value()) },
                "--seed" => o with { Seed = (ulong)Number(Value()) },
                "--reader" => o with { Reader = Value() is var r && Inputs.Readers.Contains(r) ? r : throw new ArgumentException($"unknown reader '{args[i]}'") },
                "--deadline" => o with { Deadline = TimeSpan.FromSeconds(Number(Value())) },
                "--out" => o with { Out = Value() },
                "--root" => o with { Root = Value() },
                "--worker" => o with { Worker = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return o;
    }
}

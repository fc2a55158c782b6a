using System.CommandLine;
using System.Runtime.InteropServices;
using BootActors.Cluster;
using BootActors.Cluster.Internal;

namespace BootActors.Cli.Cluster;

/// <summary><c>bootactors worker --join HOST:PORT</c>: a cluster node that takes exploration work until the coordinator says it is over.</summary>
internal sealed class WorkerCommand
{
    private readonly Option<string> join = new("--join") { Description = "The coordinator's address (`bootactors explore … --cluster HOST:PORT`).", HelpName = "HOST:PORT", Required = true };
    private readonly Option<string?> port = new("--port") { Description = "This worker's port [default: any free port].", HelpName = "P" };
    private readonly Option<string?> hostname = new("--hostname") { Description = "This worker's address as the coordinator reaches it [default: the local address that routes to the coordinator].", HelpName = "H" };

    private readonly TextWriter errors;

    public WorkerCommand(TextWriter stderr)
    {
        errors = stderr;
        Command = new Command("worker",
            "Join an exploration's cluster as a worker: take schedules from the coordinator, explore them on this machine's actor host, " +
            "shrink what is found, send the results back, and leave when the coordinator says the exploration is over. The worker's " +
            "BootActors build and scenario files must be the coordinator's (it refuses others). Settings: config/cluster.hocon.\n\n" +
            "Exit codes (the table in 'bootactors --help'): 0 the exploration is over and this worker left; 2 a bad option, or the coordinator " +
            "refused this worker (another BootActors build, other scenario files); 6 the coordinator was lost or never answered; 130 Ctrl-C: " +
            "the worker withdrew and the coordinator hands its work to others.");
        Command.Options.Add(join);
        Command.Options.Add(port);
        Command.Options.Add(hostname);
        Command.SetAction(Execute);
    }

    public Command Command { get; }

    private int Execute(ParseResult parse)
    {
        var joinText = parse.GetValue(join)!;
        using var interrupt = new CancellationTokenSource();
        var signals = new List<PosixSignalRegistration>();
        try
        {
            var (joinHost, joinPort) = ClusterNode.ParseEndpoint(joinText, "--join");
            var p = parse.GetValue(port) is { } pt ? ClusterNode.ParsePort(pt, "--port", pt, anyPort: true) : 0;
            var h = parse.GetValue(hostname);
            if (h is not null)
            {
                ClusterNode.CheckHost(h, "--hostname", h);
            }

            if (ReferenceEquals(errors, Console.Error))
            {
                // Ctrl-C and a plain kill leave the cluster gracefully: the coordinator hands the work on at once.
                foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
                {
                    signals.Add(PosixSignalRegistration.Create(signal, ctx =>
                    {
                        ctx.Cancel = true;
                        interrupt.Cancel();
                    }));
                }
            }

            var gate = new object();
            var outcome = ClusterWorker.Run(joinHost, joinPort, h, p, line =>
            {
                lock (gate)
                {
                    errors.WriteLine(line);
                }
            }, interrupt.Token);
            errors.WriteLine($"worker: {outcome.Message} ({outcome.Units} unit(s), {outcome.Schedules} schedule(s) run here)");
            return outcome.End switch
            {
                WorkerEnd.Over => ExitCodes.Ok,
                WorkerEnd.Refused => ExitCodes.UsageError,
                WorkerEnd.Interrupted => ExitCodes.Interrupted,
                WorkerEnd.Failed => ExitCodes.InternalError,
                _ => ExitCodes.ClusterLost,
            };
        }
        catch (ClusterException ex) when (ex.Usage)
        {
            throw new UsageException(ex.Message);
        }
        catch (ClusterException ex)
        {
            errors.WriteLine($"bootactors: {ex.Message}");
            return ExitCodes.ClusterLost;
        }
        finally
        {
            foreach (var s in signals)
            {
                s.Dispose();
            }
        }
    }
}

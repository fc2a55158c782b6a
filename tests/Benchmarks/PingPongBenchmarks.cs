using Akka.Actor;
using BenchmarkDotNet.Attributes;
using BootActors.Actors.Host;

namespace BootActors.Benchmarks;

/// <summary>
/// Raw Akka.NET: two actors bounce one message back and forth <see cref="Messages"/> times in all
/// (issue 4 and 5, Speed: the ceiling the actor host is measured against). One ActorSystem for the
/// whole benchmark, with the host's own configuration (<see cref="ActorHost.Defaults"/>), so the
/// one-thread pair runs on exactly the dispatcher controlled runs use.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("1 ping-pong")]
public class PingPongBenchmarks
{
    public const int Messages = 1_000_000;

    private ActorSystem? system;
    private IActorRef defaultPinger = ActorRefs.Nobody;
    private IActorRef oneThreadPinger = ActorRefs.Nobody;

    [GlobalSetup]
    public void Setup()
    {
        system = ActorSystem.Create("pingpong", ActorHost.Defaults);
        defaultPinger = Pair(system, null, "default");
        oneThreadPinger = Pair(system, ActorHost.ModelDispatcher, "one-thread");
    }

    [GlobalCleanup]
    public void Cleanup() => system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>akka.actor.default-dispatcher: the .NET thread pool, throughput 30 (free mode's dispatcher).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    [Work("message")]
    public Task DefaultDispatcher() => Play(defaultPinger);

    /// <summary>bootactors.model-dispatcher: ForkJoinDispatcher on one dedicated thread, throughput 1000 (controlled mode's).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    [Work("message")]
    public Task OneThreadDispatcher() => Play(oneThreadPinger);

    private static Task Play(IActorRef pinger)
    {
        var game = new Game(Messages);
        pinger.Tell(game);
        return game.Done.Task;
    }

    private static IActorRef Pair(ActorSystem system, string? dispatcher, string name)
    {
        Props With(Props p) => dispatcher is null ? p : p.WithDispatcher(dispatcher);
        var ponger = system.ActorOf(With(Props.Create(() => new Ponger())), name + "-ponger");
        return system.ActorOf(With(Props.Create(() => new Pinger(ponger))), name + "-pinger");
    }

    private sealed class Game(int messages)
    {
        public int Messages { get; } = messages;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The one message bounced; no allocation per message.</summary>
    private sealed class Ball
    {
        public static readonly Ball Instance = new();
    }

    private sealed class Pinger(IActorRef ponger) : UntypedActor
    {
        private Game? game;
        private int left;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Ball:
                    // The ponger's reply was one message.
                    if (--left == 0)
                    {
                        game!.Done.TrySetResult();
                        game = null;
                        return;
                    }

                    ponger.Tell(Ball.Instance, Self);
                    left--;
                    break;
                case Game g:
                    game = g;
                    left = g.Messages;
                    ponger.Tell(Ball.Instance, Self);
                    left--;
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    private sealed class Ponger : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message, Self);
    }
}

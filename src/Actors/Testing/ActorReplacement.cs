using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.Actors.Testing;

/// <summary>
/// Replace the named model actor (e.g. "hypervisor", "memory", "tlb1") with a test's probe. The probe
/// receives each intercepted message as a <see cref="Probed"/> and replies with an <see cref="Answer"/>.
/// </summary>
/// <remarks>
/// Not sealed: BootActors.TestKit's <c>ActorReplacement</c> derives from it, so a race test reaches the
/// type and its protocol (<c>ActorReplacement.Probed</c>, <c>ActorReplacement.Answer</c>) from the kit's namespace alone.
/// </remarks>
/// <param name="Actor">The actor's name in the run's topology.</param>
/// <param name="Probe">A TestProbe (or any actor) that answers <see cref="Probed"/>.</param>
/// <param name="Intercept">Which messages go to the probe; the others go straight to the real actor (null: all).</param>
public record ActorReplacement(string Actor, IActorRef Probe, Func<ModelMessage, bool>? Intercept = null)
{
    /// <summary>A message for the replaced actor; answer it with <see cref="Answer"/> (via <c>probe.Reply</c>).</summary>
    public sealed record Probed(string From, ModelMessage Message, long Seq);

    /// <summary>What the replaced actor does with a probed message.</summary>
    public sealed record Answer(bool PassThrough, IReadOnlyList<(string To, ModelMessage Message)> Sends)
    {
        /// <summary>Let the real actor handle it.</summary>
        public static readonly Answer Real = new(true, []);

        /// <summary>Handle it by sending these messages (in place of the real actor), e.g. a refusal back to the sender.</summary>
        public static Answer With(params (string To, ModelMessage Message)[] sends) => new(false, sends);
    }
}

using Akka.Actor;
using BootActors.Actors.Infrastructure;

namespace BootActors.TestKit;

/// <summary>
/// Replaces the model actor of the given name ("hypervisor", "memory", "allocator",
/// "page_table_lock", "tlb1", …) with a probe for a <see cref="BootRaceTest.RunWith"/>
/// run. The probe receives each intercepted message as an <c>ActorReplacement.Probed</c> and replies
/// <c>ActorReplacement.Answer.Real</c> (the real actor handles it) or
/// <c>ActorReplacement.Answer.With(…)</c> (these messages are sent instead).
/// </summary>
/// <remarks>The actor host's own type, named from the kit's namespace; the protocol types are the base's nested ones.</remarks>
public sealed record ActorReplacement : Actors.Testing.ActorReplacement
{
    /// <param name="actor">The actor's name in the run's topology.</param>
    /// <param name="probe">A TestProbe (or any actor) that answers each <c>Probed</c>.</param>
    /// <param name="intercept">Which messages go to the probe; the others go straight to the real actor (null: all).</param>
    public ActorReplacement(string actor, IActorRef probe, Func<ModelMessage, bool>? intercept = null)
        : base(actor, probe, intercept)
    {
    }
}

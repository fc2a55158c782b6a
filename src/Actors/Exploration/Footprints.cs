using BootActors.Model.Machine;

namespace BootActors.Actors.Exploration;

/// <summary>
/// When two deliveries are dependent, from their footprints (what their handlers read and wrote, as
/// the access recorder saw it): they use a common resource and not both only read it or only add to
/// it; an entry and its table page used whole count as common. <see cref="HappensBefore"/> applies
/// this rule incrementally; this is its plain statement, for checking.
/// </summary>
internal static class Footprints
{
    public static bool Conflict(ReadOnlySpan<Access> a, ReadOnlySpan<Access> b)
    {
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                if (Overlap(x.Resource, y.Resource) && !(x.Mode == AccessMode.Read && y.Mode == AccessMode.Read) &&
                    !(x.Mode == AccessMode.Add && y.Mode == AccessMode.Add))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Overlap(ulong x, ulong y)
    {
        if (x == y)
        {
            return true;
        }

        var kx = Resource.KindOf(x);
        var ky = Resource.KindOf(y);
        return (kx, ky) switch
        {
            (ResourceKind.Entry, ResourceKind.Page) => Resource.PageOfEntry(x) == y,
            (ResourceKind.Page, ResourceKind.Entry) => Resource.PageOfEntry(y) == x,
            _ => false,
        };
    }
}

namespace BootActors.Actors.Infrastructure;

/// <summary>A vector clock over the run's actors (Lamport/Fidge–Mattern), indexed by actor id.</summary>
public static class VectorClock
{
    public static void Merge(long[] into, long[] other)
    {
        for (var i = 0; i < into.Length; i++)
        {
            if (other[i] > into[i])
            {
                into[i] = other[i];
            }
        }
    }

    /// <summary>a happens before b: a ≤ b everywhere and a ≠ b.</summary>
    public static bool HappensBefore(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        var strictly = false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] > b[i])
            {
                return false;
            }

            strictly |= a[i] < b[i];
        }

        return strictly;
    }
}

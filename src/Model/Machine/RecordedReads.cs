using BootActors.Model.Memory;
using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>
/// The reads of PhysicalMemory's own walks (WalkVirt, IsReachable) and of a subtree read whole
/// (Translations.Of, Xen's validation), reported to an <see cref="AccessRecorder"/>: the same entries
/// those functions read, found the same way, so that the walks need not know about recording.
/// </summary>
public static class RecordedReads
{
    /// <summary>The entries and frames <see cref="PhysicalMemory.WalkVirt"/> (or a TLB fill) reads for <paramref name="va"/>.</summary>
    public static void Walk(AccessRecorder r, PhysicalMemory memory, ulong va)
    {
        var table = memory.Root;
        for (var level = Level.Pgd; ; level = level.Below())
        {
            var index = X86.index(level, va);
            r.Read(Resource.PageMeta(table));
            r.Read(Resource.Entry(table, index));
            var e = memory.Read(table, index);
            if (!e.Present || level == Level.Pte || (level is Level.Pmd or Level.Pud && e.Large))
            {
                return;
            }

            table = e.Frame;
        }
    }

    /// <summary>What <see cref="PhysicalMemory.IsReachable"/> reads: the chain of linking entries up to init_level4_pgt.</summary>
    public static void Reachable(AccessRecorder r, PhysicalMemory memory, Pfn pfn)
    {
        for (var depth = 0; depth < 5; depth++)
        {
            if (pfn == memory.Root)
            {
                return;
            }

            r.Read(Resource.PageMeta(pfn));
            if (memory.Find(pfn)?.Parent is not { } parent)
            {
                return;
            }

            r.Read(Resource.Entry(parent.Table, parent.Index));
            var e = memory.Read(parent.Table, parent.Index);
            if (!e.Present || e.Large || e.Frame != pfn)
            {
                return;
            }

            pfn = parent.Table;
        }
    }

    /// <summary>The table pages below <paramref name="entry"/> of <paramref name="level"/>, each read whole.</summary>
    public static void Subtree(AccessRecorder r, PhysicalMemory memory, PageTableEntry entry, Level level)
    {
        if (!entry.Present || level == Level.Pte || entry.Large)
        {
            return;
        }

        Table(r, memory, entry.Frame, level.Below());
    }

    /// <summary>A table page read whole, and the pages below it.</summary>
    public static void Table(AccessRecorder r, PhysicalMemory memory, Pfn table, Level level)
    {
        r.Read(Resource.PageMeta(table));
        var page = memory.Find(table);
        if (page is null)
        {
            return;
        }

        r.Read(Resource.Page(table));
        if (level == Level.Pte)
        {
            return;
        }

        // NonZero: a reader must not materialise (or unshare) the page it reads.
        foreach (var (_, raw) in page.NonZero())
        {
            Subtree(r, memory, new PageTableEntry(raw), level);
        }
    }
}

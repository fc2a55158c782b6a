using BootActors.Model.Kernel;
using BootActors.Model.Paging;

namespace BootActors.Model.Machine;

/// <summary>Trace names of a step's requests (verbs, in the kernel's words) and replies (facts), by step kind.</summary>
public static class StageNames
{
    public static string Request(in Effect e) => e.Kind switch
    {
        EffectKind.ReadEntry => "ReadEntry",
        EffectKind.SetEntry => SetName(e.Level),
        EffectKind.Populate => PopulateName(e.Level),
        EffectKind.PteInitLoop => "FillPtePage",
        EffectKind.ReachTable => "ReachTable",
        EffectKind.ZeroPage => "ZeroPage",
        EffectKind.FreePage => "FreePagetable",
        EffectKind.UpdatePageCount => "UpdatePageCount",
        EffectKind.AddMemoryRange => "AddMemoryRange",
        EffectKind.RemoveMemoryRange => "RemoveMemoryRange",
        EffectKind.FindTableSpace => "FindEarlyTableSpace",
        EffectKind.AllocPage => "AllocLowPage",
        EffectKind.EarlyIoremap => "EarlyIoremap",
        EffectKind.EarlyIounmap => "EarlyIounmap",
        EffectKind.SpinLock => "SpinLock",
        EffectKind.SpinUnlock => "SpinUnlock",
        EffectKind.FlushTlbAll => "FlushTlbAll",
        EffectKind.FlushTlbGlobal => "FlushTlbIpi",
        EffectKind.Touch => "Translate",
        _ => e.Kind.ToString(),
    };

    public static string Reply(in Effect e, in StepResult r)
    {
        if (r.Fatal is { } f)
        {
            return f.Kind == ErrorKind.HypervisorRefused ? "Refused" : "Faulted";
        }

        return e.Kind switch
        {
            EffectKind.ReadEntry => "EntryRead",
            EffectKind.SetEntry => "EntryWritten",
            EffectKind.Populate => "Populated",
            EffectKind.PteInitLoop => "PtesWritten",
            EffectKind.ReachTable => "TableReached",
            EffectKind.ZeroPage => "PageZeroed",
            EffectKind.FreePage => "PageFreed",
            EffectKind.UpdatePageCount => "PagesCounted",
            EffectKind.AddMemoryRange => "RangeAdded",
            EffectKind.RemoveMemoryRange => "RangeRemoved",
            EffectKind.FindTableSpace => "TableSpaceFound",
            EffectKind.AllocPage => "PageAllocated",
            EffectKind.EarlyIoremap => "AliasMapped",
            EffectKind.EarlyIounmap => "AliasUnmapped",
            EffectKind.SpinLock => "LockGranted",
            EffectKind.SpinUnlock => "LockReleased",
            EffectKind.FlushTlbAll => "TlbFlushed",
            EffectKind.FlushTlbGlobal => "IpiAcked",
            EffectKind.Touch => "Translated",
            _ => "Done",
        };
    }

    private static string SetName(Level level) => level switch
    {
        Level.Pte => "SetPte",
        Level.Pmd => "SetPmd",
        Level.Pud => "SetPud",
        _ => "SetPgd",
    };

    private static string PopulateName(Level level) => level switch
    {
        Level.Pmd => "PmdPopulateKernel",
        Level.Pud => "PudPopulate",
        _ => "PgdPopulate",
    };
}

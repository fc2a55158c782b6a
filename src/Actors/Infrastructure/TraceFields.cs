using System.Globalization;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Actors.Infrastructure;

/// <summary>Trace fields of a kernel step, decoded where it names a page-table entry.</summary>
public static class TraceFields
{
    public static void Of(in Effect e, Dictionary<string, string> into)
    {
        switch (e.Kind)
        {
            case EffectKind.ReadEntry:
            case EffectKind.SetEntry:
            case EffectKind.Populate:
            case EffectKind.PteInitLoop:
                into["table"] = e.Table.ToString();
                into["level"] = e.Level.Name();
                into["index"] = e.Index.ToString(CultureInfo.InvariantCulture);
                if (e.Kind == EffectKind.SetEntry)
                {
                    into["entry"] = new PageTableEntry(e.Value).ToString();
                }
                else if (e.Kind == EffectKind.Populate)
                {
                    into["child"] = new Pfn(e.Value).ToString();
                    into["entry"] = X86.mk_table(new Pfn(e.Value)).ToString();
                }
                else if (e.Kind == EffectKind.PteInitLoop)
                {
                    into["addr"] = Hex.Of(e.Value);
                    into["end"] = Hex.Of(e.Arg);
                }

                break;
            case EffectKind.AllocPage:
            case EffectKind.ZeroPage:
            case EffectKind.EarlyIoremap:
            case EffectKind.EarlyIounmap:
            case EffectKind.ReachTable:
            case EffectKind.FreePage:
                if (e.Table.Value != 0 || e.Kind != EffectKind.AllocPage)
                {
                    into["page"] = e.Table.ToString();
                }

                if (e.Level != 0)
                {
                    into["level"] = e.Level.Name();
                }

                break;
            case EffectKind.FindTableSpace:
                into["tables"] = Hex.Of(e.Value);
                into["end"] = Hex.Of(e.Arg);
                break;
            case EffectKind.SpinLock:
            case EffectKind.SpinUnlock:
                into["lock"] = Machine.LockName(e.Value);
                break;
            case EffectKind.UpdatePageCount:
                into["level"] = Describe.PageLevelName(e.Level);
                into["pages"] = unchecked((long)e.Value).ToString(CultureInfo.InvariantCulture);
                break;
            case EffectKind.Touch:
                into["va"] = new VirtAddr(e.Value).ToString();
                break;
            case EffectKind.AddMemoryRange:
            case EffectKind.RemoveMemoryRange:
                into["start"] = Hex.Of(e.Value);
                into["end"] = Hex.Of(e.Arg);
                break;
        }
    }
}

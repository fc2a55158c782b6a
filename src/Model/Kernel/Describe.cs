using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Model.Kernel;

/// <summary>Kernel-terms text for steps, as traces and reports show them.</summary>
public static class Describe
{
    public static string Effect(in Effect e) => e.Kind switch
    {
        EffectKind.Enter => $"enter {e.Fn}",
        EffectKind.Leave => $"leave {e.Fn}",
        EffectKind.ReadEntry => $"{e.Fn}: read {e.Level.Name()}[{e.Index}] of table {e.Table}",
        EffectKind.SetEntry => $"{e.Fn}: {Mmu.SetName(e.Level)} {e.Level.Name()}[{e.Index}] of table {e.Table} = {new PageTableEntry(e.Value)}",
        EffectKind.Populate => $"{e.Fn}: {Mmu.PopulateName(e.Level)} {e.Level.Name()}[{e.Index}] of table {e.Table} → {e.Level.Below().Name()} page {new Pfn(e.Value)}",
        EffectKind.PteInitLoop => $"{e.Fn}: fill pte page {e.Table} from pte[{e.Index}] for {Hex.Of(e.Value)}-{Hex.Of(e.Arg)}",
        EffectKind.FindTableSpace => $"{e.Fn}: find_e820_area(0x8000, {Hex.Of(e.Arg)}, {Hex.Of(e.Value)}, PAGE_SIZE)",
        EffectKind.AllocPage => $"{e.Fn}: allocate a {e.Level.Name()} page (table_end++)",
        EffectKind.EarlyIoremap => $"{e.Fn}: early_ioremap page {e.Table}",
        EffectKind.ZeroPage => $"{e.Fn}: zero {e.Level.Name()} page {e.Table}",
        EffectKind.EarlyIounmap => $"{e.Fn}: early_iounmap page {e.Table}",
        EffectKind.ReachTable => $"{e.Fn}: {e.Payload} reaches page {e.Table} through __va",
        EffectKind.SpinLock => $"{e.Fn}: spin_lock(&{Machine.Machine.LockName(e.Value)})",
        EffectKind.SpinUnlock => $"{e.Fn}: spin_unlock(&{Machine.Machine.LockName(e.Value)})",
        EffectKind.FlushTlbAll => $"{e.Fn}: __flush_tlb_all",
        EffectKind.FlushTlbGlobal => $"{e.Fn}: flush_tlb_all (IPI to every CPU)",
        EffectKind.UpdatePageCount => $"{e.Fn}: update_page_count(PG_LEVEL_{PageLevelName(e.Level)}, {e.Value})",
        EffectKind.Touch => $"{e.Fn}: access {new VirtAddr(e.Value)}",
        EffectKind.AddMemoryRange => $"{e.Fn}: add memory {Hex.Of(e.Value)}-{Hex.Of(e.Arg)}",
        EffectKind.FreePage => $"{e.Fn}: free_pagetable page {e.Table}",
        EffectKind.Printk => $"{e.Fn}: printk \"{e.Payload}\"",
        EffectKind.Fatal => $"{e.Fn}: {((FatalEvent)e.Payload!).Kind.JsonName()}",
        _ => e.Kind.ToString(),
    };

    public static string PageLevelName(Level level) => level switch
    {
        Level.Pte => "4K",
        Level.Pmd => "2M",
        _ => "1G",
    };
}

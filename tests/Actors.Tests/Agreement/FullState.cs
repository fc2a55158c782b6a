using System.Globalization;
using BootActors.Model.Paging;

namespace BootActors.Actors.Tests.Agreement;

/// <summary>
/// Every part of a machine's state a step can change, as lines to compare between hosts
/// (model-conventions item 17 holds "for every part of the state"): the table pages and their
/// entries; Xen's writable aliases, the type it holds each table frame at, its hypercall counts;
/// the allocator (buffer, early_ioremap slots, pages handed out); the DirectMap counters; the
/// locks; the TLBs; the hot-add/remove ranges and freed pages. Host-specific step numbers (when an
/// entry changed, when a TLB entry was cached) are left out.
/// </summary>
internal static class FullState
{
    public static IReadOnlyList<string> Of(Model.Machine.Machine m)
    {
        var lines = m.Memory.TablePages.OrderBy(p => p.Pfn.Value)
            .Select(p => $"{p.Pfn} {p.Level} {p.Origin}: {string.Join(' ', p.Entries.Select(Hex))}")
            .ToList();
        if (m.Xen is { } xen)
        {
            lines.Add($"xen writable aliases: {Join(xen.WritableAliases.Order())}");
            foreach (var page in m.Memory.TablePages.OrderBy(p => p.Pfn.Value))
            {
                lines.Add($"xen {page.Pfn}: table frame {xen.IsPageTableFrame(page.Pfn)}, type_info {Hex(xen.TypeInfo(page.Pfn))}");
            }

            lines.Add($"xen hypercalls: mmu_update {xen.MmuUpdates}, trapped {xen.TrappedPteWrites}, update_va_mapping {xen.UpdateVaMappings}, mmuext_op {xen.MmuextOps}");
        }

        var a = m.Allocator.Snapshot();
        lines.Add($"allocator: start {Hex(a.TableStart)} end {Hex(a.TableEnd)} top {Hex(a.TableTop)} next dynamic {Hex(a.NextDynamic)}, " +
                  $"aliases {Join(a.Aliases.Select(p => p.Value))}, handed out {string.Join('/', a.HandedOut)}");
        lines.Add($"direct_pages_count {string.Join('/', m.DirectPagesCount)}, level1_ident_pgt used {m.Level1IdentUsed}, after_bootmem {m.Globals.after_bootmem}");
        lines.Add($"page_table_lock owner {m.Lock.Owner?.ToString(CultureInfo.InvariantCulture) ?? "-"} waiters {Join(m.Lock.Waiters.Select(w => (ulong)w))}");
        lines.Add($"hotplug mutex owner {m.HotplugMutex.Owner?.ToString(CultureInfo.InvariantCulture) ?? "-"} waiters {Join(m.HotplugMutex.Waiters.Select(w => (ulong)w))}");
        foreach (var tlb in m.Tlbs)
        {
            lines.Add($"tlb{tlb.Cpu}: flushes {tlb.Flushes}, entries {string.Join(", ", tlb.Entries.Select(e => $"{Hex(e.VirtPage)}→{e.Frame} {e.PageLevel.Name()} {Hex(e.Flags)}"))}");
        }

        lines.Add($"hot-added {string.Join(", ", m.HotAdded)}; removed {string.Join(", ", m.Removed)}; freed {Join(m.Freed.Order())}");
        return lines;
    }

    private static string Join(IEnumerable<ulong> values) => string.Join(' ', values.Select(Hex));

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static string Hex(uint v) => "0x" + v.ToString("x8", CultureInfo.InvariantCulture);
}

using System.Globalization;
using BootActors.Actors.Infrastructure;
using BootActors.Actors.Trace;
using BootActors.Model.Interpreter;
using BootActors.Model.Kernel;
using BootActors.Model.Machine;
using BootActors.Model.Paging;

namespace BootActors.Actors.Exploration;

/// <summary>
/// Explains a violation in kernel terms from the schedule that produced it: for a lost update, every
/// read and write of the overwritten entry by each CPU, with its step; for a stale TLB use, where the
/// translation was cached, where its source changed, and the use; otherwise the last steps of each CPU.
/// </summary>
public static class ViolationNarrative
{
    public static IReadOnlyList<string> Explain(RunStop stop, IReadOnlyList<TraceRecord> records, Topology topology) =>
        Lines(stop, records, topology).Select(l => l.Text).ToList();

    /// <summary>
    /// The same story, each line with the delivery it tells of (null for none) and its role: "read" and
    /// "populate" (or "set") for the entry history's steps, a position's name, "step", or "error" for
    /// the last line.
    /// </summary>
    public static IReadOnlyList<NarrativeLine> Lines(RunStop stop, IReadOnlyList<TraceRecord> records, Topology topology)
    {
        var lines = new List<NarrativeLine>();
        if (stop.Fatal.At is { } at)
        {
            lines.AddRange(EntryHistory(at, records, topology));
        }
        else if (stop.Fatal.Positions is { } pos)
        {
            foreach (var (name, seq) in pos.OrderBy(p => p.Value))
            {
                var r = records.FirstOrDefault(x => x.Seq == seq);
                var what = r is null ? "" : $": {Who(r, topology)} {r.Message.TypeName} {Describe.Effect(r.Message.Tag.Step)}";
                lines.Add(new NarrativeLine($"step {seq} ({name}){what}", seq, name));
            }
        }

        if (lines.Count == 0)
        {
            foreach (var cpu in records.Select(r => r.Message.Tag.Cpu).Where(c => c >= 0).Distinct().Order())
            {
                foreach (var r in records.Where(r => r.Message.Tag.Cpu == cpu && r.Message is StepRequest).TakeLast(3))
                {
                    lines.Add(new NarrativeLine($"CPU{cpu} {Describe.Effect(r.Message.Tag.Step)} (step {r.Seq})", r.Seq, "step"));
                }
            }
        }

        lines.Add(new NarrativeLine($"CPU{stop.Cpu} {stop.CallChain}: {stop.Fatal.Kind.JsonName()}: {stop.Fatal.Message}", null, "error"));
        return lines;
    }

    /// <summary>The one-paragraph form: "CPU1 read pud[8] empty in phys_pud_init (step 41); …".</summary>
    public static string Summary(IReadOnlyList<string> lines) => string.Join("; ", lines);

    private static IEnumerable<NarrativeLine> EntryHistory(EntryLocation at, IReadOnlyList<TraceRecord> records, Topology topology)
    {
        var entry = $"{at.Level.Name()}[{at.Index}]";
        var pendingReads = new Dictionary<int, TraceRecord>();
        foreach (var r in records)
        {
            var m = r.Message;
            var e = m.Tag.Step;
            if (m.Tag.Cpu < 0 || e.Table != at.Table || e.Index != at.Index || e.Level != at.Level)
            {
                continue;
            }

            var cpu = m.Tag.Cpu;
            var fromCpu = topology.IsCpu(r.From);
            if (e.Kind == EffectKind.ReadEntry && fromCpu)
            {
                pendingReads[cpu] = r;
            }
            else if (e.Kind == EffectKind.ReadEntry && m is StepReply reply && pendingReads.Remove(cpu, out var request))
            {
                // Memory read the entry when the request was delivered; the reply only carries the value back.
                var v = new PageTableEntry(reply.Result.Value);
                var what = v.IsNone ? "empty" : v.Large ? $"= leaf {v}" : $"= {at.Level.Below().Name()} page {v.Frame}";
                yield return new NarrativeLine($"CPU{cpu} read {entry} {what} in {e.Fn} (step {request.Seq})", request.Seq, "read");
            }
            else if (e.Kind == EffectKind.Populate && fromCpu && m is StepRequest { Stage.Op: not StageOp.XenAllocHook })
            {
                yield return new NarrativeLine($"CPU{cpu} {Model.Machine.Mmu.PopulateName(at.Level)} {entry} with {at.Level.Below().Name()} page {new Pfn(e.Value)} in {e.Fn} (step {r.Seq})", r.Seq, "populate");
            }
            else if (e.Kind == EffectKind.SetEntry && fromCpu)
            {
                yield return new NarrativeLine($"CPU{cpu} {Model.Machine.Mmu.SetName(at.Level)} {entry} = {new PageTableEntry(e.Value)} in {e.Fn} (step {r.Seq})", r.Seq, "set");
            }
        }
    }

    private static string Who(TraceRecord r, Topology topology) =>
        $"{topology.Names[r.From]}→{topology.Names[r.To]}".ToString(CultureInfo.InvariantCulture);
}

/// <summary>One line of a violation's story: its text, the delivery it tells of, and that step's role.</summary>
public sealed record NarrativeLine(string Text, long? Seq, string Role);

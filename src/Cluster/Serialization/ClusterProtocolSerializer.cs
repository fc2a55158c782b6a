using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using BootActors.Actors.Conductor;
using BootActors.Actors.Exploration;
using BootActors.Cluster.Protocol;

namespace BootActors.Cluster.Serialization;

/// <summary>
/// The explicit serializer of the exploration protocol (bound in config/cluster.hocon to
/// <see cref="IClusterMessage"/>): each message is a short manifest plus a compact binary body that
/// starts with a format version, so two builds that disagree fail loudly instead of misreading.
/// </summary>
public sealed class ClusterProtocolSerializer : SerializerWithStringManifest
{
    /// <summary>Outside Akka's reserved identifiers (0–100).</summary>
    public const int Id = 4127;

    private const byte Format = 1;

    public ClusterProtocolSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        Coordinator.Register => "reg",
        Coordinator.Resolved => "res",
        Coordinator.RequestWork => "req",
        Coordinator.UnitDone => "done",
        Coordinator.Withdraw => "wd",
        Coordinator.Split => "split",
        Coordinator.Above => "above",
        Coordinator.PrefixDone => "pdone",
        Worker.AssignPrefix => "pasg",
        Worker.Steal => "steal",
        Worker.Explore => "exp",
        Worker.Refused => "ref",
        Worker.Accepted => "acc",
        Worker.Assign => "asg",
        Worker.Cutoff => "cut",
        Worker.ExplorationOver => "over",
        _ => throw new ArgumentException($"{o.GetType()} is not a message of the BootActors cluster protocol", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Format);
            switch (obj)
            {
                case Coordinator.Register m:
                    w.Write(m.Version);
                    break;
                case Coordinator.Resolved m:
                    WriteNullable(w, m.SpecHash);
                    WriteNullable(w, m.Problem);
                    break;
                case Coordinator.RequestWork m:
                    w.Write(m.Count);
                    break;
                case Coordinator.UnitDone m:
                    WriteResult(w, m.Result);
                    break;
                case Coordinator.Withdraw m:
                    w.Write(m.Reason);
                    break;
                case Coordinator.Split m:
                    w.Write(m.Part.UnitId);
                    w.Write(m.Part.Units.Count);
                    foreach (var u in m.Part.Units)
                    {
                        WriteInts(w, u);
                    }

                    w.Write(m.Part.Nodes.Count);
                    foreach (var n in m.Part.Nodes)
                    {
                        WriteNode(w, n);
                    }

                    WriteInts(w, m.Part.Rest);
                    w.Write(m.Part.States.Count);
                    foreach (var h in m.Part.States)
                    {
                        w.Write(h);
                    }

                    break;
                case Coordinator.Above m:
                    w.Write(m.Points.UnitId);
                    w.Write(m.Points.Points.Count);
                    foreach (var p in m.Points.Points)
                    {
                        WriteInts(w, p.Path);
                        w.Write(p.Option);
                    }

                    break;
                case Coordinator.PrefixDone m:
                    WritePrefixResult(w, m.Result);
                    break;
                case Worker.AssignPrefix m:
                    w.Write(m.Unit.Id);
                    WriteInts(w, m.Unit.Prefix);
                    break;
                case Worker.Steal m:
                    w.Write(m.UnitId);
                    break;
                case Worker.Explore m:
                    WriteTerms(w, m.Terms);
                    break;
                case Worker.Refused m:
                    w.Write(m.Reason);
                    break;
                case Worker.Accepted m:
                    w.Write(m.NodeName);
                    break;
                case Worker.Assign m:
                    w.Write(m.Unit.Id);
                    w.Write(m.Unit.Start);
                    w.Write(m.Unit.Count);
                    WriteNullable(w, m.Hints.Cutoff);
                    w.Write(m.Hints.FirstOfKey.Count);
                    foreach (var (key, schedule) in m.Hints.FirstOfKey.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        w.Write(key);
                        w.Write(schedule);
                    }

                    break;
                case Worker.Cutoff m:
                    w.Write(m.Schedule);
                    break;
                case Worker.ExplorationOver m:
                    w.Write(m.Summary);
                    w.Write(m.Completed);
                    break;
                default:
                    throw new ArgumentException($"{obj.GetType()} is not a message of the BootActors cluster protocol", nameof(obj));
            }
        }

        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        try
        {
            var format = r.ReadByte();
            if (format != Format)
            {
                throw new SerializationException($"cluster message '{manifest}' in format {format}; this bootactors reads format {Format}");
            }

            return manifest switch
            {
                "reg" => new Coordinator.Register(r.ReadString()),
                "res" => new Coordinator.Resolved(ReadNullableString(r), ReadNullableString(r)),
                "req" => new Coordinator.RequestWork(r.ReadInt32()),
                "done" => new Coordinator.UnitDone(ReadResult(r)),
                "wd" => new Coordinator.Withdraw(r.ReadString()),
                "split" => ReadSplit(r),
                "above" => ReadAbove(r),
                "pdone" => new Coordinator.PrefixDone(ReadPrefixResult(r)),
                "pasg" => new Worker.AssignPrefix(new PrefixUnit(r.ReadInt64(), ReadInts(r))),
                "steal" => new Worker.Steal(r.ReadInt64()),
                "exp" => new Worker.Explore(ReadTerms(r)),
                "ref" => new Worker.Refused(r.ReadString()),
                "acc" => new Worker.Accepted(r.ReadString()),
                "asg" => ReadAssign(r),
                "cut" => new Worker.Cutoff(r.ReadInt32()),
                "over" => new Worker.ExplorationOver(r.ReadString(), r.ReadBoolean()),
                _ => throw new SerializationException($"unknown cluster message '{manifest}' (a newer bootactors?)"),
            };
        }
        catch (EndOfStreamException ex)
        {
            throw new SerializationException($"cluster message '{manifest}' is cut short", ex);
        }
    }

    private static Worker.Assign ReadAssign(BinaryReader r)
    {
        var unit = new ScheduleRange(r.ReadInt64(), r.ReadInt32(), r.ReadInt32());
        var cutoff = ReadNullableInt(r);
        var n = ReadCount(r);
        var first = new Dictionary<string, int>(n);
        for (var i = 0; i < n; i++)
        {
            first[r.ReadString()] = r.ReadInt32();
        }

        return new Worker.Assign(unit, new WorkHints(cutoff, first));
    }

    private static void WriteTerms(BinaryWriter w, ExplorationTerms t)
    {
        w.Write(t.Scenario);
        WriteStrings(w, t.Sets);
        w.Write(t.SpecHash);
        w.Write(t.Strategy);
        w.Write(t.Iterations);
        w.Write(t.Seed);
        w.Write(t.MaxSteps);
        w.Write(t.All);
        w.Write(t.PctDepth);
        WriteNullable(w, t.MaxPreemptions);
        w.Write(t.Shrink);
        w.Write((byte)(t.Choice is { } c ? (int)c + 1 : 0));
        WriteNullable(w, t.PctLength);
        w.Write(t.Timeout is { } timeout ? timeout.Ticks : -1L);
    }

    private static ExplorationTerms ReadTerms(BinaryReader r)
    {
        var terms = new ExplorationTerms(r.ReadString(), ReadStrings(r), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32(),
            r.ReadBoolean(), r.ReadInt32(), ReadNullableInt(r), r.ReadBoolean());
        var choice = r.ReadByte();
        if (choice > Enum.GetValues<ChoiceMode>().Length)
        {
            throw new SerializationException($"unknown choice mode {choice}");
        }

        var pctLength = ReadNullableInt(r);
        var timeout = r.ReadInt64();
        return terms with
        {
            Choice = choice == 0 ? null : (ChoiceMode)(choice - 1),
            PctLength = pctLength,
            Timeout = timeout < 0 ? null : TimeSpan.FromTicks(timeout),
        };
    }

    private static void WriteResult(BinaryWriter w, UnitResult u)
    {
        w.Write(u.UnitId);
        w.Write(u.Start);
        w.Write(u.Ran);
        w.Write(u.Seconds);
        WriteNullable(w, u.Failure);
        foreach (var s in u.Statuses)
        {
            w.Write((byte)s);
        }

        foreach (var h in u.TraceHashes)
        {
            w.Write(h);
        }

        foreach (var h in u.StateHashes)
        {
            w.Write(h);
        }

        w.Write(u.Coverage.ChoicePoints);
        w.Write(u.Coverage.BeyondStepBound);
        w.Write(u.Coverage.States.Count);
        foreach (var h in u.Coverage.States)
        {
            w.Write(h);
        }

        w.Write(u.Findings.Count);
        foreach (var f in u.Findings)
        {
            w.Write(f.Schedule);
            w.Write(f.Key);
            w.Write(f.Report is not null);
            if (f.Report is { } v)
            {
                WriteReport(w, v);
            }
        }
    }

    private static UnitResult ReadResult(BinaryReader r)
    {
        var id = r.ReadInt64();
        var start = r.ReadInt32();
        var ran = ReadCount(r);
        var seconds = r.ReadDouble();
        var failure = ReadNullableString(r);
        var statuses = new ScheduleStatus[ran];
        for (var i = 0; i < ran; i++)
        {
            var s = r.ReadByte();
            statuses[i] = s <= (byte)ScheduleStatus.TimedOut ? (ScheduleStatus)s : throw new SerializationException($"unknown schedule status {s}");
        }

        var traces = new ulong[ran];
        for (var i = 0; i < ran; i++)
        {
            traces[i] = r.ReadUInt64();
        }

        var states = new ulong[ran];
        for (var i = 0; i < ran; i++)
        {
            states[i] = r.ReadUInt64();
        }

        var choicePoints = r.ReadInt64();
        var beyond = r.ReadInt64();
        var stateCount = ReadCount(r);
        var seen = new ulong[stateCount];
        for (var i = 0; i < stateCount; i++)
        {
            seen[i] = r.ReadUInt64();
        }

        var n = ReadCount(r);
        var findings = new List<NodeFinding>(n);
        for (var i = 0; i < n; i++)
        {
            findings.Add(new NodeFinding(r.ReadInt32(), r.ReadString(), r.ReadBoolean() ? ReadReport(r) : null));
        }

        return new UnitResult(id, start, ran, statuses, traces, states, findings, seconds)
        {
            Failure = failure,
            Coverage = new UnitCoverage(choicePoints, beyond, seen),
        };
    }

    private static void WriteReport(BinaryWriter w, ViolationReport v)
    {
        w.Write(v.Kind);
        w.Write(v.Message);
        w.Write(v.Cpu);
        w.Write(v.CallChain);
        w.Write(v.Schedule);
        w.Write(v.Steps);
        w.Write(v.ShrunkSteps);
        w.Write(v.ContextSwitches);
        w.Write(v.ShrunkContextSwitches);
        WriteStrings(w, v.Narrative);

        // Deliveries name a few actors and message types over and over: a table of the distinct names, then indices.
        var names = v.Deliveries.SelectMany(d => new[] { d.From, d.To, d.Type }).Distinct(StringComparer.Ordinal).ToList();
        var index = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        WriteStrings(w, names);
        w.Write(v.Deliveries.Count);
        foreach (var d in v.Deliveries)
        {
            w.Write7BitEncodedInt(index[d.From]);
            w.Write7BitEncodedInt(index[d.To]);
            w.Write7BitEncodedInt(index[d.Type]);
        }
    }

    private static ViolationReport ReadReport(BinaryReader r)
    {
        var kind = r.ReadString();
        var message = r.ReadString();
        var cpu = r.ReadInt32();
        var chain = r.ReadString();
        var schedule = r.ReadInt32();
        var steps = r.ReadInt32();
        var shrunkSteps = r.ReadInt32();
        var switches = r.ReadInt32();
        var shrunkSwitches = r.ReadInt32();
        var narrative = ReadStrings(r);
        var names = ReadStrings(r);
        var n = ReadCount(r);
        var deliveries = new List<RecordedDelivery>(n);
        string Name(int i) => i >= 0 && i < names.Count ? names[i] : throw new SerializationException($"delivery name {i} out of range");
        for (var i = 0; i < n; i++)
        {
            deliveries.Add(new RecordedDelivery(Name(r.Read7BitEncodedInt()), Name(r.Read7BitEncodedInt()), Name(r.Read7BitEncodedInt())));
        }

        return new ViolationReport(kind, message, cpu, chain, schedule, steps, shrunkSteps, switches, shrunkSwitches, narrative, deliveries);
    }

    private static Coordinator.Split ReadSplit(BinaryReader r)
    {
        var id = r.ReadInt64();
        var n = ReadCount(r);
        var units = new List<IReadOnlyList<int>>(n);
        for (var i = 0; i < n; i++)
        {
            units.Add(ReadInts(r));
        }

        var m = ReadCount(r);
        var nodes = new List<NodeState>(m);
        for (var i = 0; i < m; i++)
        {
            nodes.Add(ReadNode(r));
        }

        var rest = ReadInts(r);
        var k = ReadCount(r);
        var states = new ulong[k];
        for (var i = 0; i < k; i++)
        {
            states[i] = r.ReadUInt64();
        }

        return new Coordinator.Split(new PrefixSplit(id, units, nodes, rest, states));
    }

    private static Coordinator.Above ReadAbove(BinaryReader r)
    {
        var id = r.ReadInt64();
        var n = ReadCount(r);
        var points = new List<BacktrackPoint>(n);
        for (var i = 0; i < n; i++)
        {
            points.Add(new BacktrackPoint(ReadInts(r), r.ReadInt32()));
        }

        return new Coordinator.Above(new PrefixAbove(id, points));
    }

    private static void WriteNode(BinaryWriter w, NodeState n)
    {
        WriteInts(w, n.Path);
        w.Write(n.Step);
        WriteInts(w, n.Options);
        WriteInts(w, n.Cpus);
        w.Write(n.Default);
        w.Write(n.LastCpu);
        w.Write(n.PreemptionsBefore);
        WriteNullable(w, n.MaxPreemptions);
        w.Write(n.Dpor);
        WriteInts(w, n.Done);
        WriteInts(w, n.Backtrack);
        WriteInts(w, n.OverBound);
    }

    private static NodeState ReadNode(BinaryReader r) =>
        new(ReadInts(r), r.ReadInt32(), ReadInts(r), ReadInts(r), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), ReadNullableInt(r), r.ReadBoolean(),
            ReadInts(r), ReadInts(r), ReadInts(r));

    private static void WritePrefixResult(BinaryWriter w, PrefixResult u)
    {
        w.Write(u.UnitId);
        w.Write(u.Stopped);
        w.Write(u.Seconds);
        WriteNullable(w, u.Failure);
        var c = u.Coverage;
        foreach (var v in new[] { c.Schedules, c.Violations, c.Incomplete, c.TimedOut, c.CutByCache, c.ChoicePoints, c.BeyondStepBound, c.RacesBeyondStepBound, c.ReversalsAtCachedStates, c.Pruned, c.CutByBound })
        {
            w.Write(v);
        }

        foreach (var set in new[] { c.States, c.EndStates, c.Traces })
        {
            w.Write(set.Count);
            foreach (var h in set.Order())
            {
                w.Write(h);
            }
        }

        w.Write(u.Findings.Count);
        foreach (var f in u.Findings)
        {
            w.Write(f.Key);
            WriteInts(w, f.Choices);
            w.Write(f.Steps);
            WriteReport(w, f.Report);
        }
    }

    private static PrefixResult ReadPrefixResult(BinaryReader r)
    {
        var id = r.ReadInt64();
        var stopped = r.ReadBoolean();
        var seconds = r.ReadDouble();
        var failure = ReadNullableString(r);
        var c = new Coverage
        {
            Schedules = r.ReadInt64(),
            Violations = r.ReadInt64(),
            Incomplete = r.ReadInt64(),
            TimedOut = r.ReadInt64(),
            CutByCache = r.ReadInt64(),
            ChoicePoints = r.ReadInt64(),
            BeyondStepBound = r.ReadInt64(),
            RacesBeyondStepBound = r.ReadInt64(),
            ReversalsAtCachedStates = r.ReadInt64(),
            Pruned = r.ReadInt64(),
            CutByBound = r.ReadInt64(),
        };
        foreach (var set in new[] { c.States, c.EndStates, c.Traces })
        {
            var n = ReadCount(r);
            for (var i = 0; i < n; i++)
            {
                set.Add(r.ReadUInt64());
            }
        }

        var m = ReadCount(r);
        var findings = new List<PrefixFinding>(m);
        for (var i = 0; i < m; i++)
        {
            findings.Add(new PrefixFinding(r.ReadString(), ReadInts(r), r.ReadInt32(), ReadReport(r)));
        }

        return new PrefixResult(id, c, findings, stopped, seconds) { Failure = failure };
    }

    private static void WriteInts(BinaryWriter w, IReadOnlyList<int> items)
    {
        w.Write(items.Count);
        foreach (var i in items)
        {
            w.Write7BitEncodedInt(i);
        }
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var n = ReadCount(r);
        var list = new int[n];
        for (var i = 0; i < n; i++)
        {
            list[i] = r.Read7BitEncodedInt();
        }

        return list;
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> items)
    {
        w.Write(items.Count);
        foreach (var s in items)
        {
            w.Write(s);
        }
    }

    private static List<string> ReadStrings(BinaryReader r)
    {
        var n = ReadCount(r);
        var list = new List<string>(n);
        for (var i = 0; i < n; i++)
        {
            list.Add(r.ReadString());
        }

        return list;
    }

    private static int ReadCount(BinaryReader r)
    {
        var n = r.ReadInt32();
        var left = r.BaseStream.Length - r.BaseStream.Position;

        // Every counted item takes at least one byte: a count above what is left is damage, not a reason to allocate.
        return n >= 0 && n <= left ? n : throw new SerializationException($"a count of {n} with {left} bytes left");
    }

    private static void WriteNullable(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static void WriteNullable(BinaryWriter w, int? v)
    {
        w.Write(v.HasValue);
        if (v is { } x)
        {
            w.Write(x);
        }
    }

    private static string? ReadNullableString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static int? ReadNullableInt(BinaryReader r) => r.ReadBoolean() ? r.ReadInt32() : null;
}

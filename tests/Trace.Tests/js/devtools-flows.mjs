// Loads a Trace Event JSON file into Chrome DevTools' own trace engine (@paulirish/trace_engine, the
// Performance panel's parser) and prints, as one JSON object, what it made of it: the thread slices
// it kept and every flow it bound, each as the slices it joins. tests/Trace.Tests (ExportTests)
// runs it on bootactors' chrome export.
import fs from 'node:fs';
import { polyfillDOMRect } from '@paulirish/trace_engine/analyze-trace.mjs';
import * as Trace from '@paulirish/trace_engine';

polyfillDOMRect();

const file = process.argv[2];
if (!file) {
  console.error('usage: node devtools-flows.mjs TRACE.json');
  process.exit(2);
}

const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const events = json.traceEvents ?? json;
const processor = Trace.Processor.TraceProcessor.createWithAllHandlers();
await processor.parse(events, { isFreshRecording: false, isCPUProfile: false });
const data = processor.data ?? processor.parsedTrace;
const flows = (data.Flows?.flows ?? []).map((flow) =>
  flow.map((e) => ({ ph: e.ph, cat: e.cat, name: e.name, ts: e.ts, tid: e.tid, seq: e.args?.seq ?? null })));
const flowPhases = events.filter((e) => e.ph === 's' || e.ph === 'f').length;
process.stdout.write(JSON.stringify({ flowPhases, flows }) + '\n');

using System.Net;

namespace BootActors.Cli.Trace;

/// <summary>
/// The trace viewer page: inline CSS and JavaScript only (no CDN, no fetch), so the exported file
/// opens from disk, offline, years later. Rows are virtualised — only the rows in view are in the
/// DOM — so a trace of a million events scrolls as one of a hundred.
/// </summary>
internal static class HtmlViewer
{
    /// <summary>Everything before the embedded trace data; ends by opening the data's script element.</summary>
    public static string Head(string scenario) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>bootactors trace: {{WebUtility.HtmlEncode(scenario)}}</title>
        <style>
        {{Css}}
        </style>
        </head>
        <body>
        <header>
          <div id="title"></div>
          <div id="violation" class="none"></div>
          <div id="controls">
            <label>CPU <select id="filter-cpu"><option value="">all</option></select></label>
            <label>actor <select id="filter-actor"><option value="">all</option></select></label>
            <label>type <select id="filter-type"><option value="">all</option></select></label>
            <button id="jump-violation" type="button">jump to violation</button>
            <span id="count"></span>
          </div>
        </header>
        <main>
          <div id="timeline" tabindex="0">
            <div id="lane-head"></div>
            <div id="spacer"><svg id="rows" xmlns="http://www.w3.org/2000/svg"></svg></div>
          </div>
          <aside id="details"><p class="hint">Click an event to see its fields, clocks and the page-table entry it read or wrote.</p></aside>
        </main>
        <script id="trace-data" type="application/json">
        """;

    /// <summary>Everything after the embedded trace data.</summary>
    public const string Tail = "\n</script>\n<script>\n" + Script + "\n</script>\n</body>\n</html>\n";

    private const string Css = """
        :root { --row: 22px; --red: #c62828; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; height: 100vh; display: flex; flex-direction: column; }
        header { padding: 8px 12px; border-bottom: 1px solid #ccc; background: #fafafa; }
        #title { font-weight: 600; font-size: 14px; }
        #violation { margin: 6px 0; padding: 5px 8px; border-radius: 4px; }
        #violation.found { background: #fdecea; color: var(--red); border: 1px solid #f5c2c0; font-weight: 600; }
        #violation.none { background: #edf7ed; color: #1e4620; border: 1px solid #c8e6c9; }
        #controls label { margin-right: 10px; }
        #controls button { margin-right: 10px; }
        #count { color: #666; }
        main { flex: 1; display: flex; min-height: 0; }
        #timeline { flex: 1; overflow: auto; position: relative; outline: none; }
        #lane-head { position: sticky; top: 0; height: 24px; background: #fff; border-bottom: 1px solid #ddd; z-index: 2; }
        #lane-head span { position: absolute; top: 5px; text-align: center; font-weight: 600; font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        #spacer { position: relative; }
        #rows { position: absolute; left: 0; }
        #rows .lane { stroke: #e3e3e3; stroke-width: 1; }
        #rows .ev { cursor: pointer; }
        #rows .ev .hit { fill: transparent; }
        #rows .ev:hover .hit { fill: #f2f6fc; }
        #rows .ev.selected .hit { fill: #dbe8fb; }
        #rows .ev.violation .hit { fill: #fdecea; }
        #rows .ev.violation.selected .hit { fill: #f8c9c5; }
        #rows .ev text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #333; }
        #rows .ev.reply line { stroke-dasharray: 4 3; }
        #rows .ev.violation text { fill: var(--red); font-weight: 700; }
        #details { width: 440px; border-left: 1px solid #ccc; overflow: auto; padding: 10px 12px; background: #fcfcfc; }
        #details h2 { font-size: 15px; margin: 0 0 8px; }
        #details .hint { color: #777; }
        #details table { border-collapse: collapse; width: 100%; margin-bottom: 10px; }
        #details th { text-align: left; font-weight: 600; color: #555; padding: 2px 8px 2px 0; vertical-align: top; white-space: nowrap; }
        #details td { padding: 2px 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
        #details .entry { margin: 8px 0 12px; padding: 8px; border-radius: 4px; background: #fff8e1; border: 1px solid #ffe082; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; }
        #details .entry.error { background: #fdecea; border-color: #f5c2c0; color: var(--red); }
        #details h3 { font-size: 13px; margin: 12px 0 4px; }
        #details a { color: #1565c0; cursor: pointer; }
        """;

    private const string Script = """
        (function () {
          'use strict';
          const data = JSON.parse(document.getElementById('trace-data').textContent);
          const H = data.header, ACTORS = H.actors, TYPES = data.types, FUNCS = data.functions, EV = data.events;
          const SEQ = 0, FROM = 1, TO = 2, TYPE = 3, CPU = 4, FN = 5, EFFECT = 6, FIELDS = 7, ENTRY = 8, REQ = 9, FCLK = 10, TCLK = 11;
          const ROW = 22, LABEL = 200;
          // Lanes share the timeline's width (within bounds), so every actor is in view when the window allows.
          let LANE = 100, WIDTH = LABEL + ACTORS.length * LANE;
          const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
          const $ = (s) => document.querySelector(s);
          const scroller = $('#timeline'), spacer = $('#spacer'), svg = $('#rows'), details = $('#details');
          const selCpu = $('#filter-cpu'), selActor = $('#filter-actor'), selType = $('#filter-type');
          let view = new Int32Array(0);
          let selected = -1;
          let replies = null;

          const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
          const laneX = (a) => LABEL + a * LANE + LANE / 2;
          const field = (e, k) => { const f = e[FIELDS]; for (let i = 0; i < f.length; i += 2) if (f[i] === k) return f[i + 1]; return null; };
          const isReply = (e) => field(e, 'value') !== null || field(e, 'error') !== null;
          const isViolation = (e) => field(e, 'error') !== null;
          const colorOf = (e) => isViolation(e) ? '#c62828' : e[CPU] < 0 ? '#777' : COLORS[e[CPU] % COLORS.length];
          const clockText = (c) => { const parts = []; for (let i = 0; i < c.length; i += 2) parts.push(ACTORS[c[i]] + ':' + c[i + 1]); return '{' + parts.join(', ') + '}'; };
          const title = (e) => '#' + e[SEQ] + ' ' + TYPES[e[TYPE]] + ' ' + ACTORS[e[FROM]] + ' \u2192 ' + ACTORS[e[TO]];
          const seqLink = (seq) => '<a data-jump="' + seq + '">#' + seq + '</a>';

          // Header, violation banner, filter choices.
          const seedText = H.seed !== undefined ? ', seed ' + H.seed : '';
          $('#title').textContent = 'bootactors trace ' + H.file + ' \u2014 ' + H.scenario + ': ' + H.mode + ' mode, strategy ' + H.strategy + seedText + ', start ' + H.start + ', ' + EV.length + ' events';
          const banner = $('#violation');
          if (data.violation >= 0) {
            const v = EV[data.violation];
            banner.className = 'found';
            banner.textContent = 'Violation at ' + title(v) + ': ' + field(v, 'error') + ' \u2014 ' + (field(v, 'message') || '');
          } else {
            banner.textContent = 'No violation: no reply in this trace carries an error.';
            $('#jump-violation').disabled = true;
          }

          const cpus = new Set(); let host = false;
          for (const e of EV) { if (e[CPU] >= 0) cpus.add(e[CPU]); else host = true; }
          for (const c of [...cpus].sort((a, b) => a - b)) selCpu.add(new Option('cpu' + c, String(c)));
          if (host) selCpu.add(new Option('none (host)', '-1'));
          ACTORS.forEach((a, i) => selActor.add(new Option(a, String(i))));
          TYPES.map((t, i) => [t, i]).sort((a, b) => a[0].localeCompare(b[0])).forEach(([t, i]) => selType.add(new Option(t, String(i))));

          const head = $('#lane-head');
          function layout() {
            LANE = Math.max(60, Math.min(130, Math.floor((scroller.clientWidth - LABEL) / ACTORS.length)));
            WIDTH = LABEL + ACTORS.length * LANE;
            head.style.width = WIDTH + 'px';
            head.innerHTML = ACTORS.map((a, i) => '<span style="left:' + (LABEL + i * LANE) + 'px;width:' + LANE + 'px" title="' + esc(a) + '">' + esc(a) + '</span>').join('');
            svg.setAttribute('width', WIDTH);
            spacer.style.width = WIDTH + 'px';
          }
          layout();

          function applyFilters() {
            const c = selCpu.value === '' ? null : +selCpu.value;
            const a = selActor.value === '' ? null : +selActor.value;
            const t = selType.value === '' ? null : +selType.value;
            const out = new Int32Array(EV.length);
            let n = 0;
            for (let i = 0; i < EV.length; i++) {
              const e = EV[i];
              if (c !== null && e[CPU] !== c) continue;
              if (a !== null && e[FROM] !== a && e[TO] !== a) continue;
              if (t !== null && e[TYPE] !== t) continue;
              out[n++] = i;
            }
            view = out.subarray(0, n);
            spacer.style.height = (n * ROW) + 'px';
            $('#count').textContent = n + ' of ' + EV.length + ' events shown';
            render();
          }

          function render() {
            const top = scroller.scrollTop, height = scroller.clientHeight;
            const first = Math.max(0, Math.floor(top / ROW) - 5);
            const last = Math.min(view.length, Math.ceil((top + height) / ROW) + 5);
            const rows = Math.max(0, last - first);
            let s = '';
            for (let a = 0; a < ACTORS.length; a++) {
              s += '<line class="lane" x1="' + laneX(a) + '" y1="0" x2="' + laneX(a) + '" y2="' + rows * ROW + '"></line>';
            }
            for (let r = first; r < last; r++) {
              const i = view[r], e = EV[i], y = (r - first) * ROW;
              const x1 = laneX(e[FROM]), x2 = laneX(e[TO]), dir = x2 >= x1 ? 1 : -1, tip = x2 - dir * 4;
              const color = colorOf(e);
              const cls = 'ev' + (isReply(e) ? ' reply' : '') + (isViolation(e) ? ' violation' : '') + (i === selected ? ' selected' : '');
              s += '<g class="' + cls + '" data-seq="' + e[SEQ] + '" data-i="' + i + '" data-cpu="' + e[CPU] + '" transform="translate(0,' + y + ')">'
                + '<rect class="hit" x="0" y="0" width="' + WIDTH + '" height="' + ROW + '"></rect>'
                + '<text x="6" y="15">#' + e[SEQ] + ' ' + esc(TYPES[e[TYPE]]) + '</text>'
                + '<circle cx="' + x1 + '" cy="11" r="3" fill="' + color + '"></circle>'
                + '<line x1="' + x1 + '" y1="11" x2="' + (tip - dir * 6) + '" y2="11" stroke="' + color + '" stroke-width="' + (isViolation(e) ? 2.5 : 1.5) + '"></line>'
                + '<polygon points="' + tip + ',11 ' + (tip - dir * 8) + ',6 ' + (tip - dir * 8) + ',16" fill="' + color + '"></polygon>'
                + '</g>';
            }
            svg.style.top = (first * ROW) + 'px';
            svg.setAttribute('height', rows * ROW);
            svg.innerHTML = s;
          }

          function replyOf(seq) {
            if (replies === null) {
              replies = new Map();
              for (const e of EV) if (e[REQ] > 0) replies.set(e[REQ], e[SEQ]);
            }
            return replies.get(seq);
          }

          function showDetails(i) {
            const e = EV[i];
            const row = (k, v) => '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>';
            let h = '<h2>' + esc(title(e)) + '</h2><table>';
            h += row('from \u2192 to', esc(ACTORS[e[FROM]] + ' \u2192 ' + ACTORS[e[TO]]));
            h += row('cpu', e[CPU] >= 0 ? 'cpu' + e[CPU] : 'none (the host\u2019s message)');
            if (e[FN] >= 0) h += row('function', esc(FUNCS[e[FN]]));
            if (e[EFFECT] !== null) h += row('effect', esc(e[EFFECT]));
            if (e[REQ] > 0) h += row('reply to', seqLink(e[REQ]));
            else { const rep = replyOf(e[SEQ]); if (rep !== undefined) h += row('answered by', seqLink(rep)); }
            h += '</table>';
            h += '<h3>page-table entry</h3>';
            h += e[ENTRY] !== null
              ? '<div id="detail-entry" class="entry' + (isViolation(e) ? ' error' : '') + '">' + esc(e[ENTRY]) + '</div>'
              : '<div id="detail-entry" class="entry">(this message reads or writes no page-table entry)</div>';
            h += '<h3>fields</h3><table id="detail-fields">';
            const f = e[FIELDS];
            if (f.length === 0) h += '<tr><td>(none)</td></tr>';
            for (let k = 0; k < f.length; k += 2) h += row(f[k], esc(f[k + 1]));
            h += '</table><h3>vector clocks</h3><table>';
            h += row('sent with', esc(clockText(e[FCLK])));
            h += row('delivered with', esc(clockText(e[TCLK])));
            h += '</table>';
            details.innerHTML = h;
          }

          function select(i) {
            selected = i;
            showDetails(i);
            render();
          }

          function indexOfSeq(seq) {
            let lo = 0, hi = EV.length - 1;
            while (lo <= hi) {
              const mid = (lo + hi) >> 1, s = EV[mid][SEQ];
              if (s === seq) return mid;
              if (s < seq) lo = mid + 1; else hi = mid - 1;
            }
            for (let i = 0; i < EV.length; i++) if (EV[i][SEQ] === seq) return i;
            return -1;
          }

          function rowOf(i) {
            let lo = 0, hi = view.length - 1;
            while (lo <= hi) {
              const mid = (lo + hi) >> 1;
              if (view[mid] === i) return mid;
              if (view[mid] < i) lo = mid + 1; else hi = mid - 1;
            }
            return -1;
          }

          function jumpTo(i) {
            if (i < 0) return;
            let r = rowOf(i);
            if (r < 0) {
              selCpu.value = ''; selActor.value = ''; selType.value = '';
              applyFilters();
              r = rowOf(i);
            }
            scroller.scrollTop = Math.max(0, r * ROW - scroller.clientHeight / 2 + ROW / 2);
            select(i);
          }

          svg.addEventListener('click', (ev) => {
            const g = ev.target.closest('g.ev');
            if (g) select(+g.dataset.i);
          });
          details.addEventListener('click', (ev) => {
            const a = ev.target.closest('a[data-jump]');
            if (a) jumpTo(indexOfSeq(+a.dataset.jump));
          });
          scroller.addEventListener('scroll', () => requestAnimationFrame(render));
          window.addEventListener('resize', () => { layout(); render(); });
          [selCpu, selActor, selType].forEach((s) => s.addEventListener('change', applyFilters));
          $('#jump-violation').addEventListener('click', () => jumpTo(data.violation));
          scroller.addEventListener('keydown', (ev) => {
            if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
            ev.preventDefault();
            const r = selected >= 0 ? rowOf(selected) : -1;
            const next = Math.min(view.length - 1, Math.max(0, r + (ev.key === 'ArrowDown' ? 1 : -1)));
            if (next >= 0 && next < view.length) {
              const y = next * ROW;
              if (y < scroller.scrollTop + ROW || y > scroller.scrollTop + scroller.clientHeight - 2 * ROW) scroller.scrollTop = y - scroller.clientHeight / 2;
              select(view[next]);
            }
          });

          applyFilters();
          document.body.dataset.ready = 'true';
        })();
        """;
}

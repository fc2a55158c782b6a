(async function () {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const hex = (n) => '0x' + n.toString(16);
  const status = $('#status');
  const started = performance.now();

  // ---- The data: base64 of a gzip stream (ViewerPayload), its directory JSON at the end. ----
  status.textContent = 'loading…';
  const b64 = document.getElementById('trace-data').textContent.trim();
  let packed;
  if (typeof Uint8Array.fromBase64 === 'function') {
    packed = Uint8Array.fromBase64(b64);
  } else {
    const bin = atob(b64);
    packed = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) packed[i] = bin.charCodeAt(i);
  }
  const buf = await new Response(new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  packed = null;
  const u8 = new Uint8Array(buf);
  const dirLength = new DataView(buf).getUint32(buf.byteLength - 4, true);
  const dir = JSON.parse(new TextDecoder().decode(u8.subarray(buf.byteLength - 4 - dirLength, buf.byteLength - 4)));
  const ARRAYS = { u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array, f64: Float64Array };
  const section = (name) => {
    const s = dir.sections[name];
    const T = ARRAYS[s[2]];
    return new T(buf, s[0], s[1] / T.BYTES_PER_ELEMENT);
  };
  const decoder = new TextDecoder();

  const LEVELS = ['pgd', 'pud', 'pmd', 'pte'];
  const SPAN_PAGES = [2 ** 27, 2 ** 18, 2 ** 9, 1];
  const PAGE_OFFSET = 0xffff880000000000n;
  const FIRST_SLOT = 272, MARKER_SLOT = 388;
  const MARKER_NO = (MARKER_SLOT - FIRST_SLOT) * 2 ** 27;

  function makeTrace(info, side) {
    const p = info.prefix;
    const t = {
      info, side, n: info.count, actors: info.actors, types: info.types, funcs: info.functions, violation: info.violation,
      seq: section(p + '.seq'), from: section(p + '.from'), to: section(p + '.to'), type: section(p + '.type'), cpu: section(p + '.cpu'),
      fn: section(p + '.fn'), req: section(p + '.req'), flags: section(p + '.flags'), level: section(p + '.level'), index: section(p + '.index'),
      table: section(p + '.table'), vaHi: section(p + '.vaHi'), vaLo: section(p + '.vaLo'), vaSpan: section(p + '.vaSpan'),
      physStart: section(p + '.physStart'), physEnd: section(p + '.physEnd'), textStart: section(p + '.textStart'),
      text: u8.subarray(info.text[0], info.text[0] + info.text[1]),
      hist: info.history, keys: new Map(), match: null, replies: null, effects: null,
    };
    if (!t.hist.error) {
      for (const k of ['ipPfn', 'ipLevel', 'ipStart', 'ieIndex', 'ieHi', 'ieLo', 'evWrites', 'wTable', 'wLevel', 'wIndex', 'wCount', 'wHi', 'wLo', 'wStride', 'wBeforeHi', 'wBeforeLo']) {
        t[k] = section(p + '.' + k);
      }
      t.tables = new Tables(t);
      t.overwrites = [];
      for (let i = 0; i < t.n; i++) {
        for (let w = t.evWrites[i]; w < t.evWrites[i + 1]; w++) {
          if (t.wCount[w] === 1 && overwrote(t.wBeforeLo[w], t.wBeforeHi[w], t.wLo[w], t.wHi[w])) t.overwrites.push([i, w]);
        }
      }
      for (const line of t.hist.narrative || []) {
        if (line.seq !== null && line.seq !== undefined && line.role !== 'error') {
          const i = indexOfSeq(t, line.seq);
          if (i >= 0 && !t.keys.has(i)) t.keys.set(i, line.role);
        }
      }
    }
    return t;
  }

  const present = (lo) => (lo & 1) !== 0;
  const large = (lo) => (lo & 0x80) !== 0;
  const frameOf = (lo, hi) => (hi & 0x3fff) * 2 ** 20 + (lo >>> 12);
  const overwrote = (blo, bhi, lo, hi) => present(blo) && present(lo) && (blo !== lo || bhi !== hi);
  const entryHex = (lo, hi) => '0x' + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);

  // ---- Page tables at an event: the initial pages plus every write up to it. ----
  function Tables(t) {
    this.t = t;
    this.reset();
  }
  Tables.prototype.reset = function () {
    const t = this.t;
    this.pages = new Map();
    this.parent = new Map();
    this.at = -1;
    for (let p = 0; p < t.ipPfn.length; p++) {
      const page = this.page(t.ipPfn[p], t.ipLevel[p]);
      for (let k = t.ipStart[p]; k < t.ipStart[p + 1]; k++) this.set(page, t.ipPfn[p], t.ieIndex[k], t.ieLo[k], t.ieHi[k]);
    }
  };
  Tables.prototype.page = function (pfn, level) {
    let page = this.pages.get(pfn);
    if (!page) {
      page = { level, e: new Uint32Array(1024) };
      this.pages.set(pfn, page);
    }
    return page;
  };
  Tables.prototype.set = function (page, pfn, index, lo, hi) {
    page.e[2 * index] = lo;
    page.e[2 * index + 1] = hi;
    if (page.level < 3 && present(lo) && !large(lo)) this.parent.set(frameOf(lo, hi), { table: pfn, index, level: page.level });
  };
  Tables.prototype.apply = function (w) {
    const t = this.t;
    const pfn = t.wTable[w];
    const page = this.page(pfn, t.wLevel[w]);
    const count = t.wCount[w], stride = t.wStride[w];
    for (let c = 0; c < count; c++) {
      const lo = t.wLo[w] + c * stride;
      this.set(page, pfn, t.wIndex[w] + c, lo % 4294967296, (t.wHi[w] + Math.floor(lo / 4294967296)) >>> 0);
    }
  };
  Tables.prototype.upTo = function (i) {
    if (i < this.at) this.reset();
    const t = this.t;
    for (let k = this.at + 1; k <= i; k++) {
      for (let w = t.evWrites[k]; w < t.evWrites[k + 1]; w++) this.apply(w);
    }
    this.at = i;
  };
  Tables.prototype.entry = function (pfn, index) {
    const page = this.pages.get(pfn);
    return page ? [page.e[2 * index], page.e[2 * index + 1]] : [0, 0];
  };
  // The 4 KiB page number (from PAGE_OFFSET) and span of the entry, or null when its table is not linked to init_level4_pgt.
  Tables.prototype.where = function (pfn, index, level) {
    const idx = [0, 0, 0, 0];
    idx[level] = index;
    let cur = pfn;
    for (let l = level - 1; l >= 0; l--) {
      const p = this.parent.get(cur);
      if (!p || p.level !== l) return null;
      const [lo, hi] = this.entry(p.table, p.index);
      if (!present(lo) || large(lo) || frameOf(lo, hi) !== cur) return null;
      idx[l] = p.index;
      cur = p.table;
    }
    if (cur !== this.t.hist.root || idx[0] < FIRST_SLOT || idx[0] >= MARKER_SLOT) return null;
    let start = 0;
    for (let l = 0; l <= level; l++) start += (l === 0 ? idx[0] - FIRST_SLOT : idx[l]) * SPAN_PAGES[l];
    return { no: start, pages: SPAN_PAGES[level] };
  };

  // arch/x86/mm/dump_pagetables.c at v2.6.27, as KernelPageTablesDump.cs: note_page over the walk.
  const UNITS = 'KMGTPE';
  const LEVEL_NAME = ['cr3', 'pgd', 'pud', 'pmd', 'pte'];
  const vaOfNo = (no) => PAGE_OFFSET + BigInt(no) * 4096n;
  function printkProt(lo, hi, level) {
    if (lo === 0 && hi === 0) return ' '.repeat(26) + LEVEL_NAME[level];
    let s = (lo & 4 ? 'USR ' : '    ') + (lo & 2 ? 'RW ' : 'ro ') + (lo & 8 ? 'PWT ' : '    ') + (lo & 16 ? 'PCD ' : '    ');
    s += level <= 3 ? (lo & 0x80 ? 'PSE ' : '    ') : (lo & 0x80 ? 'pat ' : '    ');
    s += (lo & 0x100 ? 'GLB ' : '    ') + ((hi & 0x80000000) !== 0 ? 'NX ' : 'x  ');
    return s + LEVEL_NAME[level];
  }
  function dump(tables) {
    const lines = [];
    let level = 0, plo = 0, phi = 0, startNo = 0;
    const note = (lo, hi, newLevel, no) => {
      if (level === 0) {
        plo = lo; phi = hi; level = newLevel; startNo = no;
        lines.push({ text: '---[ Low Kernel Mapping ]---', start: -1, end: -1 });
        return;
      }
      const atMarker = no >= MARKER_NO;
      if (lo === plo && hi === phi && newLevel === level && !atMarker) return;
      let delta = (no - startNo) * 4, unit = 0;
      while (delta % 1024 === 0 && unit + 1 < UNITS.length) { delta /= 1024; unit++; }
      const a = vaOfNo(startNo).toString(16).padStart(16, '0'), b = vaOfNo(no).toString(16).padStart(16, '0');
      lines.push({ text: '0x' + a + '-0x' + b + '   ' + String(delta).padStart(9) + UNITS[unit] + ' ' + printkProt(plo, phi, level), start: startNo, end: no });
      startNo = no; plo = lo; phi = hi; level = newLevel;
    };
    const flagsLo = (lo) => lo & 0xfff, flagsHi = (hi) => (hi & 0xffffc000) >>> 0;
    const root = tables.pages.get(tables.t.hist.root);
    for (let slot = FIRST_SLOT; slot < MARKER_SLOT; slot++) {
      const base = (slot - FIRST_SLOT) * SPAN_PAGES[0];
      const lo = root ? root.e[2 * slot] : 0, hi = root ? root.e[2 * slot + 1] : 0;
      if (lo === 0 && hi === 0) note(0, 0, 1, base);
      else if (!present(lo)) note(flagsLo(lo), flagsHi(hi), 1, base);
      else {
        const pud = tables.pages.get(frameOf(lo, hi));
        for (let i = 0; i < 512; i++) {
          const no = base + i * SPAN_PAGES[1];
          const l1 = pud ? pud.e[2 * i] : 0, h1 = pud ? pud.e[2 * i + 1] : 0;
          if (l1 === 0 && h1 === 0) { note(0, 0, 2, no); continue; }
          if (large(l1) || !present(l1)) { note(flagsLo(l1), flagsHi(h1), 2, no); continue; }
          const pmd = tables.pages.get(frameOf(l1, h1));
          for (let j = 0; j < 512; j++) {
            const no2 = no + j * SPAN_PAGES[2];
            const l2 = pmd ? pmd.e[2 * j] : 0, h2 = pmd ? pmd.e[2 * j + 1] : 0;
            if (l2 === 0 && h2 === 0) { note(0, 0, 3, no2); continue; }
            if (large(l2) || !present(l2)) { note(flagsLo(l2), flagsHi(h2), 3, no2); continue; }
            const pte = tables.pages.get(frameOf(l2, h2));
            for (let k = 0; k < 512; k++) {
              note(pte ? flagsLo(pte.e[2 * k]) : 0, pte ? flagsHi(pte.e[2 * k + 1]) : 0, 4, no2 + k);
            }
          }
        }
      }
    }
    note(0, 0, 0, MARKER_NO);
    return lines;
  }

  // ---- The traces, the header, the story. ----
  const A = makeTrace(dir.traces[0], 0);
  const B = dir.traces.length > 1 ? makeTrace(dir.traces[1], 1) : null;
  const sides = B ? [A, B] : [A];
  const divergence = dir.divergence || null;

  function indexOfSeq(t, seq) {
    let lo = 0, hi = t.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, s = t.seq[mid];
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1; else hi = mid - 1;
    }
    for (let i = 0; i < t.n; i++) if (t.seq[i] === seq) return i;
    return -1;
  }
  function details(t, i) {
    const parts = decoder.decode(t.text.subarray(t.textStart[i], t.textStart[i + 1])).split('\u001f');
    const fields = parts[1] === '' ? [] : parts[1].split('\u001e').map((kv) => { const at = kv.indexOf('='); return [kv.slice(0, at), kv.slice(at + 1)]; });
    return { effect: parts[0] === '' ? null : parts[0], fields, entry: parts[2] === '' ? null : parts[2], fclk: parts[3], tclk: parts[4] };
  }
  const isReply = (t, i) => (t.flags[i] & 1) !== 0;
  const isViolation = (t, i) => (t.flags[i] & 2) !== 0;
  const title = (t, i) => '#' + t.seq[i] + ' ' + t.types[t.type[i]] + ' ' + t.actors[t.from[i]] + ' \u2192 ' + t.actors[t.to[i]];
  const seqLink = (t, seq) => '<a data-side="' + t.side + '" data-jump="' + seq + '">#' + seq + '</a>';
  const field = (d, k) => { for (const [a, b] of d.fields) if (a === k) return b; return null; };

  const seedText = A.info.seed !== null && A.info.seed !== undefined ? ', seed ' + A.info.seed : '';
  $('#title').firstChild.textContent = 'bootactors trace ' + A.info.file + ' \u2014 ' + A.info.scenario + ': ' + A.info.mode + ' mode, strategy ' + A.info.strategy + seedText + ', start ' + A.info.start + ', ' + A.n + ' events';
  const banner = $('#violation');
  if (A.violation >= 0) {
    const d = details(A, A.violation);
    banner.className = 'found';
    banner.textContent = 'Violation at ' + title(A, A.violation) + ': ' + field(d, 'error') + ' \u2014 ' + (field(d, 'message') || '');
  } else {
    banner.textContent = 'No violation: no reply in this trace carries an error.';
    $('#jump-violation').disabled = true;
  }
  const story = A.hist.narrative;
  if (story && story.length) {
    $('#story').hidden = false;
    $('#narrative').innerHTML = story.map((l) => {
      const seq = l.role === 'error' && A.violation >= 0 ? A.seq[A.violation] : l.seq;
      const role = l.role === 'error' ? 'violation' : l.role;
      const text = seq !== null && seq !== undefined ? '<a data-side="0" data-jump="' + seq + '">' + esc(l.text) + '</a>' : esc(l.text);
      return '<li class="role-' + esc(l.role) + '" data-seq="' + (seq ?? '') + '"><span class="role">' + esc(role) + '</span>' + text + '</li>';
    }).join('');
  }
  if (B) {
    const bar = $('#compare-bar');
    bar.hidden = false;
    const d = divergence;
    bar.innerHTML = 'Comparing with <b>' + esc(B.info.file) + '</b> (' + esc(B.info.scenario) + ', ' + esc(B.info.mode) + (B.info.seed !== null && B.info.seed !== undefined ? ', seed ' + B.info.seed : '') + ', ' + B.n + ' events): ' +
      (d.a === null && d.b === null ? 'no divergence: both deliver the same ' + d.same + ' messages in the same order'
        : 'first divergence after <b>' + d.same + '</b> identical deliveries, at A ' + (d.a !== null ? '#' + d.a : '(ended)') + ' / B ' + (d.b !== null ? '#' + d.b : '(ended)') +
          ' <button id="jump-divergence" type="button">jump to divergence</button>');
  }

  // ---- Filters, search, the view. ----
  const selCpu = $('#filter-cpu'), selActor = $('#filter-actor'), selType = $('#filter-type');
  const cpus = new Set(), actorNames = new Set(), typeNames = new Set();
  let host = false;
  for (const t of sides) {
    for (let i = 0; i < t.n; i++) { if (t.cpu[i] >= 0) cpus.add(t.cpu[i]); else host = true; }
    t.actors.forEach((a) => actorNames.add(a));
    t.types.forEach((n) => typeNames.add(n));
  }
  for (const c of [...cpus].sort((a, b) => a - b)) selCpu.add(new Option('cpu' + c, String(c)));
  if (host) selCpu.add(new Option('none (host)', '-1'));
  for (const a of A.actors.concat(B ? B.actors.filter((x) => !A.actors.includes(x)) : [])) selActor.add(new Option(a, a));
  for (const n of [...typeNames].sort()) selType.add(new Option(n, n));

  const search = $('#search'), searchCount = $('#search-count'), onlyMatches = $('#only-matches');
  let matchList = [];
  let matchAt = -1;

  function effects(t) {
    if (t.effects === null) {
      t.effects = new Array(t.n);
      for (let i = 0; i < t.n; i++) {
        const s = t.text.subarray(t.textStart[i], t.textStart[i + 1]);
        let end = s.indexOf(0x1f);
        t.effects[i] = decoder.decode(s.subarray(0, end < 0 ? s.length : end)).toLowerCase();
      }
    }
    return t.effects;
  }
  // "0x…" → [va hi, va lo, phys] as trace show --addr reads an address.
  function address(text) {
    const v = BigInt(text);
    const DIRECT_END = PAGE_OFFSET + (64n << 40n);
    if (v >= 0xffff800000000000n) {
      const phys = v >= PAGE_OFFSET && v < DIRECT_END ? Number(v - PAGE_OFFSET) : null;
      return { hi: Number(v >> 32n), lo: Number(v & 0xffffffffn), phys };
    }
    const va = v + PAGE_OFFSET;
    return { hi: Number(va >> 32n), lo: Number(va & 0xffffffffn), phys: Number(v) };
  }
  function concerns(t, i, a) {
    const span = t.vaSpan[i];
    if (span > 0) {
      const d = (a.hi - t.vaHi[i]) * 4294967296 + (a.lo - t.vaLo[i]);
      if (d >= 0 && d < span) return true;
    }
    if (a.phys !== null) {
      const ps = t.physStart[i], pe = t.physEnd[i];
      if (!Number.isNaN(ps) && a.phys >= ps && a.phys < pe) return true;
      if (!Number.isNaN(t.table[i]) && Math.floor(a.phys / 4096) === t.table[i]) return true;
    }
    return false;
  }
  // The query: "#N" or "N" goes to an event; "0x…" finds the events about an address; "pud[8]",
  // "pud[8] of 0x202" or "0x202[8]" the events about a table entry; anything else is free text over
  // the message types, kernel functions and effects.
  function runSearch() {
    const q = search.value.trim();
    searchCount.className = '';
    for (const t of sides) t.match = null;
    matchList = [];
    matchAt = -1;
    if (q === '') { searchCount.textContent = ''; applyFilters(); return; }
    let m;
    if ((m = /^#?(\d+)$/.exec(q))) {
      const seq = +m[1];
      const i = indexOfSeq(A, seq);
      if (i < 0) { searchCount.className = 'error'; searchCount.textContent = 'no event #' + seq; return; }
      searchCount.textContent = 'event #' + seq;
      jumpTo(A, i);
      return;
    }
    let test;
    try {
      if ((m = /^(pgd|pud|pmd|pte)\[(\d+)\](?:\s+of\s+(?:table\s+)?(0x[0-9a-f]+))?$/i.exec(q))) {
        const level = LEVELS.indexOf(m[1].toLowerCase()), index = +m[2], table = m[3] ? Number(BigInt(m[3])) : null;
        test = (t, i) => t.level[i] === level && t.index[i] === index && (table === null || t.table[i] === table);
      } else if ((m = /^(0x[0-9a-f]+)\[(\d+)\]$/i.exec(q))) {
        const table = Number(BigInt(m[1])), index = +m[2];
        test = (t, i) => t.table[i] === table && t.index[i] === index && t.level[i] >= 0;
      } else if (/^0x[0-9a-f]+$/i.test(q)) {
        const a = address(q);
        test = (t, i) => concerns(t, i, a);
      } else {
        const needle = q.toLowerCase();
        test = (t, i) => t.types[t.type[i]].toLowerCase().includes(needle) || (t.fn[i] >= 0 && t.funcs[t.fn[i]].toLowerCase().includes(needle)) || effects(t)[i].includes(needle);
      }
    } catch (e) {
      searchCount.className = 'error';
      searchCount.textContent = 'cannot read ' + q;
      return;
    }
    let total = 0;
    for (const t of sides) {
      t.match = new Uint8Array(t.n);
      for (let i = 0; i < t.n; i++) if (test(t, i)) { t.match[i] = 1; total++; if (t === A) matchList.push(i); }
    }
    searchCount.textContent = total + ' event' + (total === 1 ? '' : 's') + (B ? ' (A ' + matchList.length + ')' : '');
    applyFilters();
    if (matchList.length > 0) nextMatch(1);
  }
  function nextMatch(dir) {
    if (matchList.length === 0) return;
    matchAt = (matchAt + dir + matchList.length) % matchList.length;
    jumpTo(A, matchList[matchAt]);
  }

  const scroller = $('#timeline'), spacer = $('#spacer'), svg = $('#rows'), pane = $('#details');
  let view = new Int32Array(0);
  let selected = null;
  const ROW = 22, LABEL = B ? 170 : 230;
  if (B) document.body.classList.add('compare');
  let LANE = 100, SIDE = 0, WIDTH = 0;
  const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
  const head = $('#lane-head');
  function layout() {
    const lanes = sides.reduce((n, t) => n + t.actors.length, 0);
    LANE = Math.max(B ? 30 : 60, Math.min(130, Math.floor((scroller.clientWidth - LABEL * sides.length) / lanes)));
    SIDE = LABEL + A.actors.length * LANE;
    WIDTH = SIDE + (B ? LABEL + B.actors.length * LANE : 0);
    let h = '';
    for (const t of sides) {
      const x0 = t.side === 0 ? 0 : SIDE;
      if (B) h += '<span class="side" style="left:' + (x0 + 6) + 'px;width:' + (LABEL - 10) + 'px">' + (t.side === 0 ? 'A ' : 'B ') + esc(t.info.file) + '</span>';
      h += t.actors.map((a, i) => '<span style="left:' + (x0 + LABEL + i * LANE) + 'px;width:' + LANE + 'px" title="' + esc(a) + '">' + esc(a) + '</span>').join('');
    }
    head.style.width = WIDTH + 'px';
    head.innerHTML = h;
    svg.setAttribute('width', WIDTH);
    spacer.style.width = WIDTH + 'px';
  }
  layout();

  function passes(t, i, c, a, ty) {
    if (i >= t.n) return false;
    if (c !== null && t.cpu[i] !== c) return false;
    if (a !== null && t.actors[t.from[i]] !== a && t.actors[t.to[i]] !== a) return false;
    if (ty !== null && t.types[t.type[i]] !== ty) return false;
    if (onlyMatches.checked && t.match && !t.match[i]) return false;
    return true;
  }
  function applyFilters() {
    const c = selCpu.value === '' ? null : +selCpu.value;
    const a = selActor.value === '' ? null : selActor.value;
    const ty = selType.value === '' ? null : selType.value;
    const rows = B ? Math.max(A.n, B.n) : A.n;
    const out = new Int32Array(rows);
    let n = 0;
    for (let r = 0; r < rows; r++) if (sides.some((t) => passes(t, r, c, a, ty))) out[n++] = r;
    view = out.subarray(0, n);
    spacer.style.height = (n * ROW) + 'px';
    $('#count').textContent = n + ' of ' + rows + (B ? ' rows' : ' events') + ' shown';
    render();
  }
  const colorOf = (t, i) => isViolation(t, i) ? '#c62828' : t.cpu[i] < 0 ? '#777' : COLORS[t.cpu[i] % COLORS.length];
  const divergeRow = divergence && (divergence.a !== null || divergence.b !== null) ? divergence.same : -1;
  function render() {
    const top = scroller.scrollTop, height = scroller.clientHeight;
    const first = Math.max(0, Math.floor(top / ROW) - 5);
    const last = Math.min(view.length, Math.ceil((top + height) / ROW) + 5);
    const rows = Math.max(0, last - first);
    let s = '';
    for (const t of sides) {
      const x0 = t.side === 0 ? 0 : SIDE;
      for (let a = 0; a < t.actors.length; a++) {
        const x = x0 + LABEL + a * LANE + LANE / 2;
        s += '<line class="lane" x1="' + x + '" y1="0" x2="' + x + '" y2="' + rows * ROW + '"></line>';
      }
    }
    if (B) s += '<line class="split" x1="' + SIDE + '" y1="0" x2="' + SIDE + '" y2="' + rows * ROW + '"></line>';
    for (let r = first; r < last; r++) {
      const i = view[r], y = (r - first) * ROW;
      if (B && divergeRow >= 0 && i < divergeRow) s += '<rect class="same" x="0" y="' + y + '" width="4" height="' + ROW + '"></rect>';
      for (const t of sides) {
        if (i >= t.n) continue;
        const x0 = t.side === 0 ? 0 : SIDE;
        const laneX = (a) => x0 + LABEL + a * LANE + LANE / 2;
        const x1 = laneX(t.from[i]), x2 = laneX(t.to[i]), dir = x2 >= x1 ? 1 : -1, tip = x2 - dir * 4;
        const color = colorOf(t, i);
        const key = t.keys.get(i);
        const sel = selected && selected.t === t && selected.i === i;
        const cls = 'ev' + (isReply(t, i) ? ' reply' : '') + (isViolation(t, i) ? ' violation' : '') + (key ? ' key' : '') + (t.match && t.match[i] ? ' match' : '') + (sel ? ' selected' : '');
        s += '<g class="' + cls + '" data-side="' + t.side + '" data-seq="' + t.seq[i] + '" data-i="' + i + '" data-cpu="' + t.cpu[i] + '"' + (key ? ' data-key="' + key + '"' : '') + ' transform="translate(0,' + y + ')">'
          + '<rect class="hit" x="' + x0 + '" y="0" width="' + (t.side === 0 ? SIDE : WIDTH - SIDE) + '" height="' + ROW + '"></rect>'
          + '<text x="' + (x0 + 6) + '" y="15">#' + t.seq[i] + ' ' + esc(t.types[t.type[i]]) + '</text>'
          + (key ? '<text class="badge" x="' + (x0 + LABEL - 8) + '" y="15" text-anchor="end">\u2605 ' + esc(key) + '</text>' : '')
          + '<circle cx="' + x1 + '" cy="11" r="3" fill="' + color + '"></circle>'
          + '<line x1="' + x1 + '" y1="11" x2="' + (tip - dir * 6) + '" y2="11" stroke="' + color + '" stroke-width="' + (isViolation(t, i) ? 2.5 : 1.5) + '"></line>'
          + '<polygon points="' + tip + ',11 ' + (tip - dir * 8) + ',6 ' + (tip - dir * 8) + ',16" fill="' + color + '"></polygon>'
          + '</g>';
      }
      if (B && i === divergeRow) {
        s += '<rect class="diverge" id="divergence-mark" x="1" y="' + (y + 1) + '" width="' + (WIDTH - 2) + '" height="' + (ROW - 2) + '"></rect>'
          + '<text class="diverge-label" x="' + (SIDE - 6) + '" y="' + (y + 15) + '" text-anchor="end">first divergence</text>';
      }
    }
    svg.style.top = (first * ROW) + 'px';
    svg.setAttribute('height', rows * ROW);
    svg.innerHTML = s;
  }

  // ---- The selected event: fields, clocks, page tables. ----
  function replyOf(t, seq) {
    if (t.replies === null) {
      t.replies = new Map();
      for (let i = 0; i < t.n; i++) if (t.req[i] > 0) t.replies.set(t.req[i], t.seq[i]);
    }
    return t.replies.get(seq);
  }
  const clockText = (t, c) => '{' + (c === '' ? '' : c.split(',').map((p) => { const [a, v] = p.split(':'); return t.actors[+a] + ':' + v; }).join(', ')) + '}';
  function describe(level, lo, hi) {
    if (lo === 0 && hi === 0) return 'none';
    if (!present(lo)) return 'not present';
    const frame = frameOf(lo, hi);
    if (level === 3 || (level > 0 && large(lo))) return (level === 3 ? '4K' : level === 2 ? '2M' : '1G') + ' leaf, frame ' + hex(frame);
    return LEVELS[level + 1] + ' page ' + hex(frame);
  }
  function showDetails(t, i) {
    const d = details(t, i);
    const row = (k, v) => '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>';
    let h = '<h2>' + (B ? (t.side === 0 ? 'A ' : 'B ') : '') + esc(title(t, i)) + '</h2><table>';
    h += row('from \u2192 to', esc(t.actors[t.from[i]] + ' \u2192 ' + t.actors[t.to[i]]));
    h += row('cpu', t.cpu[i] >= 0 ? 'cpu' + t.cpu[i] : 'none (the host\u2019s message)');
    if (t.fn[i] >= 0) h += row('function', esc(t.funcs[t.fn[i]]));
    if (d.effect !== null) h += row('effect', esc(d.effect));
    if (t.keys.get(i)) h += row('in the story', esc(t.keys.get(i)));
    if (t.req[i] > 0) h += row('reply to', seqLink(t, t.req[i]));
    else { const rep = replyOf(t, t.seq[i]); if (rep !== undefined) h += row('answered by', seqLink(t, rep)); }
    h += '</table><h3>page-table entry</h3>';
    h += d.entry !== null
      ? '<div id="detail-entry" class="entry' + (isViolation(t, i) ? ' error' : '') + '">' + esc(d.entry) + '</div>'
      : '<div id="detail-entry" class="entry">(this message reads or writes no page-table entry)</div>';
    h += '<section id="pt"></section>';
    h += '<h3>fields</h3><table id="detail-fields">';
    if (d.fields.length === 0) h += '<tr><td>(none)</td></tr>';
    for (const [k, v] of d.fields) h += row(k, esc(v));
    h += '</table><h3>vector clocks</h3><table>';
    h += row('sent with', esc(clockText(t, d.fclk)));
    h += row('delivered with', esc(clockText(t, d.tclk)));
    h += '</table>';
    pane.innerHTML = h;
    pane.dataset.seq = t.seq[i];
    showTables(t, i, d);
  }
  function showTables(t, i, d) {
    const box = $('#pt');
    if (t.hist.error) {
      box.innerHTML = '<h3>page tables</h3><p class="how" id="pt-missing">Not available: ' + esc(t.hist.error) + '</p>';
      return;
    }
    const tables = t.tables;
    tables.upTo(i);
    let h = '<h3 id="pt-title">page tables after ' + esc(title(t, i)) + (t.cpu[i] >= 0 && d.effect ? ' (cpu' + t.cpu[i] + ' ' + esc(d.effect) + ')' : '') + '</h3>';
    h += '<div class="how">(' + esc(t.hist.how) + ')</div>';

    // The entries this event changed, and an overwrite it attempted when that is the violation.
    const changed = [];
    const hits = [];
    for (let w = t.evWrites[i]; w < t.evWrites[i + 1]; w++) {
      const pfn = t.wTable[w], level = t.wLevel[w], index = t.wIndex[w], count = t.wCount[w];
      const over = count === 1 && overwrote(t.wBeforeLo[w], t.wBeforeHi[w], t.wLo[w], t.wHi[w]);
      const at = tables.where(pfn, index, level);
      if (at) hits.push({ no: at.no, pages: at.pages * count, over });
      const name = LEVELS[level] + '[' + index + (count > 1 ? '..' + (index + count - 1) : '') + '] of table ' + hex(pfn);
      const before = count === 1 ? describe(level, t.wBeforeLo[w], t.wBeforeHi[w]) + ' (' + entryHex(t.wBeforeLo[w], t.wBeforeHi[w]) + ')' : 'none';
      const after = describe(level, t.wLo[w], t.wHi[w]) + ' (' + entryHex(t.wLo[w], t.wHi[w]) + ')' + (count > 1 ? ', then each ' + hex(t.wStride[w]) + ' more' : '');
      const where = at ? 'va ' + '0x' + vaOfNo(at.no).toString(16) : 'not reachable from init_level4_pgt yet';
      changed.push('<li class="' + (over ? 'overwrote' : 'changed') + '" data-entry="' + esc(LEVELS[level] + '[' + index + '] of ' + hex(pfn)) + '">' + esc(name) + ': ' + esc(before) + ' \u2192 ' + esc(after) + '; ' + esc(where) + (over ? ' \u2014 \u26A0 overwritten while present' : '') + '</li>');
    }
    const reqIndex = isViolation(t, i) && t.req[i] > 0 ? indexOfSeq(t, t.req[i]) : -1;
    if (isViolation(t, i) && field(d, 'error') === 'overwrote_present_entry' && reqIndex >= 0 && t.level[reqIndex] >= 0) {
      const r = details(t, reqIndex);
      const level = t.level[reqIndex], index = t.index[reqIndex], pfn = t.table[reqIndex];
      const [lo, hi] = tables.entry(pfn, index);
      const value = field(r, 'entry');
      const at = tables.where(pfn, index, level);
      if (at) hits.push({ no: at.no, pages: at.pages, over: true });
      changed.push('<li class="overwrote attempted" data-entry="' + esc(LEVELS[level] + '[' + index + '] of ' + hex(pfn)) + '">' + esc(LEVELS[level] + '[' + index + '] of table ' + hex(pfn)) + ': present (' + esc(describe(level, lo, hi)) + ', ' + esc(entryHex(lo, hi)) + ') would be overwritten by #' + t.req[i] + ' with ' + esc(value || '?') + ' \u2014 \u26A0 overwrite of a present entry, refused: the run stopped before the write</li>');
    }
    h += '<h3>changed by this event</h3><ul id="pt-changed">' + (changed.length ? changed.join('') : '<li>(no entry)</li>') + '</ul>';

    // Entries overwritten while present so far, as they map now.
    const overs = t.overwrites.filter(([k]) => k <= i);
    for (const [, w] of overs) {
      const at = tables.where(t.wTable[w], t.wIndex[w], t.wLevel[w]);
      if (at) hits.push({ no: at.no, pages: at.pages, over: true });
    }
    if (overs.length) {
      h += '<h3>overwritten while present so far</h3><ul id="pt-overwritten">' + overs.map(([k, w]) =>
        '<li class="overwrote">' + esc(LEVELS[t.wLevel[w]] + '[' + t.wIndex[w] + '] of table ' + hex(t.wTable[w])) + ': ' + esc(describe(t.wLevel[w], t.wBeforeLo[w], t.wBeforeHi[w])) + ' \u2192 ' + esc(describe(t.wLevel[w], t.wLo[w], t.wHi[w])) + ' at ' + seqLink(t, t.seq[k]) + '</li>').join('') + '</ul>';
    }

    const lines = dump(tables);
    h += '<pre id="pt-dump">' + lines.map((l) => {
      let cls = 'ptl';
      for (const x of hits) {
        if (l.start >= 0 && l.start < x.no + x.pages && x.no < l.end) cls += x.over ? ' over' : ' hit';
      }
      return '<div class="' + cls + '">' + esc(l.text) + '</div>';
    }).join('') + '</pre>';
    h += '<h3>TLBs</h3><pre id="pt-tlbs">';
    for (let c = 0; c < t.hist.cpus; c++) {
      let version = null;
      for (const v of t.hist.tlbs) if (v.cpu === c && v.seq <= t.seq[i]) version = v;
      if (version) h += version.lines.map((l) => '<div class="tlbl">' + esc(l) + '</div>').join('');
    }
    h += '</pre>';
    box.innerHTML = h;
  }

  function select(t, i) {
    selected = { t, i };
    showDetails(t, i);
    render();
  }
  function rowOf(r) {
    let lo = 0, hi = view.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (view[mid] === r) return mid;
      if (view[mid] < r) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }
  function jumpTo(t, i) {
    if (i < 0) return;
    let r = rowOf(i);
    if (r < 0) {
      selCpu.value = ''; selActor.value = ''; selType.value = ''; onlyMatches.checked = false;
      applyFilters();
      r = rowOf(i);
    }
    scroller.scrollTop = Math.max(0, r * ROW - scroller.clientHeight / 2 + ROW / 2);
    select(t, i);
  }

  svg.addEventListener('click', (ev) => {
    const g = ev.target.closest('g.ev');
    if (g) select(sides[+g.dataset.side], +g.dataset.i);
  });
  document.body.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-jump]');
    if (a) { const t = sides[+(a.dataset.side || 0)]; jumpTo(t, indexOfSeq(t, +a.dataset.jump)); }
    if (ev.target.id === 'jump-divergence') jumpTo(A, Math.min(divergeRow, A.n - 1));
  });
  scroller.addEventListener('scroll', () => requestAnimationFrame(render));
  window.addEventListener('resize', () => { layout(); render(); });
  [selCpu, selActor, selType, onlyMatches].forEach((s) => s.addEventListener('change', applyFilters));
  $('#jump-violation').addEventListener('click', () => jumpTo(A, A.violation));
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    if (ev.shiftKey) nextMatch(-1);
    else if (search.dataset.ran === search.value) nextMatch(1);
    else { search.dataset.ran = search.value; runSearch(); }
  });
  $('#search-next').addEventListener('click', () => { if (search.dataset.ran !== search.value) { search.dataset.ran = search.value; runSearch(); } else nextMatch(1); });
  $('#search-prev').addEventListener('click', () => nextMatch(-1));
  scroller.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
    ev.preventDefault();
    const t = selected ? selected.t : A;
    const r = selected ? rowOf(selected.i) : -1;
    const next = Math.min(view.length - 1, Math.max(0, r + (ev.key === 'ArrowDown' ? 1 : -1)));
    if (next >= 0 && next < view.length && view[next] < t.n) {
      const y = next * ROW;
      if (y < scroller.scrollTop + ROW || y > scroller.scrollTop + scroller.clientHeight - 2 * ROW) scroller.scrollTop = y - scroller.clientHeight / 2;
      select(t, view[next]);
    }
  });

  applyFilters();
  status.textContent = '(opened in ' + Math.round(performance.now() - started) + ' ms)';
  document.body.dataset.ready = 'true';
})().catch((e) => {
  document.body.dataset.ready = 'error';
  const s = document.querySelector('#status');
  if (s) s.textContent = 'cannot open the trace: ' + e;
  throw e;
});

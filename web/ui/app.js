// The canvas: one lab of the host, drawn from vnld's `show` and kept in step
// with its event stream; every action is the request `vnl` would send.
'use strict';

const $ = (id) => document.getElementById(id);

const STATE_COLOUR = {
  ready: '#2f9e44', running: '#2f9e44', up: '#2f9e44',
  booting: '#f08c00', created: '#f08c00', 'no-shell': '#f08c00',
  lost: '#e03131', stopped: '#868e96', absent: '#e03131', halted: '#868e96', off: '#868e96',
};

const app = {
  lab: null,
  conn: null,
  cy: null,
  terms: null,
  show: null,             // the last `show` reply
  pendingPos: new Map(),  // name -> model position of an object being created
  lastStats: null,        // {t, ports: {NODE:N: bytes+packets}}
  refreshTimer: null,
  caps: new Map(),        // link id (NODE:N) or LAN name -> capture number of this tab (vnl-web's)
  capLink: new Map(),     // capture number -> link id or LAN name
  lastCapture: null,      // the last capture-end message (the tests read it)
};
window.vnl = app; // the tests look at the canvas through this

function status(text) { $('status').textContent = text; }

// An error next to an object (a canvas element, or a model position).
function showError(msg, where) {
  let x = 200, y = 80;
  const rect = $('cy').getBoundingClientRect();
  const el = typeof where === 'string' ? app.cy.getElementById(where) : null;
  if (el && el.nonempty()) {
    const p = el.isEdge() ? el.renderedMidpoint() : el.renderedPosition();
    x = p.x; y = p.y;
  } else if (where && where.x !== undefined) {
    x = where.x * app.cy.zoom() + app.cy.pan().x;
    y = where.y * app.cy.zoom() + app.cy.pan().y;
  }
  const pop = document.createElement('div');
  pop.className = 'err-pop';
  pop.dataset.for = typeof where === 'string' ? where : '';
  pop.textContent = msg;
  pop.style.left = `${rect.left + x + 20}px`;
  pop.style.top = `${rect.top + y - 10}px`;
  pop.onclick = () => pop.remove();
  $('errors').appendChild(pop);
  setTimeout(() => pop.remove(), 10000);
}

function req(cmd, args, where) {
  const r = app.conn.req(app.lab, { cmd, ...args });
  return r.catch((e) => { showError(e.message, where); throw e; });
}

// ---- drawing ----

function nodeState(n) {
  if (n.state) return n.state;            // vm (guest state), cnt (crun state)
  if (n.netns_exists !== undefined) return n.netns_exists ? 'running' : 'lost';
  return '';
}

// An impairment set in few words: "20ms ±5ms 1% 10mbit".
function impWords(set) {
  if (!set) return '';
  const w = [set.delay, set.jitter && `±${set.jitter}`, set.loss, set.rate,
    set.duplicate && `dup ${set.duplicate}`, set.reorder && `reorder ${set.reorder}`,
    set.corrupt && `corrupt ${set.corrupt}`];
  return w.filter(Boolean).join(' ');
}

// A link's impairment for its label: one set when both directions have the
// same, else each direction named.
function impLabel(imp) {
  if (!imp) return '';
  const o = impWords(imp.out), i = impWords(imp.in);
  if (o === i) return o;
  return [o && `out ${o}`, i && `in ${i}`].filter(Boolean).join(', ');
}

// A link's own words: its NIC and address, its impairment, a capture on it.
function linkBase(k, captured) {
  const parts = [k.ip ? `eth${k.nic} ${k.ip}` : `eth${k.nic}`];
  const imp = impLabel(k.impair);
  if (imp) parts.push(`[${imp}]`);
  if (captured) parts.push('● capture');
  return parts.join('\n');
}

function elementsOf(show) {
  const captured = new Set();
  for (const c of show.captures || []) for (const i of c.interfaces || []) captured.add(i.name);
  const els = [];
  for (const l of show.lans || []) {
    const label = app.caps.has(l.name) ? `${l.name} ● capture` : l.name;
    els.push({ group: 'nodes', data: { id: l.name, label, type: 'lan', mtu: l.mtu } });
  }
  for (const n of show.nodes || []) {
    const st = nodeState(n);
    els.push({ group: 'nodes', data: {
      id: n.name, label: st ? `${n.name}\n${st}` : n.name, type: 'node', kind: n.kind, state: st,
      nics: n.nics, colour: STATE_COLOUR[st] || '#495057' } });
  }
  for (const k of show.links || []) {
    const id = `${k.node}:${k.nic}`, base = linkBase(k, captured.has(id) || app.caps.has(id));
    els.push({ group: 'edges', data: {
      id, source: k.node, target: k.lan, nic: k.nic, impair: k.impair || null, base, label: base } });
  }
  return els;
}

// Bring the canvas to `show`: remove what went, add what came, update the rest.
function draw(show) {
  const cy = app.cy;
  const els = elementsOf(show);
  const want = new Set(els.map((e) => e.data.id));
  const layoutPos = show.layout || {};
  const dropped = [];  // created here by a drop: their place goes to vnld
  cy.batch(() => {
    cy.elements().forEach((e) => { if (!want.has(e.id())) e.remove(); });
    for (const e of els) {
      const old = cy.getElementById(e.data.id);
      if (old.nonempty()) {
        if (old.isEdge() && (old.data('source') !== e.data.source || old.data('target') !== e.data.target)) {
          old.remove();
        } else {
          old.data({ ...e.data, label: old.isEdge() ? old.data('label') : e.data.label });
          if (old.isEdge()) old.data('label', rateLabel(old));
          // Moved in another tab (or by a deploy): follow, unless held here.
          const lp = layoutPos[e.data.id], op = old.isNode() && old.position();
          if (lp && op && !old.grabbed() && (Math.abs(op.x - lp[0]) > 1 || Math.abs(op.y - lp[1]) > 1)) {
            old.position({ x: lp[0], y: lp[1] });
          }
          continue;
        }
      }
      if (e.group === 'nodes') {
        const p = app.pendingPos.get(e.data.id) || layoutPos[e.data.id];
        if (app.pendingPos.delete(e.data.id)) dropped.push(e.data.id);
        if (p) e.position = Array.isArray(p) ? { x: p[0], y: p[1] } : { x: p.x, y: p.y };
        else e.data.unplaced = true;
      }
      cy.add(e);
    }
  });
  const unplaced = cy.nodes('[?unplaced]');
  if (unplaced.nonempty()) {
    unplaced.forEach((n) => n.removeData('unplaced'));
    // Placed for this page only: looking at a lab does not change it.
    if (unplaced.length === cy.nodes().length) relayout(false);
    else unplaced.forEach((n) => n.position(freeSpot(n)));
  }
  saveLayout(cy.collection(dropped.map((id) => cy.getElementById(id))));
}

// A spot next to a new object's neighbours (or below everything).
function freeSpot(n) {
  const nb = n.neighborhood('node');
  const bb = (nb.nonempty() ? nb : app.cy.nodes().difference(n)).boundingBox();
  return { x: bb.x1 + Math.random() * Math.max(bb.w, 100), y: bb.y2 + 70 };
}

// Lay every object out again; `save`: keep the result in the lab (the button).
function relayout(save) {
  app.cy.layout({ name: 'cose', animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 90 }).run();
  app.cy.fit(undefined, 60);
  if (app.cy.zoom() > 1.2) { app.cy.zoom(1.2); app.cy.center(); }
  if (save) saveLayout(app.cy.nodes());
}

// Tell vnld where objects stand (kept in the topology file by `vnl save`).
function saveLayout(nodes) {
  if (!app.show || !app.show.layout || nodes.empty()) return; // a vnld without layouts
  const pos = {};
  nodes.forEach((n) => { const p = n.position(); pos[n.id()] = [Math.round(p.x), Math.round(p.y)]; });
  app.conn.req(app.lab, { cmd: 'layout', positions: pos }).catch(() => {});
}

async function refresh() {
  if (!app.lab) return;
  try {
    const show = await app.conn.req(app.lab, { cmd: 'show' });
    app.show = show;
    draw(show);
    status(`lab ${app.lab}: ${show.nodes.length} nodes, ${show.lans.length} LANs, ${show.links.length} links`);
  } catch (e) {
    status(`lab ${app.lab}: ${e.message}`);
    app.cy.elements().remove();
  }
}

function refreshSoon() {
  clearTimeout(app.refreshTimer);
  app.refreshTimer = setTimeout(refresh, 100);
}

// ---- live traffic ----

function fmtRate(v, unit) {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)} G${unit}`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M${unit}`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k${unit}`;
  return `${Math.round(v)} ${unit}`;
}

function rateLabel(edge) {
  const pps = edge.data('pps') || 0, bps = edge.data('bps') || 0;
  return pps >= 1 ? `${edge.data('base')}\n${fmtRate(pps, 'pps')} ${fmtRate(bps, 'bit/s')}` : edge.data('base');
}

function loadColour(bps) {
  if (bps < 1e3) return '#adb5bd';
  if (bps < 1e6) return '#2f9e44';
  if (bps < 1e8) return '#f08c00';
  return '#e03131';
}

async function pollStats() {
  if (!app.lab || !app.show) return;
  let st;
  try { st = await app.conn.req(app.lab, { cmd: 'stats' }); } catch { return; }
  const now = performance.now(), ports = {};
  for (const [name, c] of Object.entries(st.ports || {})) {
    ports[name] = { p: (c.rx_packets || 0) + (c.tx_packets || 0), b: (c.rx_bytes || 0) + (c.tx_bytes || 0) };
  }
  const prev = app.lastStats;
  app.lastStats = { t: now, ports };
  if (!prev) return;
  const dt = (now - prev.t) / 1000;
  app.cy.edges().forEach((e) => {
    const a = ports[e.id()], b = prev.ports[e.id()];
    const pps = a && b ? Math.max(0, a.p - b.p) / dt : 0, bps = a && b ? (Math.max(0, a.b - b.b) * 8) / dt : 0;
    e.data({ pps, bps, load: loadColour(bps), width: 2 + Math.min(6, Math.log10(1 + bps) / 1.5) });
    e.data('label', rateLabel(e));
  });
}

// ---- actions ----

function uniqueName(prefix) {
  for (let i = 1; ; i++) if (app.cy.getElementById(`${prefix}${i}`).empty()) return `${prefix}${i}`;
}

// A small form at a page position; resolves with its values or null.
function form(title, fields, pageX, pageY, okText = 'create') {
  const f = $('form');
  f.innerHTML = '';
  const h = document.createElement('strong');
  h.textContent = title;
  f.appendChild(h);
  for (const fl of fields) {
    const lab = document.createElement('label');
    lab.textContent = `${fl.label} `;
    const inp = document.createElement(fl.options ? 'select' : 'input');
    inp.name = fl.name;
    for (const o of fl.options || []) inp.add(new Option(o, o));
    inp.value = fl.value ?? '';
    if (fl.placeholder) inp.placeholder = fl.placeholder;
    lab.appendChild(inp);
    f.appendChild(lab);
  }
  const ok = document.createElement('button');
  ok.type = 'submit';
  ok.textContent = okText;
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.textContent = 'cancel';
  f.append(ok, ' ', cancel);
  f.style.left = `${Math.min(pageX, window.innerWidth - 260)}px`;
  f.style.top = `${Math.max(0, Math.min(pageY, window.innerHeight - 80 - 30 * fields.length))}px`;
  f.hidden = false;
  f.querySelector('input')?.select?.();
  return new Promise((resolve) => {
    const done = (v) => { f.hidden = true; f.onsubmit = null; resolve(v); };
    cancel.onclick = () => done(null);
    f.onkeydown = (e) => { if (e.key === 'Escape') done(null); };
    f.onsubmit = (e) => {
      e.preventDefault();
      const v = {};
      for (const fl of fields) v[fl.name] = f.elements[fl.name].value.trim();
      done(v);
    };
  });
}

async function createAt(kind, pos, pageX, pageY) {
  if (!app.lab) return showError('pick or start a lab first', pos);
  if (kind === 'lan') {
    const v = await form('new LAN', [{ name: 'name', label: 'name', value: uniqueName('lan') },
      { name: 'mtu', label: 'mtu', value: '1500' }], pageX, pageY);
    if (!v) return;
    app.pendingPos.set(v.name, pos);
    const args = { name: v.name };
    if (v.mtu) args.mtu = Number(v.mtu);
    await req('lan-add', args, pos).then(refreshSoon, () => app.pendingPos.delete(v.name));
    return;
  }
  const fields = [{ name: 'name', label: 'name', value: uniqueName(kind) },
    { name: 'nics', label: 'NICs', value: '1' }];
  if (kind !== 'ns') {
    fields.push({ name: 'image', label: 'image', placeholder: kind === 'vm' ? 'tiny' : 'busybox' });
    fields.push({ name: 'mem', label: 'memory (MiB)', placeholder: 'default' });
  }
  const v = await form(`new ${kind} node`, fields, pageX, pageY);
  if (!v) return;
  const args = { name: v.name, kind, nics: Number(v.nics || 1) };
  if (v.image) args.image = v.image;
  if (v.mem) args.mem = Number(v.mem);
  app.pendingPos.set(v.name, pos);
  status(`creating ${v.name} ...`);
  await req('node-add', args, pos).then(refreshSoon, (e) => {
    app.pendingPos.delete(v.name);
    status(`${v.name}: ${e.message}`);
  });
}

async function linkTo(node, lan, pageX, pageY) {
  const used = new Set(app.cy.edges(`[source = "${node.id()}"]`).map((e) => e.data('nic')));
  let nic = 0;
  while (used.has(nic)) nic++;
  const v = await form(`link ${node.id()} to ${lan.id()}`, [{ name: 'nic', label: 'NIC', value: String(nic) },
    { name: 'ip', label: 'address', placeholder: 'optional A.B.C.D/N' }], pageX, pageY);
  if (!v) return;
  const args = { node: node.id(), nic: Number(v.nic), lan: lan.id() };
  if (v.ip) args.ip = v.ip;
  await req('link', args, node.id()).then(refreshSoon, () => {});
}

function remove(el) {
  if (el.isEdge()) req('unlink', { node: el.data('source'), nic: el.data('nic') }, el.id()).then(refreshSoon, () => {});
  else req('del', { name: el.id() }, el.id()).then(refreshSoon, () => {});
}

function openTerm(node) {
  app.terms.open(app.lab, node.id(), node.data('kind'));
}

// ---- impairments and captures of a link ----

const IMP_KEYS = ['delay', 'jitter', 'loss', 'rate', 'duplicate', 'reorder', 'corrupt'];
const IMP_HINT = { delay: '20ms', jitter: '5ms', loss: '1%', rate: '10mbit', duplicate: '1%',
  reorder: '25% (needs a delay)', corrupt: '0.1%' };

// vnld's `impair` (what `vnl impair NODE:N ...` sends); its error next to the link.
function impair(el, args) {
  return req('impair', { node: el.data('source'), nic: el.data('nic'), ...args }, el.id())
    .then(refreshSoon, () => {});
}

// The form: a direction and netem's words; every field empty clears.
async function impairForm(el, pageX, pageY) {
  const cur = el.data('impair') || {};
  const now = cur.out || cur.in || {};
  const fields = [{ name: 'dir', label: 'direction', options: ['both', 'out', 'in'],
    value: cur.out && !cur.in ? 'out' : cur.in && !cur.out ? 'in' : 'both' }];
  for (const k of IMP_KEYS) fields.push({ name: k, label: k, value: now[k] || '', placeholder: IMP_HINT[k] });
  const v = await form(`impair ${el.id()} (all empty: clear)`, fields, pageX, pageY, 'apply');
  if (!v) return;
  const args = { dir: v.dir };
  for (const k of IMP_KEYS) if (v[k]) args[k] = v[k];
  if (Object.keys(args).length === 1) args.clear = true;
  await impair(el, args);
}

// vnl-web runs `vnl capture NODE:N|LAN -w FILE [-f FILTER]` for this tab
// (docs/plans/web.md); a LAN: every port of it. The form asks the filter.
async function startCapture(el, pageX, pageY) {
  const what = el.isEdge() ? el.id() : `LAN ${el.id()} (every port)`;
  const v = await form(`capture ${what}`, [{ name: 'filter', label: 'filter',
    placeholder: 'optional: icmp, tcp port 80' }], pageX, pageY, 'start');
  if (!v) return;
  const msg = { t: 'capture', lab: app.lab, target: el.id() };
  if (v.filter) msg.filter = v.filter;
  try {
    const r = await app.conn.call(msg);
    app.caps.set(el.id(), r.cap);
    app.capLink.set(r.cap, el.id());
    status(`capturing on ${el.id()}`);
  } catch (e) { showError(e.message, el.id()); }
  refreshSoon();
}

function stopCapture(el) {
  const cap = app.caps.get(el.id());
  app.conn.call({ t: 'capture-stop', cap }).catch((e) => showError(e.message, el.id()));
}

// A capture ended (stopped, or on its own): its file comes as a download.
function captureEnded(m) {
  const link = app.capLink.get(m.cap);
  app.capLink.delete(m.cap);
  if (link) app.caps.delete(link);
  app.lastCapture = m;
  if (m.ok) {
    const a = document.createElement('a');
    a.href = m.url;
    a.download = m.name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    status(`capture on ${link}: ${m.name}, ${m.size} bytes${m.capped ? ' (stopped at the size limit)' : ''}`);
  } else {
    status(`capture on ${link}: failed`);
    showError(`capture: ${m.error}`, link);
  }
  refreshSoon();
}

function menu(el, pageX, pageY) {
  const m = $('menu');
  m.innerHTML = '';
  const item = (text, fn, disabled) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.disabled = !!disabled;
    b.onclick = () => { m.hidden = true; fn(); };
    m.appendChild(b);
  };
  if (el.isNode() && el.data('type') === 'node') item('terminal', () => openTerm(el));
  if (el.isEdge()) {
    item('impair: delay, loss, rate ...', () => impairForm(el, pageX, pageY));
    if (el.data('impair')) item('clear impairment', () => impair(el, { clear: true }));
  }
  if (el.isEdge() || el.data('type') === 'lan') {
    if (app.caps.has(el.id())) item('stop capture and download', () => stopCapture(el));
    else item(el.isEdge() ? 'start capture ...' : 'start capture (every port) ...', () => startCapture(el, pageX, pageY));
  }
  item(el.isEdge() ? 'unlink' : 'delete', () => remove(el));
  m.style.left = `${pageX}px`;
  m.style.top = `${pageY}px`;
  m.hidden = false;
}

// ---- the canvas ----

function makeCanvas() {
  const cy = cytoscape({
    container: $('cy'),
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'bottom',
        'text-margin-y': 4, 'font-size': 11, 'background-color': '#fff', 'border-width': 3,
        'border-color': 'data(colour)', width: 44, height: 44 } },
      { selector: 'node[kind = "ns"]', style: { shape: 'ellipse', 'background-color': '#e9ecef' } },
      { selector: 'node[kind = "cnt"]', style: { shape: 'round-rectangle', 'background-color': '#d0ebff' } },
      { selector: 'node[kind = "vm"]', style: { shape: 'hexagon', 'background-color': '#e5dbff', width: 52 } },
      { selector: 'node[type = "lan"]', style: { shape: 'round-rectangle', width: 150, height: 22,
        'background-color': '#ffe8cc', 'border-color': '#e8590c', 'border-width': 2, 'text-valign': 'center',
        'text-margin-y': 0, 'font-weight': 'bold' } },
      { selector: 'edge', style: { width: 'data(width)', 'line-color': 'data(load)', label: 'data(label)',
        'text-wrap': 'wrap', 'font-size': 10, 'text-background-color': '#fff', 'text-background-opacity': 0.8,
        'curve-style': 'straight' } },
      { selector: 'edge[!load]', style: { 'line-color': '#adb5bd', width: 2 } },
      { selector: ':selected', style: { 'overlay-color': '#1c7ed6', 'overlay-opacity': 0.2 } },
      { selector: '.drop-target', style: { 'border-width': 4, 'border-color': '#1c7ed6' } },
    ],
  });
  app.cy = cy;
  new ResizeObserver(() => cy.resize()).observe($('cy'));

  // Drag a node onto a LAN: link it (the node goes back to where it was).
  let grabPos = null;
  cy.on('grab', 'node[type = "node"]', (e) => { grabPos = { ...e.target.position() }; });
  const lanUnder = (n) => {
    const bb = n.boundingBox({ includeLabels: false });
    return cy.nodes('[type = "lan"]').filter((l) => {
      const lb = l.boundingBox({ includeLabels: false });
      const p = n.position();
      return p.x > lb.x1 && p.x < lb.x2 && bb.y2 > lb.y1 && bb.y1 < lb.y2;
    }).first();
  };
  cy.on('drag', 'node[type = "node"]', (e) => {
    cy.nodes('.drop-target').removeClass('drop-target');
    const lan = lanUnder(e.target);
    if (lan.nonempty()) lan.addClass('drop-target');
  });
  cy.on('free', 'node', (e) => {
    const n = e.target;
    cy.nodes('.drop-target').removeClass('drop-target');
    const lan = n.data('type') === 'node' ? lanUnder(n) : cy.collection();
    if (lan.nonempty() && grabPos) {
      n.position(grabPos);
      const rect = $('cy').getBoundingClientRect(), rp = lan.renderedPosition();
      linkTo(n, lan, rect.left + rp.x + 20, rect.top + rp.y + 20);
    } else {
      saveLayout(n);
    }
    grabPos = null;
  });
  cy.on('dbltap', 'node[type = "node"]', (e) => openTerm(e.target));
  cy.on('cxttap', 'node, edge', (e) => menu(e.target, e.originalEvent.pageX, e.originalEvent.pageY));
  cy.on('tap', () => { $('menu').hidden = true; });
}

function setupPalette() {
  for (const it of document.querySelectorAll('#palette .item')) {
    it.addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', it.dataset.kind));
  }
  const c = $('cy');
  c.addEventListener('dragover', (e) => e.preventDefault());
  c.addEventListener('drop', (e) => {
    e.preventDefault();
    const kind = e.dataTransfer.getData('text/plain');
    if (!['ns', 'cnt', 'vm', 'lan'].includes(kind)) return;
    const rect = c.getBoundingClientRect(), pan = app.cy.pan(), z = app.cy.zoom();
    const pos = { x: (e.clientX - rect.left - pan.x) / z, y: (e.clientY - rect.top - pan.y) / z };
    createAt(kind, pos, e.pageX, e.pageY);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Delete' || e.target.closest('input, .term, form')) return;
    app.cy.$(':selected').forEach(remove);
  });
}

// ---- labs ----

async function loadLabs(select) {
  const labs = await app.conn.labs();
  const sel = $('lab');
  const want = select || app.lab || decodeURIComponent(location.hash.slice(1)) || labs[0];
  sel.innerHTML = '';
  for (const l of new Set([...labs, ...(want ? [want] : [])])) {
    const o = document.createElement('option');
    o.value = o.textContent = l;
    sel.appendChild(o);
  }
  if (want) { sel.value = want; pickLab(want); } else status('no lab runs on this host: start one');
}

function pickLab(lab) {
  if (lab === app.lab) return refreshSoon();
  app.lab = lab;
  app.lastStats = null;
  history.replaceState(null, '', `${location.search}#${encodeURIComponent(lab)}`);
  app.cy.elements().remove();
  app.conn.watch(lab);
  refreshSoon();
}

function onEvent(ev) {
  if (ev.event === 'closed') {
    status(`lab ${app.lab}: vnld closed the event stream (lab stopped?)`);
    setTimeout(() => app.lab && app.conn.watch(app.lab), 3000);
  }
  refreshSoon();
}

function setupHeader() {
  $('lab').onchange = (e) => pickLab(e.target.value);
  $('new-lab-go').onclick = async () => {
    const name = $('new-lab').value.trim();
    if (!name) return;
    status(`starting lab ${name} ...`);
    try {
      await app.conn.start(name);
      if (app.lab === name) app.conn.watch(name); // it was picked before it ran
      await loadLabs(name);
    } catch (e) { status(`lab ${name}: ${e.message}`); }
  };
  $('deploy-go').onclick = async () => {
    const file = $('deploy-file').value.trim();
    if (!file || !app.lab) return;
    status(`deploying ${file} ...`);
    try {
      const r = await app.conn.req(app.lab, { cmd: 'deploy', file });
      status(`deployed: ${r.created.length} created`);
    } catch (e) { status(`deploy: ${e.message}`); showError(e.message); }
    refreshSoon();
  };
  $('save-go').onclick = async () => {
    try {
      const r = await app.conn.req(app.lab, { cmd: 'save' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([r.topology], { type: 'text/yaml' }));
      a.download = `${app.lab}.yaml`;
      a.click();
    } catch (e) { status(`save: ${e.message}`); }
  };
  $('layout-go').onclick = () => relayout(true);
}

window.addEventListener('DOMContentLoaded', () => {
  makeCanvas();
  app.conn = new Conn(onEvent, (id, b) => app.terms.data(id, b), (id, s) => app.terms.exited(id, s),
    (s) => { if (s !== 'connected') status(s); else loadLabs(); });
  app.conn.onCapEnd = captureEnded;
  app.terms = new Terms(app.conn);
  setupPalette();
  setupHeader();
  setInterval(pollStats, 2000);
  setInterval(() => app.lab || loadLabs(), 5000);
});

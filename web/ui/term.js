// Terminals in the page: one xterm per node session, on a pty that vnl-web
// gives a `vnl exec -t NODE -- sh` (ns, cnt) or `vnl shell NODE` (vm).
'use strict';

class Terms {
  constructor(conn) {
    this.conn = conn;
    this.byId = new Map();     // id -> {term, fit, el, tab, node}
    this.nextId = 1;
    this.panel = document.getElementById('terms');
    this.tabs = document.getElementById('term-tabs');
    this.body = document.getElementById('term-body');
    this.decoder = new TextDecoder();
    new ResizeObserver(() => this.fitActive()).observe(this.body);
  }

  freeId() {
    for (let i = 0; i < 255; i++) {
      const id = ((this.nextId + i - 1) % 255) + 1;
      if (!this.byId.has(id)) { this.nextId = id + 1; return id; }
    }
    return 0;
  }

  open(lab, node, kind) {
    const id = this.freeId();
    if (!id) return;
    this.panel.hidden = false;
    const el = document.createElement('div');
    el.className = 'term';
    el.dataset.node = node;
    this.body.appendChild(el);
    const term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000 });
    const fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(el);
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.textContent = `${node} ×`;
    tab.title = 'click: show; click again: close';
    tab.onclick = () => (tab.classList.contains('active') ? this.close(id) : this.show(id));
    this.tabs.appendChild(tab);
    const t = { term, fit, el, tab, node };
    this.byId.set(id, t);
    this.show(id);
    term.onData((data) => this.conn.send({ t: 'in', term: id, data }));
    term.onResize(({ cols, rows }) => this.conn.send({ t: 'resize', term: id, cols, rows }));
    this.conn.call({ t: 'term', term: id, lab, node, kind, cols: term.cols, rows: term.rows })
      .catch((e) => term.write(`\r\n[${e.message}]\r\n`));
    term.focus();
    return id;
  }

  show(id) {
    for (const [i, t] of this.byId) {
      t.el.style.visibility = i === id ? 'visible' : 'hidden';
      t.tab.classList.toggle('active', i === id);
    }
    this.active = id;
    this.fitActive();
  }

  fitActive() {
    const t = this.byId.get(this.active);
    if (t && !this.panel.hidden) t.fit.fit();
  }

  data(id, bytes) {
    const t = this.byId.get(id);
    if (t) t.term.write(bytes);
  }

  exited(id, status) {
    const t = this.byId.get(id);
    if (t) t.term.write(`\r\n[session ended, status ${status}]\r\n`);
  }

  close(id) {
    const t = this.byId.get(id);
    if (!t) return;
    this.conn.send({ t: 'term-close', term: id });
    t.term.dispose();
    t.el.remove();
    t.tab.remove();
    this.byId.delete(id);
    const next = this.byId.keys().next();
    if (next.done) this.panel.hidden = true;
    else this.show(next.value);
  }

  // The visible text of a node's newest terminal (tests read it).
  text(node) {
    let found = null;
    for (const t of this.byId.values()) if (t.node === node) found = t;
    if (!found) return '';
    const b = found.term.buffer.active, lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n');
  }
}

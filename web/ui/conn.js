// The tab's WebSocket to vnl-web (docs/plans/web.md, "WebSocket messages").
// Conn.req(lab, {cmd,...}) resolves with vnld's reply object when ok, and
// rejects with an Error carrying vnld's one-line message when not.
'use strict';

class Conn {
  constructor(onEvent, onTermData, onTermExit, onState) {
    this.nextId = 1;
    this.pending = new Map();
    this.onEvent = onEvent;
    this.onTermData = onTermData;
    this.onTermExit = onTermExit;
    this.onState = onState;
    this.labsWaiters = [];
    this.watching = null;
    this.open();
  }

  open() {
    const token = new URLSearchParams(location.search).get('token');
    const url = `ws://${location.host}/ws${token ? '?token=' + encodeURIComponent(token) : ''}`;
    this.ready = new Promise((resolve) => {
      this.ws = new WebSocket(url, 'vnl');
      this.ws.binaryType = 'arraybuffer';
      this.ws.onopen = () => { this.onState('connected'); if (this.watching) this.watch(this.watching); resolve(); };
      this.ws.onclose = () => {
        this.onState(token ? 'disconnected from vnl-web (or its token changed: open the URL vnl web printed)'
          : 'no token in this address: open the URL vnl web printed (…/?token=…)');
        for (const [, p] of this.pending) p.reject(new Error('connection to vnl-web lost'));
        this.pending.clear();
        setTimeout(() => this.open(), 2000);
      };
      this.ws.onmessage = (m) => this.dispatch(m.data);
    });
  }

  send(msg) {
    return this.ready.then(() => this.ws.send(JSON.stringify(msg)));
  }

  dispatch(data) {
    if (data instanceof ArrayBuffer) {
      const b = new Uint8Array(data);
      this.onTermData(b[0], b.subarray(1));
      return;
    }
    const m = JSON.parse(data);
    if (m.t === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.reply && m.reply.ok) p.resolve(m.reply);
      else p.reject(new Error((m.reply && m.reply.error) || 'refused'));
    } else if (m.t === 'event') {
      if (m.lab === this.watching) this.onEvent(m.event);
    } else if (m.t === 'labs') {
      for (const w of this.labsWaiters) w(m.labs);
      this.labsWaiters = [];
    } else if (m.t === 'capture-end') {
      if (this.onCapEnd) this.onCapEnd(m);
    } else if (m.t === 'term-exit') {
      this.onTermExit(m.term, m.status);
    }
  }

  call(msg) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...msg, id }).catch(reject);
    });
  }

  req(lab, req) { return this.call({ t: 'req', lab, req }); }
  start(lab) { return this.call({ t: 'start', lab }); }
  labs() { return new Promise((resolve) => { this.labsWaiters.push(resolve); this.send({ t: 'labs' }); }); }
  watch(lab) { this.watching = lab; return this.send({ t: 'watch', lab }); }
}

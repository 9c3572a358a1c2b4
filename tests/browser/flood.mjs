// SPDX-License-Identifier: GPL-2.0-only
// A tab that asks and never reads (tests/integration/108-web.sh): a raw
// WebSocket to vnl-web with the token, then requests, terminals and starts
// by the thousand without reading a byte of what comes back. Prints
// "flooding" once all is written or the socket stopped taking more (vnl-web
// stopped reading), then holds the socket open for HOLD seconds.
// Usage: node flood.mjs PORT TOKEN LAB NODE HOLD
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

const [port, token, lab, node, hold] = process.argv.slice(2);

// One masked text frame (clients mask, RFC 6455 5.3).
function frame(text) {
  const data = Buffer.from(text), mask = randomBytes(4), n = data.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]);
  for (let i = 0; i < n; i++) data[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, data]);
}

const sock = connect(Number(port), '127.0.0.1');
sock.on('error', (e) => { console.log(`# flood socket: ${e.message}`); });
sock.write(`GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
  `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: vnl\r\n\r\n`);
sock.once('data', (d) => {
  if (!/^HTTP\/1\.1 101/.test(d.toString())) {
    console.log(`refused: ${d.toString().split('\r\n')[0]}`);
    process.exit(1);
  }
  sock.pause(); // from here on, nothing is read
  let id = 1, blocked = false;
  for (let k = 0; k < 40; k++)
    sock.write(frame(JSON.stringify({ t: 'term', id: id++, term: k, lab, node, kind: 'ns', rows: 24, cols: 80 })));
  for (let k = 0; k < 10; k++) sock.write(frame(JSON.stringify({ t: 'start', id: id++, lab })));
  for (let k = 0; k < 20000 && !blocked; k++)
    blocked = !sock.write(frame(JSON.stringify({ t: 'req', id: id++, lab, req: { cmd: 'show' } })));
  // Keep asking while vnl-web reads: show replies pile up unread.
  const more = setInterval(() => {
    for (let k = 0; k < 200 && sock.writableLength < (8 << 20); k++)
      sock.write(frame(JSON.stringify({ t: 'req', id: id++, lab, req: { cmd: 'show' } })));
  }, 50);
  console.log(`flooding (${id - 1} messages written)`);
  setTimeout(() => { clearInterval(more); sock.destroy(); process.exit(0); }, Number(hold) * 1000);
});

// SPDX-License-Identifier: GPL-2.0-only
// A tab that asks and never reads (tests/integration/108-web.sh): a raw
// WebSocket to vnl-web with the token, then requests, terminals and starts
// by the thousand without reading a byte of what comes back. Prints
// "flooding" once all is written or the socket stopped taking more (vnl-web
// stopped reading), then holds the socket open for HOLD seconds.
// Usage: node flood.mjs PORT TOKEN LAB NODE HOLD
import { frame, upgrade } from './rawws.mjs';

const [port, token, lab, node, hold] = process.argv.slice(2);

const sock = await upgrade(port, token);
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

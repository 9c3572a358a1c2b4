// SPDX-License-Identifier: GPL-2.0-only
// A tab that starts one capture and holds it (tests/integration/108-web.sh:
// vnl-web killed or hung up while a capture runs). Prints "capturing N" once
// vnl-web replied with its capture number, or "refused: ..." (status 1),
// then reads and drops what comes for HOLD seconds.
// Usage: node cap.mjs PORT TOKEN LAB TARGET HOLD
import { frame, upgrade } from './rawws.mjs';

const [port, token, lab, target, hold] = process.argv.slice(2);

const sock = await upgrade(port, token);
let seen = '';
sock.on('data', (d) => {
  if (seen === null) return;
  seen += d.toString('latin1');
  const ok = /"id":1,"reply":\{"ok":true,"cap":(\d+)/.exec(seen), bad = /"id":1,"reply":\{"ok":false,"error":"([^"]*)"/.exec(seen);
  if (ok) console.log(`capturing ${ok[1]}`);
  if (bad) { console.log(`refused: ${bad[1]}`); process.exit(1); }
  if (ok) seen = null;
});
sock.on('close', () => { console.log('# vnl-web closed the socket'); process.exit(0); });
sock.write(frame(JSON.stringify({ t: 'capture', id: 1, lab, target })));
setTimeout(() => { sock.destroy(); process.exit(0); }, Number(hold) * 1000);

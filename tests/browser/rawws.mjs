// SPDX-License-Identifier: GPL-2.0-only
// A raw WebSocket client for vnl-web's tests (flood.mjs, cap.mjs): the
// upgrade with the token and the page's Origin, and masked text frames.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

// One masked text frame (clients mask, RFC 6455 5.3).
export function frame(text) {
  const data = Buffer.from(text), mask = randomBytes(4), n = data.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]);
  for (let i = 0; i < n; i++) data[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, data]);
}

// Connect to vnl-web on 127.0.0.1:port and upgrade with the token: resolves
// with the socket once vnl-web answered 101; exits the process (status 1,
// "refused: ...") when it did not.
export function upgrade(port, token) {
  const sock = connect(Number(port), '127.0.0.1');
  sock.on('error', (e) => { console.log(`# socket: ${e.message}`); });
  sock.write(`GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
    `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: vnl\r\n\r\n`);
  return new Promise((resolve) => {
    sock.once('data', (d) => {
      if (!/^HTTP\/1\.1 101/.test(d.toString())) {
        console.log(`refused: ${d.toString().split('\r\n')[0]}`);
        process.exit(1);
      }
      resolve(sock);
    });
  });
}

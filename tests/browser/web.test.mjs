// SPDX-License-Identifier: GPL-2.0-only
// The browser steps of tests/integration/108-web.sh (read its header): a
// real chromium, headless, on the real vnl-web. Prints TAP lines numbered
// from $TAP_FIRST and writes how many to $TAP_COUNT; the shell script owns
// the plan, the lab and the cleanup.
// Environment: URL (vnl-web on 127.0.0.1), OFFHOST (the same on the host's
// non-loopback address, or empty), TOKEN, LAB, VNL (the vnl binary), TOPO
// (a topology file: a, b on blue), SHOTS (screenshot folder), CHROMIUM,
// WEBPID (vnl-web's pid: its capture folder is /tmp/vnl-web-PID.*),
// DEMO_LAB (a lab that does not run yet: the demo is built in it with the
// mouse; empty: that step is left out), DEMO_TOPO (examples/two-lans.yaml).
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const env = process.env;
let n = Number(env.TAP_FIRST || 1) - 1, count = 0, shot = 0;

function tap(pass, desc, detail) {
  n++; count++;
  console.log(`${pass ? 'ok' : 'not ok'} ${n} - ${desc}`);
  if (!pass && detail) for (const l of String(detail).split('\n')) console.log(`# ${l}`);
  writeFileSync(env.TAP_COUNT, String(count));
}

// check(desc, fn): ok when fn resolves true or an object (a waitFor's
// handle); a string is a failure and its detail (checks return what they
// saw), anything else a failure.
async function check(desc, fn) {
  try {
    const r = await fn();
    const pass = r === true || (typeof r === 'object' && r !== null);
    tap(pass, desc, typeof r === 'string' ? r : `the check gave ${JSON.stringify(r)}`);
  } catch (e) {
    tap(false, desc, e.message.slice(0, 1500));
  }
}

function vnl(...args) {
  return execFileSync(env.VNL, ['--lab', env.LAB, ...args], { encoding: 'utf8', timeout: 60000 });
}
const showJ = () => JSON.parse(vnl('show', '-j'));

async function snap(page, name) {
  shot++;
  await page.screenshot({ path: `${env.SHOTS}/${String(shot).padStart(2, '0')}-${name}.png` });
}

// Until the node's newest terminal shows a shell prompt.
const prompt = (page, node) => page.waitForFunction((n) => /[#$] $/m.test(window.vnl.terms.text(n)), node,
  { timeout: 30000, polling: 100 });
const waitCy = (page, fn, arg, timeout = 15000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });
const hasEl = (page, id) => waitCy(page, (i) => window.vnl.cy && window.vnl.cy.getElementById(i).nonempty(), id);
const noEl = (page, id) => waitCy(page, (i) => window.vnl.cy.getElementById(i).empty(), id);

// Page coordinates of a canvas element's centre.
async function pagePos(page, id) {
  return page.evaluate((i) => {
    const r = document.getElementById('cy').getBoundingClientRect();
    const p = window.vnl.cy.getElementById(i).renderedPosition();
    return { x: r.left + p.x, y: r.top + p.y };
  }, id);
}

// Double-click node to open its terminal, ping addr count times there: the check desc.
async function termPing(page, node, addr, count, desc) {
  const p = await pagePos(page, node);
  await page.mouse.dblclick(p.x, p.y);
  await prompt(page, node);
  await page.keyboard.type(`ping -c ${count} -i 0.3 ${addr}\n`);
  await check(desc, async () => {
    await page.waitForFunction(([n, c]) => new RegExp(`${c} received`).test(window.vnl.terms.text(n)), [node, count],
      { timeout: 15000 });
    return true;
  });
}

// Drag node `from` onto LAN `to` with the mouse (the link form then opens).
async function dragNodeTo(page, from, to) {
  const a = await pagePos(page, from), b = await pagePos(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}

// Drag a palette item onto the canvas at (x, y) of the canvas box, fill the form.
async function paletteDrop(page, kind, x, y, values) {
  await page.locator(`#palette .item[data-kind="${kind}"]`).dragTo(page.locator('#cy'), { targetPosition: { x, y } });
  await page.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
  for (const [k, v] of Object.entries(values)) await page.fill(`#form input[name="${k}"]`, v);
  await page.click('#form button[type="submit"]');
}

// What `vnl show -j` says of a lab's objects: LANs, nodes, links and addresses.
const objects = (s) => JSON.stringify({
  lans: s.lans.map((l) => [l.name, l.mtu]).sort(),
  nodes: s.nodes.map((x) => [x.name, x.kind, x.nics]).sort(),
  links: s.links.map((k) => [k.node, k.nic, k.lan, k.ip || null]).sort(),
});

// Section 8: lab DEMO_LAB, started from the page; LANs and nodes dragged from
// the palette, each node dragged onto its LANs, a terminal on a; then the
// lab's objects against those `vnl deploy DEMO_TOPO` makes in it.
async function demo() {
  const t0 = Date.now();
  const dvnl = (...args) => execFileSync(env.VNL, ['--lab', env.DEMO_LAB, ...args], { encoding: 'utf8', timeout: 60000 });
  const dp = await ctx.newPage();
  dp.on('pageerror', (e) => errors.push(e.message));
  await dp.goto(`${withToken(env.URL)}#${env.DEMO_LAB}`);
  await dp.waitForFunction(() => window.vnl && window.vnl.conn && window.vnl.conn.ws.readyState === 1, null,
    { timeout: 15000 });
  await dp.fill('#new-lab', env.DEMO_LAB);
  await dp.click('#new-lab-go');
  await check('demo: "start" in the page makes an empty lab', async () => {
    await dp.waitForFunction((l) => window.vnl.lab === l && document.getElementById('status').textContent
      .startsWith(`lab ${l}: 0 nodes`), env.DEMO_LAB, { timeout: 60000 });
    const s = JSON.parse(dvnl('show', '-j'));
    return (s.nodes.length === 0 && s.lans.length === 0) || objects(s);
  });
  await snap(dp, 'demo-empty');
  const box = await dp.locator('#cy').boundingBox();
  // Where each object is dropped, as fractions of the canvas; r between the LANs.
  const lans = [['blue', 0.3, 0.2], ['red', 0.7, 0.2]];
  const nodes = [['a', 0.12, 0.62, 1], ['b', 0.34, 0.62, 1], ['r', 0.5, 0.45, 2], ['c', 0.66, 0.62, 1],
    ['d', 0.88, 0.62, 1]];
  for (const [name, fx, fy] of lans) {
    await paletteDrop(dp, 'lan', box.width * fx, box.height * fy, { name });
    await hasEl(dp, name);
  }
  for (const [name, fx, fy, nics] of nodes) {
    await paletteDrop(dp, 'ns', box.width * fx, box.height * fy, { name, nics: String(nics) });
    await hasEl(dp, name);
  }
  await check('demo: 2 LANs and 5 ns nodes (r with 2 NICs) dragged from the palette', () => {
    const s = JSON.parse(dvnl('show', '-j'));
    return (s.lans.length === 2 && s.nodes.length === 5 && s.nodes.find((x) => x.name === 'r').nics === 2) || objects(s);
  });
  await snap(dp, 'demo-nodes');
  const links = [['a', 'blue', '10.0.1.1/24'], ['b', 'blue', '10.0.1.2/24'], ['c', 'red', '10.0.2.1/24'],
    ['d', 'red', '10.0.2.2/24'], ['r', 'blue', '10.0.1.254/24'], ['r', 'red', '10.0.2.254/24']];
  for (const [node, lan, ip] of links) {
    await dragNodeTo(dp, node, lan);
    await dp.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
    await dp.fill('#form input[name="ip"]', ip);
    await dp.click('#form button[type="submit"]');
    await waitCy(dp, ([n, l]) => window.vnl.cy.edges().some((e) => e.data('source') === n && e.data('target') === l),
      [node, lan]);
  }
  await check('demo: 6 links made by dragging nodes onto LANs, each with its address (r: eth0 blue, eth1 red)', () => {
    const s = JSON.parse(dvnl('show', '-j'));
    const r1 = s.links.find((k) => k.node === 'r' && k.nic === 1);
    return (s.links.length === 6 && r1 && r1.lan === 'red' && r1.ip === '10.0.2.254/24') || objects(s);
  });
  await snap(dp, 'demo-links');
  await termPing(dp, 'a', '10.0.1.2', 2, 'demo: a terminal on a (double-click) pings b on blue');
  await snap(dp, 'demo-ping');
  await dp.click('#term-tabs button.active');
  const byMouse = objects(JSON.parse(dvnl('show', '-j')));
  dvnl('destroy');
  dvnl('deploy', env.DEMO_TOPO);
  const byFile = objects(JSON.parse(dvnl('show', '-j')));
  await check('demo: vnl show of the lab built with the mouse equals what vnl deploy examples/two-lans.yaml makes',
    () => byMouse === byFile || `mouse: ${byMouse}\nfile:  ${byFile}`);
  await dp.close();
  console.log(`# the demo built with the mouse in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// 127.evil.example: a name of another site that resolves to 127.0.0.1 (DNS rebinding).
const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true,
  args: ['--host-resolver-rules=MAP 127.evil.example 127.0.0.1'] });
// The page's address with the token vnl web printed (URL, OFFHOST: without it).
const withToken = (base) => `${base}?token=${env.TOKEN}`;
const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await ctx.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
try {
  // 1. Start the lab and deploy a file, from the page.
  await page.goto(`${withToken(env.URL)}#${env.LAB}`); // this lab only: others' labs run beside
  await check('the page loads and connects', () => page.waitForFunction(() => window.vnl && window.vnl.conn &&
    window.vnl.conn.ws.readyState === 1, null, { timeout: 15000 }));
  await page.fill('#new-lab', env.LAB);
  await page.click('#new-lab-go');
  await check('"start" in the page starts the lab', async () => {
    await page.waitForFunction((l) => window.vnl.lab === l && document.getElementById('status').textContent
      .startsWith(`lab ${l}:`), env.LAB, { timeout: 60000 });
    return showJ().lab === env.LAB;
  });
  await page.fill('#deploy-file', env.TOPO);
  await page.click('#deploy-go');
  await check('a deployed file shows its nodes, LAN and links (labelled ethN + address)', async () => {
    for (const id of ['a', 'b', 'blue', 'a:0', 'b:0']) await hasEl(page, id);
    const lbl = await page.evaluate(() => window.vnl.cy.getElementById('a:0').data('label'));
    return lbl.startsWith('eth0 10.108.1.1/24') || `label ${lbl}`;
  });
  await check('the file\'s layout places a and blue; the page places b, without one, and leaves the lab as it is', async () => {
    const at = await page.evaluate(() => ['a', 'blue', 'b'].map((i) => window.vnl.cy.getElementById(i).position()));
    if (at[0].x !== 150 || at[0].y !== 320 || at[1].x !== 300 || at[1].y !== 200) return JSON.stringify(at);
    await page.waitForTimeout(500);
    const l = showJ().layout;
    return (Number.isFinite(at[2].x) && l.a && !l.b) || JSON.stringify(l);
  });
  await check('nodes carry their state', () => waitCy(page, () => window.vnl.cy.getElementById('a').data('state') === 'running'));
  await snap(page, 'deployed');

  // 2. Create a node, a LAN and a link with the mouse.
  const box = await page.locator('#cy').boundingBox();
  await paletteDrop(page, 'ns', box.width * 0.75, box.height * 0.7, { name: 'n3' });
  await check('a node dragged from the palette is created (vnl show has it)', async () => {
    await hasEl(page, 'n3');
    return showJ().nodes.some((x) => x.name === 'n3' && x.kind === 'ns');
  });
  await paletteDrop(page, 'lan', box.width * 0.75, box.height * 0.3, { name: 'green' });
  await check('a LAN dragged from the palette is created (vnl show has it)', async () => {
    await hasEl(page, 'green');
    return showJ().lans.some((x) => x.name === 'green');
  });
  await dragNodeTo(page, 'n3', 'green');
  await page.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
  await page.fill('#form input[name="ip"]', '10.108.2.3/24');
  await page.click('#form button[type="submit"]');
  await check('a node dropped on a LAN is linked (vnl show has n3:0 in green with its address)', async () => {
    await hasEl(page, 'n3:0');
    const k = showJ().links.find((x) => x.node === 'n3' && x.nic === 0);
    return (k && k.lan === 'green' && k.ip === '10.108.2.3/24') || JSON.stringify(k);
  });
  await snap(page, 'created');
  await check('positions are kept in the lab: vnl save writes a layout with the dropped node', async () => {
    await waitCy(page, () => true);
    for (let i = 0; i < 50; i++) {
      const saved = vnl('save', '-');
      if (/^layout:\n(.*\n)*  n3: \[-?\d+, -?\d+\]/m.test(saved) && /^  green: \[/m.test(saved)) return true;
      await page.waitForTimeout(100);
    }
    return vnl('save', '-');
  });
  // Move a node: the second tab and vnld follow.
  const pb = await pagePos(page, 'b');
  await page.mouse.move(pb.x, pb.y);
  await page.mouse.down();
  const dest = await page.evaluate(() => {   // model (450, 320): right of blue, level with a
    const r = document.getElementById('cy').getBoundingClientRect(), z = window.vnl.cy.zoom(), p = window.vnl.cy.pan();
    return { x: r.left + 450 * z + p.x, y: r.top + 320 * z + p.y };
  });
  await page.mouse.move(dest.x, dest.y, { steps: 6 });
  await page.mouse.up();
  const bpos = await page.evaluate(() => window.vnl.cy.getElementById('b').position());
  await check('a moved node keeps its place in vnld (show has its new position)', async () => {
    for (let i = 0; i < 50; i++) {
      const l = showJ().layout.b;
      if (l && Math.abs(l[0] - bpos.x) <= 1 && Math.abs(l[1] - bpos.y) <= 1) return true;
      await page.waitForTimeout(100);
    }
    return JSON.stringify(showJ().layout);
  });

  // 3. A terminal on node a.
  const pa = await pagePos(page, 'a');
  await page.mouse.dblclick(pa.x, pa.y);
  await page.locator('#terms .term').first().waitFor({ state: 'visible', timeout: 5000 });
  await prompt(page, 'a');
  await page.keyboard.type('echo hello-$((6*7)); ip -o -4 addr show eth0\n');
  await check('a terminal on a runs commands in a (its own address)', async () => {
    await page.waitForFunction(() => /hello-42/.test(window.vnl.terms.text('a')) &&
      /10\.108\.1\.1\/24/.test(window.vnl.terms.text('a')), null, { timeout: 15000 });
    return true;
  });
  await page.keyboard.type('stty size\n');
  await check('the terminal has the size of its panel (pty resized)', async () => {
    await page.waitForFunction(() => {
      const t = [...window.vnl.terms.byId.values()][0].term;
      return window.vnl.terms.text('a').includes(`${t.rows} ${t.cols}`) && t.cols > 80;
    }, null, { timeout: 10000 });
    return true;
  });
  await snap(page, 'terminal');
  await page.click('#term-tabs button.active');
  await check('closing the terminal ends its vnl session', async () => {
    for (let i = 0; i < 50; i++) {
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      if (!ps.includes(`vnl --lab ${env.LAB} exec -t a`)) return true;
      await page.waitForTimeout(100);
    }
    return 'vnl exec -t a still runs';
  });

  // 3b. A VM from the palette: its state changes live, and with every
  // iptables chain on DROP its terminal (vnl shell, through the agent) works.
  if (env.VM_IMAGE) {
    await paletteDrop(page, 'vm', box.width * 0.15, box.height * 0.15, { name: 'v1', image: env.VM_IMAGE, mem: '192' });
    await check('a vm dragged from the palette boots: the canvas shows booting, then ready', async () => {
      await hasEl(page, 'v1');
      const seen = await page.evaluate(() => window.vnl.cy.getElementById('v1').data('state'));
      await waitCy(page, () => window.vnl.cy.getElementById('v1').data('state') === 'ready', null, 150000);
      return seen !== 'ready' || 'ready at once';
    });
    vnl('exec', 'v1', '--', 'sh', '-c', 'iptables -P INPUT DROP && iptables -P OUTPUT DROP && iptables -P FORWARD DROP && iptables -F');
    const pv = await pagePos(page, 'v1');
    await page.mouse.dblclick(pv.x, pv.y);
    await prompt(page, 'v1'); // the session makes its terminal raw, flushing what came before
    await page.keyboard.type('iptables -S | head -3; echo vm-$((6*7))\n');
    await check('every iptables chain on DROP, the vm still has a terminal in the page', async () => {
      await page.waitForFunction(() => /-P INPUT DROP/.test(window.vnl.terms.text('v1')) &&
        /^vm-42/m.test(window.vnl.terms.text('v1')), null, { timeout: 30000 });
      return true;
    });
    await snap(page, 'vm-terminal');
    await page.click('#term-tabs button.active');
    vnl('del', 'v1');
    await noEl(page, 'v1');
  } else {
    console.log('# no tiny VM image or no qemu here: the vm terminal step is left out');
  }

  // 4. The canvas follows vnl and other tabs.
  vnl('add', 'ns', 'cli4');
  await check('a node added with vnl appears', () => hasEl(page, 'cli4'));
  vnl('link', 'cli4:0', 'blue', '--ip', '10.108.1.4/24');
  await check('a link made with vnl appears', () => hasEl(page, 'cli4:0'));
  vnl('del', 'cli4');
  await check('a node deleted with vnl disappears with its link', async () => {
    await noEl(page, 'cli4');
    return page.evaluate(() => window.vnl.cy.getElementById('cli4:0').empty());
  });
  const page2 = await ctx.newPage();
  await page2.goto(`${withToken(env.URL)}#${env.LAB}`);
  await hasEl(page2, 'n3');
  await check('another tab draws the lab where this one placed it', () => page2.evaluate((p) => {
    const q = window.vnl.cy.getElementById('b').position();
    return Math.abs(q.x - p.x) <= 1 && Math.abs(q.y - p.y) <= 1 || JSON.stringify(q);
  }, bpos));
  await page2.evaluate(() => window.vnl.conn.req(window.vnl.lab, { cmd: 'lan-add', name: 'tab2' }));
  await check('a LAN added in another tab appears in this one', () => hasEl(page, 'tab2'));
  await page.locator('#cy').click({ position: { x: 5, y: 5 } });
  await page.evaluate(() => { window.vnl.cy.$(':selected').unselect(); window.vnl.cy.getElementById('tab2').select(); });
  await page.keyboard.press('Delete');
  await check('the Delete key deletes the selected LAN, in both tabs and in vnld', async () => {
    await noEl(page, 'tab2');
    await noEl(page2, 'tab2');
    return !showJ().lans.some((x) => x.name === 'tab2');
  });
  await page2.close();
  await snap(page, 'followed');

  // The link menu: impairments, capture, unlink.
  const mid = await page.evaluate(() => {
    const r = document.getElementById('cy').getBoundingClientRect(), m = window.vnl.cy.getElementById('n3:0').renderedMidpoint();
    return { x: r.left + m.x, y: r.top + m.y };
  });
  await page.mouse.click(mid.x, mid.y, { button: 'right' });
  await check('a link\'s menu offers impairments, a capture and unlink', async () => {
    await page.locator('#menu').waitFor({ state: 'visible', timeout: 5000 });
    const items = await page.locator('#menu button').allTextContents();
    return (items.some((t) => /^impair/.test(t)) && items.includes('start capture ...') &&
      items.includes('unlink') && !items.some((t) => /not yet/.test(t))) || items.join(', ');
  });
  await snap(page, 'link-menu');
  await page.click('#menu button:has-text("unlink")');
  await check('unlink from the menu takes n3:0 out of green (vnl show)', async () => {
    await noEl(page, 'n3:0');
    return !showJ().links.some((x) => x.node === 'n3');
  });

  // 5. Wrong actions show their error next to the object.
  await page.evaluate(() => document.querySelectorAll('.err-pop').forEach((e) => e.remove()));
  await paletteDrop(page, 'ns', box.width * 0.5, box.height * 0.85, { name: 'a' });
  await check('creating a node whose name exists shows vnld\'s error', async () => {
    const pop = page.locator('.err-pop').last();
    await pop.waitFor({ state: 'visible', timeout: 10000 });
    const t = await pop.textContent();
    return /name 'a' is in use/.test(t) || t;
  });
  await snap(page, 'error');

  // 6. Traffic colours the link.
  const ping = spawn(env.VNL, ['--lab', env.LAB, 'exec', 'a', '--', 'ping', '-c', '30', '-i', '0.2', '10.108.1.2'],
    { stdio: 'ignore' });
  await check('a link with traffic shows its rate and load colour', async () => {
    await waitCy(page, () => {
      const e = window.vnl.cy.getElementById('a:0');
      return e.data('pps') > 1 && /pps/.test(e.data('label')) && e.data('load') !== '#adb5bd';
    }, null, 20000);
    return true;
  });
  await page.evaluate(() => document.querySelectorAll('.err-pop').forEach((e) => e.remove()));
  await termPing(page, 'b', '10.108.1.1', 3, 'a second terminal, on b, reaches a through the switch');
  await page.evaluate(() => { window.vnl.cy.fit(undefined, 40); }); // fit returns cy: not for serialising back
  await snap(page, 'traffic');
  ping.kill();
  await page.click('#term-tabs button.active');

  // 6b. Impairments and a capture from a link's menu (ns nodes a, b on blue).
  const linkMenu = async (id, item) => {
    await page.evaluate(() => { document.querySelectorAll('.err-pop').forEach((e) => e.remove()); });
    const m = await page.evaluate((i) => {
      const r = document.getElementById('cy').getBoundingClientRect(), e = window.vnl.cy.getElementById(i);
      const p = e.isEdge() ? e.renderedMidpoint() : e.renderedPosition();
      return { x: r.left + p.x, y: r.top + p.y };
    }, id);
    await page.mouse.click(m.x, m.y, { button: 'right' });
    await page.locator('#menu').waitFor({ state: 'visible', timeout: 5000 });
    await page.click(`#menu button:text-is("${item}")`);
  };
  // Start a capture from the menu of a link or a LAN, with a filter or none.
  const startCap = async (id, filter = '') => {
    await linkMenu(id, id.includes(':') ? 'start capture ...' : 'start capture (every port) ...');
    await page.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
    await page.fill('#form input[name="filter"]', filter);
    await page.click('#form button[type="submit"]');
  };
  // The smallest RTT of a few pings a -> b, in ms (NaN: none came back).
  const minRtt = () => {
    let out = '';
    try { out = vnl('exec', 'a', '--', 'ping', '-c', '5', '-i', '0.2', '-W', '2', '10.108.1.2'); } catch (e) { out = String(e.stdout); }
    const m = /= ([\d.]+)\//.exec(out);
    return m ? Number(m[1]) : NaN;
  };
  const rtt0 = minRtt();
  await linkMenu('a:0', 'impair: delay, loss, rate ...');
  await page.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
  await page.fill('#form input[name="delay"]', '20ms');
  await page.fill('#form input[name="loss"]', '1%');
  await page.click('#form button[type="submit"]');
  await check('impair from the menu (delay 20ms, loss 1%, both ways): vnl impair a:0 prints it', async () => {
    for (let i = 0; i < 50; i++) {
      const t = vnl('impair', 'a:0');
      if (/20ms/.test(t) && /1%/.test(t)) return true;
      await page.waitForTimeout(100);
    }
    return vnl('impair', 'a:0');
  });
  await check('the link shows its impairment ([20ms 1%] in its label)', async () => {
    await waitCy(page, () => /\[20ms 1%\]/.test(window.vnl.cy.getElementById('a:0').data('label')));
    return true;
  });
  await snap(page, 'impaired');
  await check('the ping RTT a -> b grows by the delay both ways (>= 38 ms more)', () => {
    const r = minRtt();
    return r - rtt0 >= 38 || `RTT ${rtt0} ms before, ${r} ms after`;
  });
  await linkMenu('a:0', 'impair: delay, loss, rate ...');
  await page.locator('#form').waitFor({ state: 'visible', timeout: 5000 });
  await page.fill('#form input[name="loss"]', '200%');
  await page.click('#form button[type="submit"]');
  await check('a bad value (loss 200%) shows vnld\'s error next to the link and changes nothing', async () => {
    const pop = page.locator('.err-pop[data-for="a:0"]').last();
    await pop.waitFor({ state: 'visible', timeout: 10000 });
    const t = await pop.textContent();
    const k = showJ().links.find((x) => x.node === 'a' && x.nic === 0);
    return (/loss/.test(t) && k.impair && k.impair.out.loss === '1%') || `${t}; ${JSON.stringify(k.impair)}`;
  });
  await snap(page, 'impair-error');
  await linkMenu('a:0', 'clear impairment');
  await check('clear impairment from the menu: the link has none (vnl show, the label)', async () => {
    await waitCy(page, () => !/\[/.test(window.vnl.cy.getElementById('a:0').data('label')));
    const k = showJ().links.find((x) => x.node === 'a' && x.nic === 0);
    return !k.impair || JSON.stringify(k.impair);
  });
  await check('the ping RTT is back (< 20 ms more than before)', () => {
    const r = minRtt();
    return r - rtt0 < 20 || `RTT ${rtt0} ms before, ${r} ms after`;
  });

  await startCap('a:0');
  await check('start capture: vnl-web runs vnl capture a:0, the link shows it', async () => {
    await waitCy(page, () => window.vnl.caps.has('a:0') && /capture/.test(window.vnl.cy.getElementById('a:0').data('label')));
    for (let i = 0; i < 50; i++) {
      const c = showJ().captures || [];
      if (c.some((x) => x.interfaces.some((f) => f.name === 'a:0'))) return true;
      await page.waitForTimeout(100);
    }
    return JSON.stringify(showJ().captures);
  });
  vnl('exec', 'a', '--', 'ping', '-c', '3', '-i', '0.2', '10.108.1.2');
  await snap(page, 'capturing');
  const dlWait = page.waitForEvent('download', { timeout: 20000 });
  await linkMenu('a:0', 'stop capture and download');
  const file = `${env.SHOTS}/capture-a0.pcapng`;
  await check('stop and download: the file is pcapng with the pings and statistics blocks', async () => {
    const dl = await dlWait;
    await dl.saveAs(file);
    const blocks = vnl('capture', '-r', file, '-j').trim().split('\n').map((l) => JSON.parse(l));
    const req = blocks.filter((b) => b.block === 'EPB' && /echo request/.test(b.summary)).length;
    const isb = blocks.filter((b) => b.block === 'ISB').length;
    return (dl.suggestedFilename() === `${env.LAB}-a-0.pcapng` && req >= 3 && isb >= 1) ||
      `${dl.suggestedFilename()}: ${req} echo requests, ${isb} ISBs`;
  });
  await check('the capture\'s file is served once, then gone from vnl-web\'s folder', async () => {
    const m = await page.evaluate(() => window.vnl.lastCapture);
    const r = await page.evaluate((u) => fetch(u).then((x) => x.status), m.url);
    const left = execFileSync('sh', ['-c', `ls /tmp/vnl-web-${env.WEBPID}.*/ 2>/dev/null || true`], { encoding: 'utf8' });
    return (r === 404 && !left.includes(`${m.cap}.pcapng`)) || `second fetch ${r}; left: ${left}`;
  });
  await check('the capture has ended in the switch; the link no longer shows it', async () => {
    await waitCy(page, () => !window.vnl.caps.has('a:0') && !/capture/.test(window.vnl.cy.getElementById('a:0').data('label')));
    return !(showJ().captures || []).length || JSON.stringify(showJ().captures);
  });
  await snap(page, 'captured');
  // vnl-web runs with --capture-max 64 (KiB): a flood of pings stops the capture, whole.
  await startCap('b:0');
  await waitCy(page, () => window.vnl.caps.has('b:0'));
  const dlCap = page.waitForEvent('download', { timeout: 30000 });
  vnl('exec', 'b', '--', 'ping', '-c', '400', '-i', '0.01', '-s', '300', '-q', '10.108.1.1');
  await check('a capture past the size limit stops by itself and downloads a whole pcapng of about 64 KiB', async () => {
    const dl = await dlCap;
    const f = `${env.SHOTS}/capture-b0-capped.pcapng`;
    await dl.saveAs(f);
    const m = await page.evaluate(() => window.vnl.lastCapture);
    const blocks = vnl('capture', '-r', f, '-j').trim().split('\n').map((l) => JSON.parse(l));
    const isb = blocks.filter((b) => b.block === 'ISB').length;
    return (m.capped && m.size >= 65536 && m.size < 160 * 1024 && isb >= 1) ||
      `capped ${m.capped}, ${m.size} bytes, ${isb} ISBs`;
  });
  // A LAN's menu captures every port of it, with a filter (vnl capture -f).
  await startCap('blue', 'icmp');
  await check('start capture on LAN blue with filter icmp: vnl-web runs vnl capture blue -f icmp (every port)', async () => {
    await waitCy(page, () => window.vnl.caps.has('blue') && /capture/.test(window.vnl.cy.getElementById('blue').data('label')));
    for (let i = 0; i < 50; i++) {
      const c = (showJ().captures || [])[0];
      if (c && c.filter === 'icmp' && ['a:0', 'b:0'].every((p) => c.interfaces.some((f) => f.name === p))) return true;
      await page.waitForTimeout(100);
    }
    return JSON.stringify(showJ().captures);
  });
  vnl('exec', 'a', '--', 'ip', 'neigh', 'flush', 'dev', 'eth0'); // ARP frames too: the filter drops them
  vnl('exec', 'a', '--', 'ping', '-c', '3', '-i', '0.2', '10.108.1.2');
  await snap(page, 'lan-capturing');
  const dlLan = page.waitForEvent('download', { timeout: 20000 });
  await linkMenu('blue', 'stop capture and download');
  await check('stop and download: LAB-blue.pcapng holds the pings seen on a:0 and b:0, and nothing but ICMP', async () => {
    const dl = await dlLan;
    const f = `${env.SHOTS}/capture-blue-icmp.pcapng`;
    await dl.saveAs(f);
    const blocks = vnl('capture', '-r', f, '-j').trim().split('\n').map((l) => JSON.parse(l));
    const epb = blocks.filter((b) => b.block === 'EPB');
    const on = (name, re) => epb.filter((b) => b.name === name && re.test(b.summary)).length;
    const other = epb.filter((b) => !/ICMP|echo/i.test(b.summary)).map((b) => b.summary);
    return (dl.suggestedFilename() === `${env.LAB}-blue.pcapng` && on('a:0', /echo request/) >= 3 &&
      on('b:0', /echo reply/) >= 3 && other.length === 0) ||
      `${dl.suggestedFilename()}: ${epb.length} frames, not ICMP: ${other.slice(0, 3).join(' | ')}`;
  });
  await startCap('blue', 'bogus ((');
  await check('a bad filter shows vnl\'s error next to the LAN, and no capture runs', async () => {
    const pop = page.locator('.err-pop[data-for="blue"]').last();
    await pop.waitFor({ state: 'visible', timeout: 10000 });
    const t = await pop.textContent();
    await waitCy(page, () => !window.vnl.caps.has('blue'));
    return (/-f 'bogus \(\('/.test(t) && !(showJ().captures || []).length) || `${t}; ${JSON.stringify(showJ().captures)}`;
  });
  await snap(page, 'filter-error');
  // Two captures per tab; a third is refused; the tab gone, they stop and their files go.
  const page4 = await ctx.newPage();
  await page4.goto(`${withToken(env.URL)}#${env.LAB}`);
  await hasEl(page4, 'a:0');
  await check('a tab gets two captures; a third is refused with vnl-web\'s words', async () => {
    const r = await page4.evaluate(async () => {
      const c = (t) => window.vnl.conn.call({ t: 'capture', lab: window.vnl.lab, target: t }).then(() => 'ok', (e) => e.message);
      return [await c('a:0'), await c('b:0'), await c('a:0')];
    });
    return (r[0] === 'ok' && r[1] === 'ok' && /2 captures/.test(r[2])) || r.join('; ');
  });
  await check('a target that is not NODE:N or a LAN name, or a filter that is not printable text, is refused before any vnl runs',
    () => page.evaluate(async () => {
      const c = (target, filter) => window.vnl.conn.call({ t: 'capture', lab: window.vnl.lab, target, filter })
        .then(() => 'accepted', (e) => e.message);
      const r = [await c('--help:0'), await c('-w'), await c('a:1x'), await c('blue', 'icmp\n-w /etc/x'),
        await c('blue', 'x'.repeat(513))];
      const want = [/name/, /name/, /NIC number/, /printable/, /512/];
      return r.every((m, i) => want[i].test(m)) || r.join('; ');
    }));
  await page4.close();
  await check('the tab gone: its captures stop (vnl show) and their files go', async () => {
    for (let i = 0; i < 100; i++) {
      const left = execFileSync('sh', ['-c', `ls /tmp/vnl-web-${env.WEBPID}.*/ 2>/dev/null || true`], { encoding: 'utf8' }).trim();
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      if (!left && !(showJ().captures || []).length && !ps.includes(`vnl --lab ${env.LAB} capture`)) return true;
      await page.waitForTimeout(100);
    }
    return `files: ${execFileSync('sh', ['-c', `ls /tmp/vnl-web-${env.WEBPID}.*/ 2>/dev/null || true`], { encoding: 'utf8' })}; ` +
      JSON.stringify(showJ().captures);
  });

  // 7. Access: another origin, another host.
  await check('a WebSocket from another origin is refused, even with the token', () => page.evaluate((a) => new Promise((res) => {
    const ws = new WebSocket(`ws://localhost:${a.port}/ws?token=${a.token}`, 'vnl');
    ws.onopen = () => res('opened');
    ws.onerror = () => res(true);
  }), { port: new URL(env.URL).port, token: env.TOKEN }));
  const noAccess = async (url, name) => {
    const p = await ctx.newPage();
    await p.goto(`${url}#${env.LAB}`);
    await p.waitForTimeout(2500);
    const r = await p.evaluate(() => window.vnl.conn.ws.readyState !== 1 && window.vnl.cy.nodes().empty() ||
      `WebSocket state ${window.vnl.conn.ws.readyState}, ${window.vnl.cy.nodes().length} nodes drawn`);
    if (name) await snap(p, name);
    await p.close();
    return r;
  };
  const port = new URL(env.URL).port;
  await check('this host without the token: no access (the loopback needs it too)', () => noAccess(env.URL, 'loopback-no-token'));
  await check('this host with a wrong token: no access', () => noAccess(`${env.URL}?token=${'0'.repeat(32)}`));
  await check('a site whose name resolves to 127.0.0.1 (127.evil.example) gets no access without the token',
    () => noAccess(`http://127.evil.example:${port}/`));
  if (env.OFFHOST) {
    await check('off localhost without the token: no access', () => noAccess(env.OFFHOST, 'offhost-no-token'));
    const p3 = await ctx.newPage();
    await p3.goto(`${env.OFFHOST}?token=${env.TOKEN}#${env.LAB}`);
    await check('off localhost with the token: the lab shows', () => hasEl(p3, 'n3'));
    await p3.close();
  } else {
    console.log('# no non-loopback address on this host: the off-localhost checks are left out');
  }
  // 8. A new user builds the demo lab (README "The demo": the ns part of
  // examples/two-lans.yaml) with the mouse alone, from no lab at all.
  if (env.DEMO_LAB) await demo();
  await check('no script error in the page', () => errors.length === 0 || errors.join('\n'));
} catch (e) {
  tap(false, 'the browser steps ran to the end', e.stack);
  await snap(page, 'failure').catch(() => {});
} finally {
  await browser.close();
}

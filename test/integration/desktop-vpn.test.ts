// The desktop with a real VPN: a sandbox connected to a real OpenVPN server (the test's own, in
// its own namespace), "Check for leaks" in the window running the engine's `vpn verify` from
// inside, and the tray saying connecting and connected as the tunnel says them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Services } from '../../main/app/services.js';
import { trayModel } from '../../main/tray/model.js';
import { startDesktop, type Bridge, type Desktop } from '../lib/desktop-bridge.js';
import { ROOT, sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { waitVpn } from '../lib/vpn-wait.js';

const SHOTS = path.join(ROOT, 'test-output', 'screenshots');

describe('desktop with a connected VPN', { timeout: 240_000 }, () => {
  let e: Env;
  let server: OvpnServer;
  let desktop: Desktop | undefined;
  let services: Services;
  let bridge: Bridge;
  let page: Page;

  before(async () => {
    e = sandtrayEnv('desktop-vpn');
    Object.assign(process.env, e.env);
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startOvpnServer('dvpn', '198.18.74.2', { proto: 'udp', subnet: '198.19.12', redirectGateway: true, token: 'desktop-vpn', dnsName: 'd.vpn.test' });
    const file = path.join(e.dir, 'office.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    desktop = await startDesktop({ colorScheme: 'light' });
    ({ services, bridge, page } = desktop);
    await page.goto(bridge.newWindow().url);
    await bridge.waitForClients();
  });
  after(async () => {
    await desktop?.close();
    await e?.cleanup();
    await server?.stop();
    await stopAllLab();
  });

  it('connected: the tray says so, and Check for leaks shows the engine\'s verdict', async () => {
    await e.ok(['start', 'office']);
    await waitVpn(e, 'office', 'connected');
    // The feed follows the tunnel's report; the tray row is "Connected" only once it is up.
    let label = '';
    for (let i = 0; i < 200; i++) {
      services.feed.refresh();
      const row = trayModel({ sandboxes: services.feed.sandboxes }).items.find((x) => x.id === 'sandbox:office');
      label = row && row.kind !== 'separator' ? row.label : '';
      if (label.includes('Connected')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(label, /^office — ● Connected/);
    await page.click('.sb-item[data-name="office"]');
    await page.waitForSelector('#action-verify:not([disabled])', { timeout: 15_000 });
    await page.click('#action-verify');
    await page.waitForSelector('#leak-verdict', { timeout: 60_000 });
    assert.equal(await page.getAttribute('#leak-verdict', 'data-verdict'), 'no leak found');
    const cli = JSON.parse(await e.ok(['vpn', 'verify', 'office', '--json'])) as { checks: { check: string; ok: boolean }[] };
    const shown = await page.$$eval('.leak-checks li', (l) => l.map((x) => x.getAttribute('data-check')));
    assert.deepEqual(shown, cli.checks.map((c) => c.check), 'the window shows the checks `vpn verify` makes');
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(SHOTS, 'leak-check.png') });
  });
});

// A WireGuard tunnel left idle past pasta's UDP flow timeout still works (issue 9, item 11).
// pasta 2023_03_09 (Debian 12) closes the host socket of a UDP flow that sent nothing for more than
// UDP_CONN_TIMEOUT = 180 s (udp.c, checked by its one-second timer) and keeps using the closed
// socket for that source port afterwards; wireguard-go never changes its source port, so without a
// keepalive the tunnel stays dead until a restart. Sandtray adds a keepalive when the file sets none.
//
// Both run side by side over the same idle time, each against its own real wireguard-go peer:
// - a Sandtray sandbox imported from a file without PersistentKeepalive reaches its peer at once
//   after idling 200 s;
// - the positive control, the same kind of file with plain wireguard-go behind plain pasta (no
//   keepalive added), reaches its peer before and not after; moving it to a new source port brings
//   it back, which shows the peer and the path were fine and only the idle flow died.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { execa } from 'execa';
import { hostUdpPortOpen, startPlainWgClient, startWgPeer, stopAllLab, type PlainWgClient, type WgPeer } from '../lib/vpn-lab.js';
import { helper } from '../lib/vpn-capture.js';
import { httpInside } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';

/** pasta's UDP_CONN_TIMEOUT (udp.c) plus a margin for its timer and a loaded machine. */
const IDLE_MS = 200_000;

const noKeepalive = (conf: string) => conf.replace(/^PersistentKeepalive = .*\n/m, '');

describe('an idle WireGuard tunnel', { timeout: 420_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let peer: WgPeer;
  let controlPeer: WgPeer;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-idle');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    [peer, controlPeer] = await Promise.all([
      startWgPeer('idle-wg', '198.18.104.2', { subnet: '198.19.14', token: 'idle-wg', dnsName: 'i.vpn.test' }),
      startWgPeer('idle-ctl', '198.18.105.2', { subnet: '198.19.15', token: 'idle-ctl', dnsName: 'c.vpn.test' }),
    ]);
  });
  after(async () => {
    await e?.cleanup();
    await peer?.stop();
    await controlPeer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('still reaches its peer after 200 s idle; without a keepalive the same tunnel dies (control)', async () => {
    const conf = noKeepalive(peer.clientConfig);
    assert.ok(!conf.includes('PersistentKeepalive'));
    const file = path.join(e.dir, 'quiet.conf');
    fs.writeFileSync(file, conf, { mode: 0o600 });
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'quiet']);
    await waitVpn(e, 'quiet', 'connected');
    assert.equal(await httpInside(e, 'quiet', '198.19.14.1'), 'idle-wg', 'the tunnel works before idling');
    assert.match(await e.ok(['log', 'quiet']), /vpn: peer 1: it sets no PersistentKeepalive/);
    // The sandbox's pasta relays the tunnel through a host socket on wireguard-go's source port.
    const wgPid = helper(e, 'quiet', 'wireguard-go').pid;
    const lp = await execa('nsenter', [`--target=${wgPid}`, '--user', '--net', '--mount', '--', 'wg', 'show', 'wg0', 'listen-port'], { reject: false });
    assert.equal(lp.exitCode, 0, lp.stderr);
    const sandboxPort = Number(String(lp.stdout).trim());
    assert.ok(sandboxPort > 0 && hostUdpPortOpen(sandboxPort), `pasta's socket for source port ${lp.stdout}`);

    // The control: the same kind of file, no keepalive, outside Sandtray.
    const control: PlainWgClient = await startPlainWgClient('idle-ctl-client', '198.18.106.2', { ...controlPeer, clientConfig: noKeepalive(controlPeer.clientConfig) });
    assert.equal(await control.http('198.19.15.1'), 'idle-ctl', 'the control works before idling');
    assert.ok(control.hostFlow(), "the control's flow has its socket on the host before idling");

    // Nothing is sent through either tunnel from here on.
    await sleep(IDLE_MS);

    // Sandtray's tunnel: its flow was kept alive, so the first request goes through; no waiting for
    // a dead flow (the request's own timeout is the bound).
    assert.ok(hostUdpPortOpen(sandboxPort), "the sandbox's flow kept its socket on the host");
    assert.equal(await httpInside(e, 'quiet', '198.19.14.1', 8000), 'idle-wg', 'the tunnel works after idling');

    // The control: pasta closed the idle flow's socket, and does not open it again when the flow
    // resumes. wireguard-go retries its handshake every 5 s; three requests of 5 s each all fail.
    assert.ok(!control.hostFlow(), "pasta closed the control's idle flow");
    for (let i = 0; i < 3; i++) {
      assert.match(await control.http('198.19.15.1'), /^ERR /, `control request ${i + 1} after idling`);
    }
    assert.ok(!control.hostFlow(), "pasta did not open the control's flow again");
    assert.ok(control.alive(), 'the control client is still running: the flow died, not the client');
    // A new source port is a new flow through pasta: the peer answers again.
    await control.rebind();
    assert.equal(await control.http('198.19.15.1', 8000), 'idle-ctl', 'the control works again from a new source port');

    await e.ok(['stop', 'quiet']);
  });
});

// The uplink of a VPN sandbox starts whether or not the host has an /etc/resolv.conf: the script
// the engine runs there (network/uplink.ts) is run here as the engine runs it, in a new network
// and mount namespace of a user namespace of the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { UPLINK_SCRIPT } from '../../helpers/network/uplink.js';

/**
 * Runs the uplink script with `resolv` as the file to bind; with `etc` 'empty' /etc is an empty
 * tmpfs, with 'dangling' its resolv.conf is a link to systemd-resolved's file, which is not there. Resolves with what /etc/resolv.conf holds in its namespace once it sleeps, as the
 * engine waits for it, or with how it ended.
 */
async function uplink(resolv: string, etc: 'host' | 'empty' | 'dangling'): Promise<{ sleeping: boolean; resolvConf: string | null; stderr: string }> {
  const setup = { host: '', empty: 'mount -t tmpfs sandtray-test-etc /etc && ', dangling: 'mount -t tmpfs sandtray-test-etc /etc && ln -s /run/sandtray-test-none/stub-resolv.conf /etc/resolv.conf && ' }[etc];
  const inner = `${setup}exec unshare --net --mount -- /bin/sh -c "$0" sandtray-uplink "$1"`;
  const child = spawn('unshare', ['--user', '--map-root-user', '--mount', '--', '/bin/sh', '-c', inner, UPLINK_SCRIPT, resolv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (let i = 0; i < 200 && child.exitCode === null && child.signalCode === null; i++) {
      let comm = '';
      try {
        comm = fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
      } catch {
        // gone
      }
      if (comm === 'sleep') {
        let resolvConf: string | null = null;
        try {
          resolvConf = fs.readFileSync(`/proc/${child.pid}/root/etc/resolv.conf`, 'utf8');
        } catch {
          // none there
        }
        return { sleeping: true, resolvConf, stderr };
      }
      await sleep(50);
    }
    await Promise.race([ended, sleep(1_000)]);
    return { sleeping: false, resolvConf: null, stderr };
  } finally {
    child.kill('SIGKILL');
    await ended;
  }
}

test('the uplink binds its resolv.conf where the host has one, and starts where it has none', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-uplink-'));
  try {
    const resolv = path.join(dir, 'uplink-resolv.conf');
    fs.writeFileSync(resolv, 'nameserver 198.19.255.3\n');
    assert.ok(fs.existsSync('/etc/resolv.conf'), 'this host has an /etc/resolv.conf');
    const withFile = await uplink(resolv, 'host');
    assert.deepEqual(withFile, { sleeping: true, resolvConf: 'nameserver 198.19.255.3\n', stderr: '' });
    for (const etc of ['empty', 'dangling'] as const) {
      const without = await uplink(resolv, etc);
      assert.equal(without.stderr, '', etc);
      assert.deepEqual(without, { sleeping: true, resolvConf: null, stderr: '' }, etc);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

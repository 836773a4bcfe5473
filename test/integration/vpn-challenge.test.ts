// One-time codes (OpenVPN static-challenge) against a real server whose verify script checks the
// SCRV1 answer (password and code, each in base64) and takes each code once; a dynamic challenge
// (CRV1) from the server fails clearly; and a configuration OpenVPN itself refuses shows OpenVPN's
// own "Options error:" line at start, and in `vpn status` until the next start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { startTyping, vpnStatus, waitVpn } from '../lib/vpn-wait.js';

const USER = 'dave';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-Kx4`;
/** A code the server answers with a dynamic challenge (CRV1), as a second factor server would. */
const DYNAMIC = '000000';
const PROMPT = 'Enter the code from your app';

// OpenVPN's server hands the whole password field to the script: `SCRV1:<b64 password>:<b64 code>`.
const VERIFY = `#!/bin/sh
d=$(dirname "$0")
u=$(sed -n 1p "$1"); p=$(sed -n 2p "$1")
case "$p" in SCRV1:*:*) ;; *) echo "no SCRV1 answer" >> "$d/verify.log"; exit 1 ;; esac
rest=\${p#SCRV1:}
pw=$(printf %s "\${rest%%:*}" | base64 -d)
code=$(printf %s "\${rest#*:}" | base64 -d)
if [ "$code" = "${DYNAMIC}" ]; then
  printf %s 'CRV1:R,E:c3RhdGUx:ZGF2ZQ==:Enter the PIN we sent you' > "$auth_failed_reason_file"
  exit 1
fi
[ "$u" = "${USER}" ] && [ "$pw" = "${PASSWORD}" ] || { echo "wrong user or password" >> "$d/verify.log"; exit 1; }
case "$code" in [0-9][0-9][0-9][0-9][0-9][0-9]) ;; *) echo "not a code" >> "$d/verify.log"; exit 1 ;; esac
if grep -qx "$code" "$d/used-codes" 2>/dev/null; then echo "code used before" >> "$d/verify.log"; exit 1; fi
echo "$code" >> "$d/used-codes"
echo "accepted" >> "$d/verify.log"
`;

/** `sandtray start NAME` on a terminal, the code typed at this file's prompt. */
const startCode = (e: Env, name: string, code: string) => startTyping(e, name, PROMPT, code);

describe('VPN one-time codes', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-challenge');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    server = await startOvpnServer('challenge', '198.18.70.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: true, verify: VERIFY, token: 'challenge-server', dnsName: 'x.vpn.test' });
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('asks for the code at start (echoed as the file says), never stores it, and sends it as SCRV1', async () => {
    const file = path.join(e.dir, 'otp.ovpn');
    fs.writeFileSync(file, server.clientConfig([`static-challenge "${PROMPT}" 1`]));
    const imported = await e.ok(['vpn', 'import', file]);
    assert.match(imported, /one-time code at every start/);
    await e.ok(['secret', 'set', 'otp', 'username'], { input: USER });
    await e.ok(['secret', 'set', 'otp', 'password'], { input: PASSWORD });
    // A one-time code cannot be stored: without a terminal the start says how to give it.
    const noTty = await e.run(['start', 'otp']);
    assert.notEqual(noTty.exitCode, 0);
    assert.match(noTty.stderr, /asks for a one-time code at every start/);
    assert.doesNotMatch(noTty.stderr, /secret set otp one-time-code/);
    const refusedKey = await e.run(['secret', 'set', 'otp', 'one-time-code'], { input: '123456' });
    assert.notEqual(refusedKey.exitCode, 0, 'a one-time code is not a secret that can be stored');

    const code = String(100000 + Math.floor(Math.random() * 800000));
    const r = await startCode(e, 'otp', code);
    assert.equal(r.exitCode, 0, r.screen);
    assert.ok(r.screen.includes(code), `the code is echoed (static-challenge ... 1): ${r.screen}`);
    assert.ok(!r.screen.includes(PASSWORD));
    await waitVpn(e, 'otp', 'connected');
    assert.equal(await httpInside(e, 'otp', '198.19.8.1'), 'challenge-server');
    assert.match(fs.readFileSync(path.join(server.ns.dir, 'verify.log'), 'utf8'), /^accepted$/m);
    await e.ok(['stop', 'otp']);

    // The same code again: the server refuses it, and the message names the code too.
    const again = await startCode(e, 'otp', code);
    assert.equal(again.exitCode, 0, again.screen);
    const st = await waitVpn(e, 'otp', 'failed');
    assert.match(String(st.message), /user name, password or one-time code/);
    assert.match(String(st.message), /enter a new code/);
    assert.match(fs.readFileSync(path.join(server.ns.dir, 'verify.log'), 'utf8'), /code used before/);
    await e.ok(['stop', 'otp']);
  });

  it('a dynamic challenge from the server fails as not supported yet, not as a wrong password', async () => {
    const r = await startCode(e, 'otp', DYNAMIC);
    assert.equal(r.exitCode, 0, r.screen);
    const st = await waitVpn(e, 'otp', 'failed');
    assert.match(String(st.message), /dynamic challenge\), which Sandtray does not support yet/);
    assert.doesNotMatch(String(st.message), /refused the user name/);
    await e.ok(['stop', 'otp']);
  });

  it("a configuration OpenVPN refuses shows OpenVPN's own Options error at start and in vpn status", async () => {
    // Kept by the importer (tls-version-min takes a version), refused by OpenVPN when it starts.
    const file = path.join(e.dir, 'badopt.ovpn');
    const lab = await startOvpnServer('badopt', '198.18.71.2', { proto: 'udp', subnet: '198.19.9', redirectGateway: true, token: 'badopt-server', dnsName: 'y.vpn.test' });
    try {
      fs.writeFileSync(file, lab.clientConfig(['tls-version-min 9.9']));
      await e.ok(['vpn', 'import', file]);
      const r = await e.run(['start', 'badopt']);
      assert.equal(r.exitCode, 1, r.stdout);
      assert.match(r.stderr, /OpenVPN refused the configuration: Options error: unknown tls-version-min parameter: 9\.9/);
      assert.doesNotMatch(r.stderr, /exited before it could be reached/);
      assert.match(await e.ok(['info', 'badopt']), /State: +STOPPED/);
      const st = await vpnStatus(e, 'badopt');
      assert.equal(st.state, 'down');
      // `vpn status` keeps saying why, in OpenVPN's own words, after the start has ended...
      assert.match(String(st.message), /the last start failed \(.*\): OpenVPN refused the configuration: Options error: unknown tls-version-min parameter: 9\.9/);
      const text = await e.run(['vpn', 'status', 'badopt']);
      assert.match(text.stdout, /State: +down/);
      assert.match(text.stdout, /Message: +the last start failed .*Options error: unknown tls-version-min parameter: 9\.9/);
      // ... and the list of all VPN sandboxes is unchanged by it.
      assert.match(await e.ok(['vpn', 'status']), /badopt +openvpn +STOPPED +down/);
      // Until a start that gets further: with the option taken out of the stored file, it connects
      // and the old failure is gone.
      const stored = path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'badopt.ovpn');
      fs.writeFileSync(stored, fs.readFileSync(stored, 'utf8').replace(/^tls-version-min 9\.9\r?\n/m, ''));
      assert.doesNotMatch(fs.readFileSync(stored, 'utf8'), /tls-version-min/);
      await e.ok(['start', 'badopt']);
      await waitVpn(e, 'badopt', 'connected');
      assert.equal(await httpInside(e, 'badopt', '198.19.9.1'), 'badopt-server');
      await e.ok(['stop', 'badopt']);
      const after = await vpnStatus(e, 'badopt');
      assert.equal(after.state, 'down');
      assert.equal(after.message, null, 'the old failure is not shown after a start that got further');
    } finally {
      await lab.stop();
    }
  });
});

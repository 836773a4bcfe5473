// docs/vpn.md says exactly what the importer keeps, rewrites, drops and refuses: each option its
// table names by itself is checked against the allowlist (helpers/vpn/openvpn-options.ts) and
// against what the reader does with a line of it, so the table cannot drift from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readOvpn } from '../../helpers/vpn/openvpn-config.js';
import { OPENVPN_OPTIONS, REMOVED_OPTIONS } from '../../helpers/vpn/openvpn-options.js';
import { ROOT } from '../lib/sandtray.js';

type Row = 'kept' | 'rewritten' | 'dropped' | 'refused';

/** The table's rows: each verdict with the options it names in backticks. */
function tableRows(): { row: Row; names: string[] }[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'vpn.md'), 'utf8');
  const out: { row: Row; names: string[] }[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\| (kept|rewritten|dropped|refused)[^|]* \| (.*) \|$/.exec(line);
    if (m) out.push({ row: m[1] as Row, names: [...m[2]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!) });
  }
  return out;
}

// Words a row names as a fix, a condition or a parameter, not as options of that row (the
// parameters are checked by the next test, with whole lines).
const MENTIONS = new Set(['refused:client', 'refused:pull', 'refused:tls-client', 'refused:verify-x509-name', 'refused:auto', 'rewritten:key-direction 1', 'dropped:update-resolv-conf', 'dropped:update-systemd-resolved']);

test('docs/vpn.md has the four rows of the OpenVPN table', () => {
  assert.deepEqual([...new Set(tableRows().map((r) => r.row))].sort(), ['dropped', 'kept', 'refused', 'rewritten']);
});

test("every option docs/vpn.md's table names alone is in the allowlist, in the class its row says", () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const { row, names } of tableRows()) {
    for (const n of names) {
      if (MENTIONS.has(`${row}:${n}`) || !/^<?[a-z][a-z0-9-]*>?$/.test(n)) continue;
      const word = n.replace(/^<|>$/g, '');
      const spec = OPENVPN_OPTIONS[word] ?? REMOVED_OPTIONS[word];
      if (!spec) {
        wrong.push(`${row}: \`${n}\` is not in the allowlist`);
        continue;
      }
      checked++;
      const ok: Record<Row, string[]> = { kept: ['keep', 'special', 'file'], rewritten: ['file', 'special'], dropped: ['engine', 'drop', 'special'], refused: ['refuse', 'special'] };
      if (!ok[row].includes(spec.class)) wrong.push(`${row}: \`${n}\` is ${spec.class}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked > 150, `the table names many options (${checked} checked)`);
});

test('options the table names with their parameters do what the table says when a file holds them', () => {
  const lines: Record<Row, string[]> = {
    kept: ['auth-user-pass', 'static-challenge "Code" 1', 'setenv UV_IPV6 yes', 'setenv IV_GUI_VER x', 'http-proxy 198.18.0.9 8080', 'socks-proxy 198.18.0.9 1080'],
    rewritten: [],
    dropped: ['dev tun', 'dev-type tun', 'up /etc/openvpn/update-resolv-conf', 'down /etc/openvpn/update-systemd-resolved', 'key-method 2', 'keysize 256', 'ncp-disable', 'setenv FORWARD_COMPATIBLE 1', 'setenv CLIENT_CERT 0', 'setenv PUSH_PEER_INFO', 'setenv IV_SSO webauth', 'setenv opt block-outside-dns', 'ignore-unknown-option foo', 'management-query-passwords', 'status-version 2'],
    refused: ['up /bin/sh', 'dev tap', 'dev-type tap', 'dev null', 'status f', 'key-method 1', 'tls-remote x', 'crl-verify d dir', 'http-proxy 198.18.0.9 8080 auto', 'http-proxy-user-pass f', 'socks-proxy 198.18.0.9 1080 creds', 'proto tcp-server', 'mode server', 'pkcs11-id x', 'show-ciphers', 'management-external-cert x', 'setenv opt plugin x.so'],
  };
  for (const [row, list] of Object.entries(lines) as [Row, string[]][]) {
    for (const l of list) {
      // A one-time code goes with a user name and password.
      const v = readOvpn(`client\nremote 198.18.0.1 1194\n${l}\n${l.startsWith('static-challenge') ? 'auth-user-pass\n' : ''}`).verdict;
      const got: Row = v.refused.length ? 'refused' : v.dropped.some((d) => d.line === 3) ? 'dropped' : v.rewritten.some((d) => d.line === 3) ? 'rewritten' : 'kept';
      assert.equal(got, row, `${l}: ${JSON.stringify(v.refused[0] ?? v.dropped[0] ?? null)}`);
    }
  }
  // static-challenge without auth-user-pass has no effect, and the table says it is dropped then.
  assert.ok(readOvpn('client\nremote 198.18.0.1 1194\nstatic-challenge "Code" 1\n').verdict.dropped.some((d) => d.option === 'static-challenge'));
  assert.match(fs.readFileSync(path.join(ROOT, 'docs', 'vpn.md'), 'utf8'), /`static-challenge` in a file without `auth-user-pass`/);
});

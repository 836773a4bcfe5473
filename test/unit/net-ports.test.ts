// network.ports: what the schema accepts and refuses, how layers merge, pasta's options and the risk
// of a port that listens beyond the loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLayer } from '../../helpers/profile/load.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { checkProfileOnHost } from '../../helpers/lifecycle/host-checks.js';
import { profileRisks, riskHost, isLoopbackAddress } from '../../helpers/profile/risks.js';
import { pastaArgv, portSpecs } from '../../helpers/network/pasta.js';
import { SandtrayError } from '../../helpers/core/errors.js';
import { parseOverrides } from '../../helpers/cli/overrides.js';

const layer = (yaml: string) => parseLayer(`apiVersion: sandtray/v1\n${yaml}`, 'test', '/');
const expand = (...yamls: string[]) => expandLayers('box', yamls.map((y, i) => ({ origin: `layer ${i}`, layer: layer(y) })));

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SandtrayError, String(e));
    return e.message;
  }
  assert.fail('expected an error');
}

test('ports default to tcp, the same port inside and the host loopback', () => {
  const { profile, origins } = expand('network:\n  mode: nat\n  ports: [{host: 18080, sandbox: 80}, {host: 18053, proto: udp, address: "::1"}]\n');
  assert.deepEqual(profile.network.ports, [
    { host: 18080, sandbox: 80, proto: 'tcp', address: '127.0.0.1' },
    { host: 18053, sandbox: 18053, proto: 'udp', address: '::1' },
  ]);
  assert.equal(origins['network.ports[18080/tcp]'], 'layer 0');
});

test('ports out of range, wrong types, bad addresses and duplicates are refused with the key', () => {
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 0}]}\n')), /network\.ports\[0\]\.host: a port is 1 to 65535/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 8080, sandbox: 70000}]}\n')), /network\.ports\[0\]\.sandbox: a port is 1 to 65535/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: "http"}]}\n')), /network\.ports\[0\]\.host: expected a number, got a string/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 8080.5}]}\n')), /network\.ports\[0\]\.host: expected a whole number/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 8080, proto: sctp}]}\n')), /network\.ports\[0\]\.proto/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 8080, address: localhost}]}\n')), /network\.ports\[0\]\.address: expected an IPv4 or IPv6 address/);
  assert.match(message(() => layer('network: {mode: nat, ports: [{host: 8080, prot: udp}]}\n')), /prot/);
  const dup = message(() => layer('network: {mode: nat, ports: [{host: 8080}, {host: 9090}, {host: 8080, sandbox: 81}]}\n'));
  assert.match(dup, /network\.ports\[2\]\.host: host port 8080\/tcp is already forwarded by network\.ports\[0\]/);
  // The same number in tcp and udp is two forwards.
  assert.equal(layer('network: {mode: nat, ports: [{host: 8080}, {host: 8080, proto: udp}]}\n').network?.ports?.length, 2);
});

test('a later layer replaces the forward of the same host port and protocol', () => {
  const { profile, origins } = expand('network: {mode: nat, ports: [{host: 18080, sandbox: 80}, {host: 18443, sandbox: 443}]}\n', 'network: {ports: [{host: 18080, sandbox: 8000}]}\n');
  assert.deepEqual(profile.network.ports.map((f) => `${f.host}:${f.sandbox}`), ['18080:8000', '18443:443']);
  assert.equal(origins['network.ports[18080/tcp]'], 'layer 1');
  assert.equal(origins['network.ports[18443/tcp]'], 'layer 0');
});

test('--set network.ports takes YAML', () => {
  const l = parseOverrides(['network.mode=nat', 'network.ports=[{host: 18080, sandbox: 80}]']);
  assert.deepEqual(l?.network?.ports, [{ host: 18080, sandbox: 80 }]);
});

test('ports are refused outside nat, and below the unprivileged port limit', () => {
  for (const mode of ['none', 'host']) {
    const { profile } = expand(`network: {mode: ${mode}, ports: [{host: 18080}]}\n`);
    assert.match(message(() => checkProfileOnHost(profile)), new RegExp(`network\\.ports: ports are forwarded only with network\\.mode nat or vpn, not ${mode}`));
  }
  const { profile } = expand('network: {mode: nat, ports: [{host: 80}]}\n');
  assert.match(message(() => checkProfileOnHost(profile)), /host port 80\/tcp is below \d+, which only root may listen on/);
});

test("pasta's options: each forward bound to its address, none otherwise", () => {
  assert.deepEqual(portSpecs([], 'tcp'), ['-t', 'none']);
  const ports = expand('network: {mode: nat, ports: [{host: 18080, sandbox: 80}, {host: 18081, address: "0.0.0.0"}, {host: 18053, sandbox: 53, proto: udp, address: "::1"}]}\n').profile.network.ports;
  const argv = pastaArgv({ nsPid: 1, mapHostLoopback: false, ports });
  const opt = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
  assert.deepEqual(opt('-t'), ['127.0.0.1/18080:80', '0.0.0.0/18081:18081']);
  assert.deepEqual(opt('-u'), ['::1/18053:53']);
  assert.deepEqual(opt('-T'), ['none']);
  assert.deepEqual(opt('-U'), ['none']);
  const none = pastaArgv({ nsPid: 1, mapHostLoopback: false });
  assert.deepEqual([none[none.indexOf('-t') + 1], none[none.indexOf('-u') + 1]], ['none', 'none']);
});

test('a port listening beyond the loopback is a risk; on the loopback it is not', () => {
  const host = riskHost({ env: { HOME: '/nonexistent-home' } });
  const risks = (yaml: string) => profileRisks(expand(yaml).profile, host).filter((r) => r.key.startsWith('network.ports'));
  assert.deepEqual(risks('network: {mode: nat, ports: [{host: 18080}, {host: 18081, address: "127.0.0.2"}, {host: 18082, address: "::1"}]}\n'), []);
  const every = risks('network: {mode: nat, ports: [{host: 18080, sandbox: 80, address: "0.0.0.0"}, {host: 18081, address: "198.18.0.1"}]}\n');
  assert.deepEqual(every.map((r) => r.key), ['network.ports[18080/tcp]', 'network.ports[18081/tcp]']);
  assert.match(every[0]!.message, /listens on every address of this machine: other machines on your network can reach the sandbox's port 80/);
  assert.match(every[1]!.message, /listens on 198\.18\.0\.1, beyond the loopback/);
  assert.equal(isLoopbackAddress('::'), false);
  assert.equal(isLoopbackAddress('0:0:0:0:0:0:0:1'), true);
});

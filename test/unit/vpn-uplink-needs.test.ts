// What the uplink's pasta carries for a VPN: only the protocols and address family its client uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pastaArgv } from '../../helpers/network/pasta.js';
import { parseOvpn } from '../../helpers/vpn/openvpn-config.js';
import { uplinkNeeds } from '../../helpers/vpn/uplink-needs.js';
import { parseWgQuick } from '../../helpers/vpn/wireguard-config.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const ovpn = (body: string) => ({ type: 'openvpn' as const, file: 'x.ovpn', config: parseOvpn(`client\ndev tun\n${body}\n<ca>\nx\n</ca>\n`) });
const wg = (endpoint: string) => ({ type: 'wireguard' as const, file: 'x.conf', config: parseWgQuick(`[Interface]\nAddress = 198.19.9.2/24\n[Peer]\nPublicKey = ${KEY}\nEndpoint = ${endpoint}\nAllowedIPs = 0.0.0.0/0\n`) });

test('WireGuard: UDP only; IPv4 only when the endpoint is an IPv4 address or the host loopback', () => {
  assert.deepEqual(uplinkNeeds(wg('127.0.0.1:51820')), { tcp: false, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(wg('198.18.0.1:51820')), { tcp: false, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(wg('vpn.example.net:51820')), { tcp: false, ipv4Only: false });
  assert.deepEqual(uplinkNeeds(wg('[2001:db8::1]:51820')), { tcp: false, ipv4Only: false });
});

test('OpenVPN: TCP when the file, a remote or a connection block says tcp, or a proxy is used', () => {
  assert.deepEqual(uplinkNeeds(ovpn('proto udp\nremote 198.18.0.1 1194')), { tcp: false, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(ovpn('remote 198.18.0.1 1194')), { tcp: false, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(ovpn('proto tcp-client\nremote 127.0.0.1 443')), { tcp: true, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(ovpn('proto udp\nremote 198.18.0.1 1194\nremote 198.18.0.2 443 tcp')), { tcp: true, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(ovpn('proto udp\nremote vpn.example.net 1194')), { tcp: false, ipv4Only: false });
  assert.deepEqual(uplinkNeeds(ovpn('proto udp\nremote 198.18.0.1 1194\nremote vpn.example.net 1194')), { tcp: false, ipv4Only: false });
  assert.deepEqual(uplinkNeeds(ovpn('<connection>\nremote 198.18.0.1 1194 udp\n</connection>\n<connection>\nremote 198.18.0.1 443\nproto tcp-client\n</connection>')), { tcp: true, ipv4Only: true });
  assert.deepEqual(uplinkNeeds(ovpn('proto udp\nremote 198.18.0.1 1194\nsocks-proxy 127.0.0.1 1080')).tcp, true);
});

test("the uplink's pasta leaves out ICMP always, TCP and IPv6 when not needed; nat's pasta keeps all", () => {
  const udp4 = pastaArgv({ nsPid: 1, mapHostLoopback: true, uplink: { tcp: false, ipv4Only: true } });
  for (const o of ['--no-icmp', '--no-tcp', '-4', '--dns-forward']) assert.ok(udp4.includes(o), o);
  assert.ok(!udp4.includes('fdb1:7bde:e96d::2'));
  const both = pastaArgv({ nsPid: 1, mapHostLoopback: true, uplink: { tcp: true, ipv4Only: false } });
  assert.ok(both.includes('--no-icmp') && !both.includes('--no-tcp') && !both.includes('-4') && both.includes('fdb1:7bde:e96d::2'));
  const nat = pastaArgv({ nsPid: 1, mapHostLoopback: false });
  for (const o of ['--no-icmp', '--no-tcp', '-4']) assert.ok(!nat.includes(o), o);
});

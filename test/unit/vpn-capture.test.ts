// The leak test's judge: what counts as a leak in a tcpdump capture of the uplink. Checked on
// captured lines of each kind, so a judge that lets everything through cannot pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaks } from '../lib/vpn-capture.js';

const EP = { host: '198.19.255.1', port: 1194 };

test('the VPN\'s own packets, the control and neighbour discovery are not leaks', () => {
  const ok = [
    '05:00:00.000001 IP 198.19.255.2.51234 > 198.19.255.1.1194: UDP, length 96',
    '05:00:00.000002 IP 198.19.255.1.1194 > 198.19.255.2.51234: UDP, length 96',
    '05:00:00.000003 IP 198.19.255.2.40000 > 198.19.255.1.1194: Flags [S], seq 1, win 64240, length 0',
    '05:00:00.000004 IP 198.19.255.2.33333 > 198.19.255.1.45678: UDP, length 7',
    '05:00:00.000005 ARP, Request who-has 198.19.255.1 tell 198.19.255.2, length 28',
    '05:00:00.000006 IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 16',
    '05:00:00.000007 IP 198.19.255.1 > 198.19.255.2: ICMP 198.19.255.1 udp port 1194 unreachable, length 132',
  ];
  assert.deepEqual(leaks(ok, EP, 45678), []);
});

test('anything else is a leak: other ports, other hosts, DNS, IPv6 data, unparsed lines', () => {
  const bad = [
    '05:00:00.000001 IP 198.19.255.2.51234 > 198.18.99.1.9: Flags [S], seq 1, win 64240, length 0',
    '05:00:00.000002 IP 198.19.255.2.51235 > 198.19.255.1.7: Flags [S], seq 1, win 64240, length 0',
    '05:00:00.000003 IP 198.19.255.2.51236 > 198.19.255.3.53: 43981+ A? test. (22)',
    '05:00:00.000004 IP 198.19.255.2.51237 > 198.18.99.1.10: UDP, length 19',
    '05:00:00.000005 IP6 fd00::2.5000 > 2001:db8::1.53: UDP, length 22',
    '05:00:00.000006 IP 198.19.255.2 > 198.18.99.1: ICMP echo request, id 1, seq 1, length 64',
    'something tcpdump printed that we cannot read',
  ];
  assert.deepEqual(leaks(bad, EP, 45678), bad);
});

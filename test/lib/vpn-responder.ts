// A responder that runs inside a test VPN server's namespace: HTTP (a unique token, bulk data) on
// TCP 8080 and a tiny DNS server on UDP 53 that knows a few names. Usage: node vpn-responder.js TOKEN NAME=IP...
import dgram from 'node:dgram';
import http from 'node:http';
import { dnsAnswer, handle } from './vpn-responder-lib.js';

const [token = '', ...pairs] = process.argv.slice(2);
const names = new Map(pairs.map((p) => p.split('=') as [string, string]));

http.createServer((req, res) => handle(token, req, res)).listen(8080, '0.0.0.0');

const dns = dgram.createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  const a = dnsAnswer(names, msg);
  if (a) dns.send(a, rinfo.port, rinfo.address);
});
dns.bind(53, '0.0.0.0', () => process.stdout.write('responder ready\n'));

// A responder that runs inside a test VPN server's namespace: HTTP (a unique token) on TCP 8080 and
// a tiny DNS server on UDP 53 that knows a few names. Usage: node vpn-responder.js TOKEN NAME=IP...
import dgram from 'node:dgram';
import http from 'node:http';

const [token, ...pairs] = process.argv.slice(2);
const names = new Map(pairs.map((p) => p.split('=') as [string, string]));

http.createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`${token}\n`);
}).listen(8080, '0.0.0.0');

/** Answers A queries for known names; NXDOMAIN for the rest. */
export function dnsAnswer(q: Buffer): Buffer | null {
  if (q.length < 17) return null;
  let off = 12;
  const labels: string[] = [];
  while (off < q.length && q[off] !== 0) {
    const len = q[off]!;
    labels.push(q.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += len + 1;
  }
  off += 1;
  const qtype = q.readUInt16BE(off);
  const question = q.subarray(12, off + 4);
  const name = labels.join('.').toLowerCase();
  const ip = names.get(name);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  const answers: Buffer[] = [];
  if (ip && qtype === 1) {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0);
    a.writeUInt16BE(1, 2);
    a.writeUInt16BE(1, 4);
    a.writeUInt32BE(60, 6);
    a.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => a.writeUInt8(Number(o), 12 + i));
    answers.push(a);
  }
  header.writeUInt16BE(0x8180 | (ip ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

const dns = dgram.createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  const a = dnsAnswer(msg);
  if (a) dns.send(a, rinfo.port, rinfo.address);
});
dns.bind(53, '0.0.0.0', () => process.stdout.write('responder ready\n'));

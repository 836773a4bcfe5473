// What the test responder answers: a token and bulk data over HTTP, A records over DNS.
import type http from 'node:http';

/** GET / answers the token; GET /bulk/N sends N MiB (for throughput measurements). */
export function handle(token: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const bulk = /^\/bulk\/(\d+)$/.exec(req.url ?? '');
  if (!bulk) {
    res.setHeader('content-type', 'text/plain');
    res.end(`${token}\n`);
    return;
  }
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  let left = Math.min(Number(bulk[1]), 1024);
  res.setHeader('content-length', String(left * chunk.length));
  const more = (): void => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
}

/** Answers A queries for known names; NXDOMAIN for the rest. */
export function dnsAnswer(names: ReadonlyMap<string, string>, q: Buffer): Buffer | null {
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


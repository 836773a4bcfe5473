// What a Wayland compositor offers: its globals, read the way every client starts. Connect to the
// socket, ask wl_display (object 1) for the registry (get_registry, new object 2) and for a
// callback (sync, new object 3); the registry announces each global, then the callback's `done`
// says all have been sent. Nothing else is asked and no descriptor is passed.
//
// Wire format: each message is the object id (u32), then size << 16 | opcode (u32; size counts
// the 8-byte header), then arguments; a string is its length with the NUL (u32), the bytes and
// the NUL, padded to 4 bytes. Integers are in the host's byte order.
import net from 'node:net';
import os from 'node:os';

export interface WaylandGlobal {
  name: number;
  interface: string;
  version: number;
}

const LE = os.endianness() === 'LE';
const u32 = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));

function message(object: number, opcode: number, args: number[]): Buffer {
  const b = Buffer.alloc(8 + args.length * 4);
  const w = (v: number, at: number): void => {
    if (LE) b.writeUInt32LE(v, at);
    else b.writeUInt32BE(v, at);
  };
  w(object, 0);
  w(((8 + args.length * 4) << 16) | opcode, 4);
  args.forEach((a, i) => w(a, 8 + i * 4));
  return b;
}

/** wl_display.get_registry(2), then wl_display.sync(3). */
export const REGISTRY_REQUEST = Buffer.concat([message(1, 1, [2]), message(1, 0, [3])]);

/**
 * Reads the events in buf: the globals announced so far, whether the sync callback is done, an
 * error from wl_display, and how many bytes made up whole messages (the rest waits for more).
 */
export function parseEvents(buf: Buffer): { globals: WaylandGlobal[]; done: boolean; error: string | null; used: number } {
  const globals: WaylandGlobal[] = [];
  let at = 0;
  let done = false;
  let error: string | null = null;
  while (at + 8 <= buf.length) {
    const object = u32(buf, at);
    const word = u32(buf, at + 4);
    const size = word >>> 16;
    const opcode = word & 0xffff;
    if (size < 8 || size % 4) return { globals, done, error: `a malformed message (size ${size})`, used: at };
    if (at + size > buf.length) break;
    const body = buf.subarray(at + 8, at + size);
    if (object === 2 && opcode === 0 && body.length >= 12) {
      // wl_registry.global(name: uint, interface: string, version: uint)
      const len = u32(body, 4);
      const padded = (len + 3) & ~3;
      if (len >= 1 && 8 + padded + 4 <= body.length) {
        globals.push({ name: u32(body, 0), interface: body.subarray(8, 8 + len - 1).toString('latin1'), version: u32(body, 8 + padded) });
      }
    } else if (object === 3 && opcode === 0) {
      done = true;
    } else if (object === 1 && opcode === 0) {
      error = 'the compositor reported a protocol error';
    }
    at += size;
  }
  return { globals, done, error, used: at };
}

/**
 * The compositor's globals, or null when it does not answer within timeoutMs. A compositor answers
 * in milliseconds; the bound is for one that hangs, and only that case pays it. It is generous
 * because a busy machine can keep a healthy compositor from answering for seconds, and a start
 * that gives up records 'unknown' for good.
 */
export function waylandGlobals(socket: string, timeoutMs = 10_000): Promise<WaylandGlobal[] | null> {
  return new Promise((resolve) => {
    const globals: WaylandGlobal[] = [];
    let pending = Buffer.alloc(0);
    let settled = false;
    const finish = (v: WaylandGlobal[] | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const conn = net.createConnection({ path: socket });
    conn.on('connect', () => conn.write(REGISTRY_REQUEST));
    conn.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      // A registry has tens of globals; a compositor that never stops talking is not answering.
      if (pending.length > 1 << 20) return finish(null);
      const r = parseEvents(pending);
      globals.push(...r.globals);
      pending = pending.subarray(r.used);
      if (r.error) finish(null);
      else if (r.done) finish(globals);
    });
    conn.on('error', () => finish(null));
    conn.on('close', () => finish(null));
  });
}

/** The global through which a compositor hands out per-sandbox sockets (staging protocol security-context-v1). */
export const SECURITY_CONTEXT_GLOBAL = 'wp_security_context_manager_v1';

export type SecurityContext = 'offered' | 'not offered' | 'unknown';

/** Whether the compositor at socket offers wp_security_context_v1. */
export async function securityContextOffer(socket: string): Promise<SecurityContext> {
  const g = await waylandGlobals(socket);
  if (!g) return 'unknown';
  return g.some((x) => x.interface === SECURITY_CONTEXT_GLOBAL) ? 'offered' : 'not offered';
}

/** The `info` line for what the compositor offers. */
export function securityContextNote(offer: SecurityContext): string {
  switch (offer) {
    case 'offered':
      return `wayland: the compositor offers ${SECURITY_CONTEXT_GLOBAL}, which Sandtray does not use yet: the plain socket is bound, so the compositor cannot tell this sandbox's programs from your others`;
    case 'not offered':
      return `wayland: the compositor does not offer ${SECURITY_CONTEXT_GLOBAL}: the plain socket is bound, and the compositor cannot tell this sandbox's programs from your others`;
    default:
      return "wayland: the compositor did not list its globals: the plain socket is bound, and the compositor cannot tell this sandbox's programs from your others";
  }
}

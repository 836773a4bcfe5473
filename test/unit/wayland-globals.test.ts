// Reading a compositor's globals (runtime/wayland-globals.ts): the wire format, and a small
// listener on a real socket that answers the way a compositor does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseEvents, REGISTRY_REQUEST, securityContextNote, securityContextOffer, waylandGlobals } from '../../helpers/runtime/wayland-globals.js';

const LE = os.endianness() === 'LE';
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(v);
  else b.writeUInt32BE(v);
  return b;
}
function msg(object: number, opcode: number, body: Buffer): Buffer {
  return Buffer.concat([u32(object), u32(((8 + body.length) << 16) | opcode), body]);
}
function str(s: string): Buffer {
  const len = s.length + 1;
  return Buffer.concat([u32(len), Buffer.from(s, 'latin1'), Buffer.alloc(((len + 3) & ~3) - s.length)]);
}
const global = (name: number, iface: string, version: number): Buffer => msg(2, 0, Buffer.concat([u32(name), str(iface), u32(version)]));
const done = msg(3, 0, u32(1));

test('the events: globals, the callback done, partial messages left for later', () => {
  const all = Buffer.concat([global(1, 'wl_compositor', 5), global(2, 'wp_security_context_manager_v1', 1), done]);
  const r = parseEvents(all);
  assert.deepEqual(r.globals, [{ name: 1, interface: 'wl_compositor', version: 5 }, { name: 2, interface: 'wp_security_context_manager_v1', version: 1 }]);
  assert.equal(r.done, true);
  assert.equal(r.used, all.length);
  // Cut in the middle of the second message: the first is read, the rest waits.
  const part = parseEvents(all.subarray(0, global(1, 'wl_compositor', 5).length + 10));
  assert.deepEqual(part.globals.map((g) => g.interface), ['wl_compositor']);
  assert.equal(part.done, false);
  assert.equal(part.used, global(1, 'wl_compositor', 5).length);
  assert.match(parseEvents(Buffer.concat([u32(2), u32((4 << 16) | 0)])).error ?? '', /malformed/);
  // The request: get_registry(new id 2), sync(new id 3), both on wl_display (object 1).
  assert.deepEqual(REGISTRY_REQUEST, Buffer.concat([msg(1, 1, u32(2)), msg(1, 0, u32(3))]));
});

/** A listener that answers the registry request with these globals, in small pieces. */
async function compositor(globals: string[], answer = true): Promise<{ socket: string; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-wl-'));
  const socket = path.join(dir, 'wayland-9');
  const server = net.createServer((c) => {
    let got = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < REGISTRY_REQUEST.length || !answer) return;
      assert.deepEqual(got, REGISTRY_REQUEST);
      const out = Buffer.concat([...globals.map((g, i) => global(i + 1, g, 1)), done]);
      for (let i = 0; i < out.length; i += 7) c.write(out.subarray(i, i + 7));
    });
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return { socket, close: () => { server.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

test('a compositor that offers the security context, one that does not, one that does not answer', async () => {
  const withCtx = await compositor(['wl_compositor', 'wl_shm', 'wp_security_context_manager_v1']);
  const without = await compositor(['wl_compositor', 'wl_shm', 'xdg_wm_base']);
  const mute = await compositor(['wl_compositor'], false);
  try {
    assert.deepEqual((await waylandGlobals(withCtx.socket))?.map((g) => g.interface), ['wl_compositor', 'wl_shm', 'wp_security_context_manager_v1']);
    assert.equal(await securityContextOffer(withCtx.socket), 'offered');
    assert.equal(await securityContextOffer(without.socket), 'not offered');
    assert.equal(await waylandGlobals(mute.socket, 300), null);
    assert.equal(await securityContextOffer(path.join(os.tmpdir(), 'no-such-wayland-socket')), 'unknown');
  } finally {
    withCtx.close();
    without.close();
    mute.close();
  }
  assert.match(securityContextNote('offered'), /offers wp_security_context_manager_v1, which Sandtray does not use yet: the plain socket is bound/);
  assert.match(securityContextNote('not offered'), /does not offer wp_security_context_manager_v1: the plain socket is bound, and the compositor cannot tell/);
});

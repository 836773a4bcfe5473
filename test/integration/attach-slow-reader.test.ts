// exec and run relay every byte of a command's output to a reader that takes its time. After the
// command exits the relay waits for the end of its output; a pause of our reader, which holds the
// relay's writes, is not the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('slowread');
const T = { timeout: 180_000 };
const TOTAL = 2 * 1024 * 1024;

before(async () => {
  await e.ok(['create', 'reader', '--profile', 'shell']);
  await e.ok(['start', 'reader']);
});
after(() => e.cleanup());

/** Runs the CLI with its stdout read by a reader that stops for a while after every 256 KiB. */
async function readSlowly(args: string[]): Promise<{ bytes: number; code: number | null; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let sincePause = 0;
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  child.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    sincePause += d.length;
    if (sincePause >= 256 * 1024) {
      sincePause = 0;
      child.stdout.pause();
      // Longer than the relay's quiet period after the exit.
      setTimeout(() => child.stdout.resume(), 800);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { bytes, code, err };
}

test('exec: a slow reader gets all of the output', T, async () => {
  const r = await readSlowly(['exec', 'reader', '--', 'head', '-c', String(TOTAL), '/dev/zero']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.bytes, TOTAL);
});

test('run: a slow reader gets all of the output', T, async () => {
  const r = await readSlowly(['run', '--', 'head', '-c', String(TOTAL), '/dev/zero']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.bytes, TOTAL);
});

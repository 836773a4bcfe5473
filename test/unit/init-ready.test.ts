// The init script says "r" on its stdin once its SIGTERM handler is in place, then replaces stdin
// with /dev/null (runtime/launch.ts waits for that line instead of polling pid 1). Run here outside
// any sandbox: it is never sent SIGTERM (its handler signals every process of the user outside a pid
// namespace), only SIGKILL, with its sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { IDLE_INIT_SCRIPT, INIT_SCRIPT } from '../../helpers/plan/init-script.js';
import { catchesSignal } from '../../helpers/host/proc.js';

for (const [name, script] of [['init', INIT_SCRIPT], ['stop-when-idle init', IDLE_INIT_SCRIPT]] as const) {
  test(`the ${name} says "r" once it catches SIGTERM, and keeps no descriptor of it`, { timeout: 20_000 }, async () => {
    // The socket at 3 stands in for the launch step's: it becomes the script's stdin.
    const child = spawn('/bin/sh', ['-c', 'exec 0<&3 3<&-; eval "$SANDTRAY_INIT"', 'sandtray-init'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin', SANDTRAY_INIT: script },
    });
    const pid = child.pid!;
    try {
      const said = await new Promise<string>((resolve) => {
        let text = '';
        const s = (child.stdio as unknown as NodeJS.ReadableStream[])[3]!;
        s.on('data', (d: Buffer) => {
          text += d;
          if (text.includes('\n')) resolve(text);
        });
        s.on('end', () => resolve(text));
      });
      assert.equal(said, 'r\n');
      assert.ok(catchesSignal(pid, 15), 'the handler is in place when the line comes');
      // The same shell, after its exec </dev/null: poll the descriptor, bounded.
      let fd0 = '';
      for (let i = 0; i < 200 && fd0 !== '/dev/null'; i++) {
        fd0 = fs.readlinkSync(`/proc/${pid}/fd/0`);
        if (fd0 !== '/dev/null') await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(fd0, '/dev/null');
    } finally {
      // Its sleep is forked right after: wait for it (bounded), so that it is not left behind.
      let kids: string[] = [];
      for (let i = 0; i < 200 && !kids.length; i++) {
        try {
          kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
        } catch {
          break;
        }
        if (!kids.length) await new Promise((r) => setTimeout(r, 10));
      }
      child.kill('SIGKILL');
      for (const k of kids) {
        try {
          process.kill(Number(k), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
}

// Pid 1 of a started sandbox is the enter step's init part (confine/enter.ts, plan/init-script.ts):
// it says "r" on its stdin once its handlers are in place, then replaces stdin with /dev/null
// (runtime/launch.ts waits for that line instead of polling pid 1). The part runs here alone,
// outside any sandbox: it is never sent SIGTERM (its handler signals every process of the user
// outside a pid namespace), only SIGKILL, with the child it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { enterScriptPart } from '../../helpers/confine/enter.js';
import { catchesSignal } from '../../helpers/host/proc.js';
import { seccompArch, syscallNumber } from '../../helpers/confine/seccomp.js';

const arch = seccompArch()!;

for (const mode of ['plain', 'idle'] as const) {
  test(`the ${mode} init says "r" once it catches TERM, INT and HUP, keeps no descriptor of it, and is named sandtray-init`, { timeout: 20_000 }, async () => {
    // What the part needs of the rest of the script: its options and the prctl call.
    // The socket at 3 stands in for the launch step's: it becomes the init's stdin.
    const prelude = `open(STDIN, '+<&', 3) or die; open(my $three, '<&=', 3); close $three;\n` +
      `my %o = (init => '${mode}'); my %nr = (prctl => ${syscallNumber(arch, 'prctl')}); sub sc { my $n = shift; syscall($nr{$n}, @_) }\n`;
    const child = spawn('/usr/bin/perl', ['-e', prelude + enterScriptPart('initloop')], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin' } });
    const sock = (child.stdio as unknown as NodeJS.ReadableStream[])[3]!;
    const pid = child.pid!;
    let kids: string[] = [];
    try {
      const said = await new Promise<string>((resolve) => {
        let text = '';
        sock.on('data', (d: Buffer) => {
          text += d;
          if (text.includes('\n')) resolve(text);
        });
        sock.on('end', () => resolve(text));
        sock.on('error', () => resolve(text));
      });
      assert.equal(said, 'r\n');
      for (const sig of [15, 2, 1]) assert.ok(catchesSignal(pid, sig), `the handler for ${sig} is in place when the line comes`);
      let fd0 = '';
      for (let i = 0; i < 200 && fd0 !== '/dev/null'; i++) {
        fd0 = fs.readlinkSync(`/proc/${pid}/fd/0`);
        if (fd0 !== '/dev/null') await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(fd0, '/dev/null');
      assert.equal(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, ''), 'sandtray-init');
      // plain keeps one child that never ends, so its wait() waits; idle keeps none.
      for (let i = 0; i < 200; i++) {
        kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
        if (kids.length || mode === 'idle') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(kids.length, mode === 'plain' ? 1 : 0);
      // No busy loop: it sleeps in the kernel.
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
      assert.equal(state, 'S');
    } finally {
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

// The scripting side of the command line on a running sandbox: exec's working directory, user and
// environment file, list's filters and formats, wait --json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('cli-exec');
before(async () => {
  await e.ok(['launch', 'box']);
  await e.ok(['create', 'idle']);
});
after(() => e.cleanup());

test('exec -w runs the command in that folder inside; a relative one is wrong usage', async () => {
  assert.equal((await e.ok(['exec', 'box', '-w', '/tmp', '--', 'pwd'])).trim(), '/tmp');
  assert.equal((await e.ok(['exec', 'box', '--workdir', '/etc', '--', 'pwd'])).trim(), '/etc');
  const rel = await e.run(['exec', 'box', '-w', 'tmp', '--', 'pwd']);
  assert.equal(rel.exitCode, 2);
  assert.match(rel.stderr, /expected an absolute path/);
  const gone = await e.run(['exec', 'box', '-w', '/no/such/dir', '--', 'pwd']);
  assert.notEqual(gone.exitCode, 0);
  assert.match(gone.stderr, /working directory \/no\/such\/dir/);
});

test('exec --env-file: NAME=VALUE lines reach the command, on no command line; --env wins', { timeout: 120_000 }, async () => {
  const marker = `marker-${process.pid}-${Date.now()}`;
  // On the command line on purpose (the shell's $0): the control that the scan below sees the
  // processes of this exec at all.
  const shown = `shown${process.pid}x${Date.now()}`;
  const file = path.join(e.dir, 'vars.env');
  fs.writeFileSync(file, `# settings\nA=1\nSECRET=${marker}\nB=file\n`, { mode: 0o600 });
  // The command says it runs, then waits for a line on its input: the scan happens while every
  // process of the exec is there, however slow the machine.
  const child = spawn(process.execPath, [BIN, 'exec', 'box', '--env-file', file, '-e', 'B=flag', '--', 'sh', '-c', 'echo ready; read go; echo "$A $SECRET $B"', shown], { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  try {
    for (const deadline = Date.now() + 60_000; !/^ready$/m.test(out) && !ended && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /^ready$/m, `the command did not start: ${err}`);
    const onArgv = (s: string): string[] => {
      const found: string[] = [];
      for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
          if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(s)) found.push(d);
        } catch {
          // gone, or not ours
        }
      }
      return found;
    };
    assert.notDeepEqual(onArgv(shown), [], 'the scan sees the running command (control)');
    assert.deepEqual(onArgv(marker), [], 'the value is on no command line');
    child.stdin.end('go\n');
    assert.equal(await exited, 0, err);
  } finally {
    if (!ended) {
      child.stdin.end();
      child.kill('SIGTERM');
    }
  }
  assert.equal(out.trim(), `ready\n1 ${marker} flag`);
  const bad = path.join(e.dir, 'bad.env');
  fs.writeFileSync(bad, 'A=1\nnonsense\n');
  const refused = await e.run(['exec', 'box', '--env-file', bad, '--', 'true']);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /line 2 is not NAME=VALUE/);
});

test('exec -u runs the command as that uid and gid inside, with no other groups', async () => {
  assert.equal((await e.ok(['exec', 'box', '-u', '1000', '--', 'sh', '-c', 'echo $(id -u) $(id -g) $(id -G)'])).trim(), '1000 1000 1000');
  assert.equal((await e.ok(['exec', 'box', '-u', '1000:100', '--', 'sh', '-c', 'echo $(id -u) $(id -g)'])).trim(), '1000 100');
  assert.equal((await e.run(['exec', 'box', '-u', 'nobody', '--', 'true'])).exitCode, 2);
});

test('list --state and --format; wait --json', async () => {
  assert.equal((await e.ok(['list', '--state', 'RUNNING', '--format', 'names'])).trim(), 'box');
  assert.deepEqual((await e.ok(['list', '--format', 'names'])).trim().split('\n'), ['box', 'idle']);
  const stopped = JSON.parse(await e.ok(['list', '--state', 'stopped', '--format', 'json'])) as { name: string }[];
  assert.deepEqual(stopped.map((s) => s.name), ['idle']);
  assert.deepEqual(JSON.parse(await e.ok(['wait', 'box', '--state', 'RUNNING', '--timeout', '5', '--json'])), { name: 'box', state: 'RUNNING' });
  const late = await e.run(['wait', 'idle', '--state', 'RUNNING', '--timeout', '0.2']);
  assert.equal(late.exitCode, 1);
});

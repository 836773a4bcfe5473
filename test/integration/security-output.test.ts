// What a sandbox writes reaches the owner only as its own words: it cannot rewrite or forge the
// lifecycle log, its control characters never drive the owner's terminal, and `exec` relays the
// caller's files instead of handing them over. Each protection beside a positive control.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { BIN, sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('secout');
const T = { timeout: 90_000 };

before(async () => {
  await e.ok(['launch', 'outbox']);
});
after(() => e.cleanup());

/** Any character a terminal could act on, \n and \t aside. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const OSC52 = '\x1b]52;c;cHduZWQ=\x07';
const CLEAR = '\x1b[2J';
const OSC52_SHOWN = '^[]52;c;cHduZWQ=^G';
const CLEAR_SHOWN = '^[[2J';
const FORGED = '2030-01-01T00:00:00.000Z sandtray: stopped';

/** A shell command line run on the host with the test's Sandtray environment (for real redirections). */
function onHost(cmd: string, cwd = e.dir) {
  return execa('sh', ['-c', cmd], { env: e.env, extendEnv: false, reject: false, cwd, stdin: 'ignore', stripFinalNewline: false, timeout: 60_000 });
}
const sandtray = `node ${BIN}`;

/** Polls cond until it holds; fails with what after the deadline (a condition, not a guess at timing). */
async function until<V>(cond: () => Promise<V | null | undefined | false>, what: string, ms = 15_000): Promise<V> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('the sandbox cannot truncate or forge the lifecycle log; its output is kept apart and shown as its own', T, async () => {
  const files = JSON.parse(await e.ok(['log', 'outbox', '--path', '--json'])) as { sandtray: string; sandbox: string };
  const info = JSON.parse(await e.ok(['info', 'outbox', '--json'])) as { pid: number; pids: { host: number }[] };
  // Pid 1's stdout and stderr are the sandbox's output file; no process inside holds the lifecycle log.
  assert.equal(fs.readlinkSync(`/proc/${info.pid}/fd/1`), files.sandbox);
  assert.equal(fs.readlinkSync(`/proc/${info.pid}/fd/2`), files.sandbox);
  for (const p of info.pids) {
    for (const fd of fs.readdirSync(`/proc/${p.host}/fd`)) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${p.host}/fd/${fd}`);
      } catch {
        continue;
      }
      assert.notEqual(target, files.sandtray, `host pid ${p.host} fd ${fd}`);
    }
  }

  // The attack: write through pid 1's stdout, truncate it, then write a forged lifecycle line and
  // escape sequences (an OSC 52 clipboard write and a screen clear).
  const attack = [
    'echo early-output > /proc/1/fd/1',
    ': > /proc/1/fd/1',
    `printf '\\033]52;c;cHduZWQ=\\007\\033[2J${FORGED}\\n' >> /proc/1/fd/1`,
    `printf '${FORGED}\\n' >> /proc/1/fd/2`,
  ].join('; ');
  const r = await e.run(['exec', 'outbox', '--', 'sh', '-c', attack]);
  assert.equal(r.exitCode, 0, r.stderr);

  // Positive control: the attack really reached the file pid 1 writes to: truncated, then the raw bytes.
  const raw = fs.readFileSync(files.sandbox, 'latin1');
  assert.ok(!raw.includes('early-output'), 'the truncation through /proc/1/fd/1 took effect');
  assert.ok(raw.includes(`${OSC52}${CLEAR}${FORGED}\n`), 'the escape sequences are in the output bytes');
  // The lifecycle log still holds the real events and nothing the sandbox wrote.
  const life = fs.readFileSync(files.sandtray, 'latin1');
  assert.match(life, /^\S+Z sandtray: starting$/m);
  assert.match(life, /^\S+Z sandtray: running, pid 1 is host pid \d+$/m);
  assert.ok(!life.includes('sandtray: stopped'), 'no forged stop');
  assert.ok(!life.includes('\x1b'), 'no escape sequence');

  // `sandtray log`: lifecycle lines as they are, the sandbox's lines marked and made visible.
  const shown = await e.ok(['log', 'outbox']);
  assert.doesNotMatch(shown, ACTIVE);
  assert.match(shown, /^\S+Z sandtray: running, pid 1 is host pid \d+$/m);
  const lines = shown.split('\n');
  assert.ok(lines.includes(`[inside] ${OSC52_SHOWN}${CLEAR_SHOWN}${FORGED}`), shown);
  assert.ok(lines.includes(`[inside] ${FORGED}`), shown);
  assert.ok(!lines.some((l) => /^\S+Z sandtray: stopped/.test(l)), 'the forged line never shows as a lifecycle event');

  // --json says who wrote each line and keeps the sandbox's text exactly as written.
  const jsonText = await e.ok(['log', 'outbox', '--json']);
  assert.doesNotMatch(jsonText, ACTIVE);
  const entries = JSON.parse(jsonText) as { source: string; line: string }[];
  assert.ok(entries.some((x) => x.source === 'sandbox' && x.line === `${OSC52}${CLEAR}${FORGED}`));
  assert.ok(entries.some((x) => x.source === 'sandtray' && /running, pid 1 is host pid/.test(x.line)));
  assert.ok(!entries.some((x) => x.source === 'sandtray' && x.line.includes('stopped')));
});

test('the desktop log view gets the sandbox\'s lines marked, with control characters visible', T, async () => {
  // The window's log view is fed by main's LogFollowers, which reads this environment's files.
  Object.assign(process.env, e.env);
  const { LogFollowers } = await import('../../main/logs/follow.js');
  await e.ok(['exec', 'outbox', '--', 'sh', '-c', `printf '\\033[2J${FORGED} first\\n' >> /proc/1/fd/1`]);
  const pushed: string[] = [];
  const logs = new LogFollowers((_id, text) => pushed.push(text));
  const first = logs.read('outbox');
  assert.doesNotMatch(first.text, ACTIVE);
  assert.ok(first.text.split('\n').includes(`[inside] ${CLEAR_SHOWN}${FORGED} first`), first.text);
  assert.match(first.text, /^\S+Z sandtray: running, pid 1 is host pid \d+$/m);
  const f = logs.follow('outbox', 1);
  try {
    assert.ok(f.text.split('\n').includes(`[inside] ${CLEAR_SHOWN}${FORGED} first`));
    await e.ok(['exec', 'outbox', '--', 'sh', '-c', `printf '${OSC52}${FORGED} later\\n' >> /proc/1/fd/2`]);
    const text = await until(async () => pushed.join('').includes('later') && pushed.join(''), 'the followed line');
    assert.doesNotMatch(text, ACTIVE);
    assert.ok(text.split('\n').includes(`[inside] ${OSC52_SHOWN}${FORGED} later`), text);
  } finally {
    logs.unfollow(f.followId, 1);
  }
});

test('ps and info show a process named with escape sequences, a C1 control and a newline as visible text', T, async () => {
  // $0 rewrites the process's argv: an OSC 52, a screen clear, U+009B (C1 CSI) and a newline that
  // would forge a row of the table.
  const name = 'evil\\e]52;c;cHduZWQ=\\a\\e[2J\\xc2\\x9b2J\\nFAKE 1 0 row';
  const r = await e.run(['exec', 'outbox', '--', 'sh', '-c', `perl -e '$0 = "${name}"; sleep 1000' </dev/null >/dev/null 2>&1 &`]);
  assert.equal(r.exitCode, 0, r.stderr);
  const evil = `evil${OSC52}${CLEAR}\u009b2J\nFAKE 1 0 row`;
  type Proc = { hostPid: number; command: string };
  const proc = await until(async () => (JSON.parse(await e.ok(['ps', 'outbox', '--json'])) as Proc[]).find((p) => p.command.startsWith('evil')), 'the renamed process');
  try {
    // Positive control: the raw bytes really are the process's command line, and --json keeps them.
    assert.equal(proc.command, evil);
    assert.ok(fs.readFileSync(`/proc/${proc.hostPid}/cmdline`, 'latin1').includes('\x1b]52;c;'));
    const shownName = `evil${OSC52_SHOWN}${CLEAR_SHOWN}<U+009B>2J^JFAKE 1 0 row`;
    const ps = await e.ok(['ps', 'outbox']);
    assert.doesNotMatch(ps, ACTIVE);
    const rows = ps.trimEnd().split('\n');
    const count = (JSON.parse(await e.ok(['ps', 'outbox', '--json'])) as Proc[]).length;
    assert.equal(rows.length, count + 1, `one row per process, no forged row:\n${ps}`);
    assert.ok(rows.some((l) => l.endsWith(shownName)), ps);
    const info = await e.ok(['info', 'outbox']);
    assert.doesNotMatch(info, ACTIVE);
    assert.ok(info.includes(shownName), info);
    const infoJson = await e.ok(['info', 'outbox', '--json']);
    assert.doesNotMatch(infoJson, ACTIVE);
    assert.ok((JSON.parse(infoJson) as { pids: { command: string }[] }).pids.some((p) => p.command === evil));
  } finally {
    process.kill(proc.hostPid, 'SIGKILL');
  }
});

test('info shows profile values with control characters visible, and --json keeps them', T, async () => {
  const p = writeProfile(e, 'escvals', 'apiVersion: sandtray/v1\nenv:\n  GREETING: "hi\\e]52;c;cHduZWQ=\\a\\e[2J"\n');
  await e.ok(['create', 'escbox', '--profile', p]);
  // Positive control: the value really holds the escape sequences.
  const json = await e.ok(['info', 'escbox', '--json']);
  assert.equal((JSON.parse(json) as { profile: { env: Record<string, string> } }).profile.env['GREETING'], `hi${OSC52}${CLEAR}`);
  assert.doesNotMatch(json, ACTIVE);
  const text = await e.ok(['info', 'escbox']);
  assert.doesNotMatch(text, ACTIVE);
  assert.ok(text.includes(`env.GREETING: hi${OSC52_SHOWN}${CLEAR_SHOWN}`), text);
  await e.ok(['delete', 'escbox']);
});

test('exec relays a file on stdin: the command reads it but cannot reopen it to overwrite it', T, async () => {
  const content = 'line one\nline two\n';
  const cmd = 'cat; echo pwned > /proc/self/fd/0; readlink /proc/self/fd/0 >&2';
  // Positive control: on the host the same command, with the same redirection, overwrites the file.
  fs.writeFileSync(path.join(e.dir, 'control.txt'), content);
  const ctl = await onHost(`sh -c '${cmd}' < control.txt`);
  assert.equal(String(ctl.stdout), content);
  assert.equal(fs.readFileSync(path.join(e.dir, 'control.txt'), 'utf8'), 'pwned\n');

  fs.writeFileSync(path.join(e.dir, 'input.txt'), content);
  const r = await onHost(`${sandtray} exec outbox -- sh -c '${cmd}' < input.txt`);
  assert.equal(String(r.stdout), content, 'the command still reads the input');
  assert.equal(fs.readFileSync(path.join(e.dir, 'input.txt'), 'utf8'), content, 'the input file is unchanged');
  assert.ok(!String(r.stderr).includes('input.txt'), `fd 0 is not the caller's file: ${String(r.stderr)}`);
});

test('exec >> out.txt appends, and the command cannot read what the file held before', T, async () => {
  const before = 'SECRET-PREVIOUS-CONTENT\n';
  // The shell opens its own stdout for reading (`<` comes before `>&2`), then cat copies it to stderr.
  const cmd = 'echo appended; cat </proc/self/fd/1 >&2; cat </dev/stdout >&2; true';
  // Positive control: on the host the command reads the earlier content back through its stdout.
  fs.writeFileSync(path.join(e.dir, 'control-out.txt'), before);
  const ctl = await onHost(`sh -c '${cmd}' >> control-out.txt`);
  assert.ok(String(ctl.stderr).includes('SECRET-PREVIOUS-CONTENT'), String(ctl.stderr));

  fs.writeFileSync(path.join(e.dir, 'out.txt'), before);
  const r = await onHost(`${sandtray} exec outbox -- sh -c '${cmd}' >> out.txt 2> err.txt`);
  assert.equal(r.exitCode, 0);
  assert.equal(fs.readFileSync(path.join(e.dir, 'out.txt'), 'utf8'), `${before}appended\n`);
  const err = fs.readFileSync(path.join(e.dir, 'err.txt'), 'utf8');
  assert.ok(!err.includes('SECRET-PREVIOUS-CONTENT'), err);
});

test('exec through relayed files: binary data intact both ways, end of input passed on, exit code kept', T, async () => {
  const data = crypto.randomBytes(8 * 1024 * 1024);
  fs.writeFileSync(path.join(e.dir, 'blob.bin'), data);
  // cat reads until the end of input: it ends only if EOF got through. Output and stderr both large.
  const r = await onHost(`${sandtray} exec outbox -- sh -c 'cat; cat /etc/hostname >&2; exit 7' < blob.bin > copy.bin 2> copy.err`);
  assert.equal(r.exitCode, 7);
  assert.ok(fs.readFileSync(path.join(e.dir, 'copy.bin')).equals(data), 'the bytes came back unchanged');
  assert.equal(fs.readFileSync(path.join(e.dir, 'copy.err'), 'utf8').trim(), 'outbox');
  // Large output on stdout and stderr at once, through pipes to the caller: no deadlock.
  const both = await onHost(`${sandtray} exec outbox -- sh -c 'head -c 4000000 /dev/zero; head -c 4000000 /dev/zero >&2; wc -c' < blob.bin | wc -c`);
  assert.equal(String(both.stdout).trim(), String(4_000_000 + `${data.length}\n`.length));
});

test('exec with a terminal on stdin only relays it: the command never holds the terminal', T, async () => {
  // script(1) plays the user's terminal; stdout goes to a file, so exec gets no pseudo-terminal of its own.
  const probe = 'readlink /proc/self/fd/0; read x; echo "got:$x"';
  const run = (cmd: string) => execa('script', ['--quiet', '--return', '--command', cmd, '/dev/null'], { env: { ...e.env, SHELL: '/bin/sh' }, extendEnv: false, reject: false, input: 'typed\n', timeout: 30_000, cwd: e.dir });
  // Positive control: run straight on that terminal, the command's stdin is the terminal device.
  await run(`sh -c '${probe}' > term-control.txt`);
  assert.match(fs.readFileSync(path.join(e.dir, 'term-control.txt'), 'utf8'), /^\/dev\/pts\/\d+\ngot:typed$/m);
  await run(`${sandtray} exec outbox -- sh -c '${probe}' > term-out.txt`);
  const out = fs.readFileSync(path.join(e.dir, 'term-out.txt'), 'utf8');
  assert.doesNotMatch(out, /\/dev\/pts/);
  assert.match(out, /^got:typed$/m);
});

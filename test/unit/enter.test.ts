// The enter step's Perl script: the order of its steps is the security property, so it is pinned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ENTER_SCRIPT, enterArgv, enterScriptPart, envFileText } from '../../helpers/confine/enter.js';
import { DEFAULT_CAPS } from '../../helpers/confine/caps.js';

const at = (needle: string): number => {
  const i = ENTER_SCRIPT.indexOf(needle);
  assert.ok(i >= 0, `the script has ${needle}`);
  return i;
};

test('the script compiles and loads no module (after the chroot, @INC lies in the sandbox)', () => {
  execFileSync('perl', ['-c', '-e', ENTER_SCRIPT], { stdio: 'pipe' });
  const code = ENTER_SCRIPT.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
  assert.doesNotMatch(code, /^\s*(use|require|do)\s/m);
  assert.doesNotMatch(code, /\$!\{|%!|POSIX|Errno/);
});

test('undumpable before it enters anything; confined before it forks into the sandbox; the child leads its own session', () => {
  const undump = at("sc('prctl', 4, 0, 0, 0, 0)");
  assert.ok(undump < at("sc('setns'"), 'PR_SET_DUMPABLE 0 comes before the first setns');
  const seccomp = at("sc('seccomp'");
  for (const step of ["sc('keyctl', 1, 0)", "sc('prctl', 24,", "sc('capset'", "sc('prctl', 38, 1"]) assert.ok(at(step) < seccomp, `${step} before the filter`);
  const fork = at('fork()');
  assert.ok(seccomp < fork, 'the filter is loaded before the fork');
  assert.ok(fork < at("sc('setsid')"));
  assert.ok(at("sc('close_range'") < at('exec {'));
});

test('argv carries options and the command, never environment values', () => {
  const argv = enterArgv('/usr/bin/perl', { mode: 'init', usernsFd: 6, newNet: true }, { arch: 'x86_64', caps: DEFAULT_CAPS, seccomp: Buffer.alloc(8), envFd: 8 }, ['/bin/sh', '-c', 'x']);
  assert.deepEqual(argv.slice(0, 2), ['/usr/bin/perl', '-e']);
  assert.deepEqual(argv.slice(-4), ['--', '/bin/sh', '-c', 'x']);
  assert.ok(argv.includes('envfd=8') && argv.includes('userns-fd=6') && argv.includes('newnet=1'));
  assert.equal(envFileText({ A: '1', B: 'x=y' }), 'A=1\0B=x=y\0');
});

test('a one-off sandbox (run): pid 1 is confined before it turns dumpable again, ties itself to its parent last, and forks the command only after "go"', () => {
  const seccomp = at("sc('seccomp'");
  const closeAll = at("sc('close_range'");
  const pdeath = at("sc('prctl', 1, 9, 0, 0, 0)");
  const dumpable = at("sc('prctl', 4, 1, 0, 0, 0)");
  const go = at('exit 125 if $go ne "go\\n"');
  assert.ok(seccomp < closeAll && closeAll < pdeath, 'the parent-death signal is set after the filter and the closing of descriptors');
  assert.ok(seccomp < dumpable, 'dumpable again only once confined');
  const payloadFork = ENTER_SCRIPT.indexOf('fork()', go);
  assert.ok(go < payloadFork && payloadFork < at('exec {'), 'the command is forked after "go", then exec\'d');
  const argv = enterArgv('/usr/bin/perl', { mode: 'init', usernsFd: 5, newNet: false, payload: true }, { arch: 'x86_64', caps: DEFAULT_CAPS, seccomp: Buffer.alloc(8), chdir: '/root' }, ['true']);
  assert.ok(argv.includes('pdeath=1') && argv.includes('payload=1') && argv.includes('chdir=/root'));
  assert.deepEqual(argv.slice(-2), ['--', 'true']);
  const plain = enterArgv('/usr/bin/perl', { mode: 'init', usernsFd: 5, newNet: false }, { arch: 'x86_64', caps: DEFAULT_CAPS, seccomp: Buffer.alloc(8) }, ['sh']);
  assert.ok(!plain.includes('pdeath=1') && !plain.includes('payload=1'), 'a started sandbox\'s pid 1 outlives the CLI');
});

test('each mode gets only the parts it runs, and each of them compiles with the same order of steps', () => {
  // Parts open and close as a stack (a part may hold parts).
  const stack: string[] = [];
  for (const m of ENTER_SCRIPT.matchAll(/^#([<>])(\w+)$/gm)) {
    if (m[1] === '<') stack.push(m[2]!);
    else assert.equal(stack.pop(), m[2], `part ${m[2]} closes the part it is in`);
  }
  assert.deepEqual(stack, [], 'every part closes');
  const common = { arch: 'x86_64' as const, caps: DEFAULT_CAPS, seccomp: Buffer.alloc(8) };
  const script = (mode: Parameters<typeof enterArgv>[1], env: { envFd?: number; envFile?: string } = {}): string => enterArgv('/usr/bin/perl', mode, { ...common, ...env }, ['x'])[2]!;
  const started = script({ mode: 'init', usernsFd: 6, newNet: true, init: 'plain' });
  const idle = script({ mode: 'init', usernsFd: 6, newNet: true, init: 'idle' });
  const payload = script({ mode: 'init', usernsFd: 6, newNet: true, payload: true }, { envFd: 8 });
  const attach = script({ mode: 'attach', target: { pid: 1, start: 1 }, owner: { pid: 1, start: 1 }, namespaces: [] }, { envFile: '/x' });
  for (const [name, text] of [['started', started], ['idle', idle], ['payload', payload], ['attach', attach]] as const) {
    execFileSync('perl', ['-c', '-e', text], { stdio: 'pipe' });
    assert.doesNotMatch(text, /^#[<>]/m, `${name}: no marker left`);
    const pos = (needle: string): number => text.indexOf(needle);
    assert.ok(pos("sc('prctl', 4, 0, 0, 0, 0)") < pos("sc('setns'"), `${name}: undumpable before the first setns`);
    for (const step of ["sc('keyctl', 1, 0)", "sc('prctl', 24,", "sc('capset'", "sc('prctl', 38, 1"]) assert.ok(pos(step) >= 0 && pos(step) < pos("sc('seccomp'"), `${name}: ${step} before the filter`);
    const after = name === 'started' || name === 'idle' ? "sc('prctl', 4, 1, 0, 0, 0)" : 'exec {';
    assert.ok(pos("sc('seccomp'") < pos("sc('close_range'") && pos("sc('close_range'") < pos(after), `${name}: descriptors closed once confined, before ${after}`);
  }
  // A started sandbox's pid 1: no attach, payload, environment or exec; only its own loop.
  assert.ok(started.length < ENTER_SCRIPT.length * 0.75, 'pid 1 compiles a good deal less');
  for (const [name, text] of [['started', started], ['idle', idle]] as const) {
    assert.doesNotMatch(text, /fork\(\);\n  defined \$pid|\$o\{target\}|\$o\{payload\}|\$o\{envfd\}|exec \{/, `${name}: nothing but init`);
  }
  assert.match(started, /wait\(\)/);
  assert.doesNotMatch(started, /ns_last_pid/);
  assert.match(idle, /ns_last_pid/);
  assert.doesNotMatch(idle, /wait\(\) < 0/);
  assert.doesNotMatch(attach, /userns-fd'\} \+ 0|\$o\{init\}/, 'attach: no init part');
  assert.match(attach, /\$o\{envfile\}/);
  assert.match(payload, /\$o\{payload\}/);
  assert.match(payload, /\$o\{envfd\}/);
  // The raw part, run alone by the readiness test, keeps both loops behind its runtime choice.
  assert.match(enterScriptPart('initloop'), /if \(!\$idle\)/);
});

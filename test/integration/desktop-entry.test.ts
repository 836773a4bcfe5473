// `sandtray export` / `unexport`: the desktop entry passes desktop-file-validate, its Exec (read
// as a launcher reads it, then run by sh) starts the app in the sandbox, a profile cannot add keys
// to it, and a file Sandtray did not write is refused and left alone. XDG_DATA_HOME is the test's
// own folder (test/lib/sandtray.ts), so the entries land there, never in a real menu.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { parseEntry } from '../../helpers/lifecycle/desktop-entry.js';

let e: Env;
let apps = '';
const NAME = 'entry';
const TITLE = 'Marker = "100%" $HOME `x` \\ [Desktop Entry] X-Sandtray-Sandbox=evil';
const fileOf = (sandbox: string, app: string): string => path.join(apps, `sandtray-${sandbox}-${app}.desktop`);

/** The profile: an app that leaves a marker in the sandbox's home; title as given (YAML double-quoted). */
function profileText(title: string): string {
  return [
    'apiVersion: sandtray/v1',
    'network: {mode: none}',
    'apps:',
    `  - {name: marker, title: ${JSON.stringify(title)}, icon: utilities-terminal, command: [sh, -c, 'echo opened-$((40+2)) > "$HOME/marker"']}`,
    '  - {name: other, command: ["true"]}',
    '',
  ].join('\n');
}

before(() => {
  e = sandtrayEnv('desktop-entry');
  apps = path.join(e.env['XDG_DATA_HOME']!, 'applications');
});

after(async () => {
  await e.cleanup();
});

test('export writes an entry that desktop-file-validate accepts and whose Exec starts the app in the sandbox', { timeout: 120_000 }, async () => {
  const prof = writeProfile(e, NAME, profileText(TITLE));
  await e.ok(['create', NAME, '--profile', prof]);
  const r = await e.run(['export', NAME, 'marker']);
  assert.equal(r.exitCode, 0, r.stderr);
  const file = fileOf(NAME, 'marker');
  assert.equal(r.stdout.trim(), `Exported ${TITLE} (${NAME}): ${file}`);
  assert.match(r.stderr, /grants no display/, 'a profile without a display is said');

  const valid = await execa('desktop-file-validate', [file], { reject: false });
  assert.equal(valid.exitCode, 0, `${valid.stdout}${valid.stderr}`);
  assert.doesNotMatch(valid.stdout + valid.stderr, /error:/);

  const text = fs.readFileSync(file, 'utf8');
  const keys = parseEntry(text);
  assert.equal(keys.get('Name'), `${TITLE} (${NAME})`);
  assert.equal(keys.get('Icon'), 'utilities-terminal');
  assert.equal(keys.get('StartupWMClass'), 'marker');
  assert.equal(keys.get('X-Sandtray-Sandbox'), NAME, 'the title\'s "X-Sandtray-Sandbox=evil" stays in the Name');
  assert.equal(keys.get('X-Sandtray-App'), 'marker');
  assert.equal(text.split('\n').filter((l) => l.startsWith('X-Sandtray-Sandbox=')).length, 1);
  assert.equal((fs.statSync(file).mode & 0o777) & ~0o644, 0, 'not executable, nobody else may write it');

  // As a launcher does: the string value unescaped (parseEntry), %% made %, the line run by sh.
  const exec = keys.get('Exec')!.replace(/%%/g, '%');
  assert.match(exec, / open entry marker$/);
  const launched = await execa('sh', ['-c', exec], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000 });
  assert.equal(launched.exitCode, 0, launched.stderr);
  assert.match(await e.ok(['list']), /entry\s+RUNNING/, 'the entry started the sandbox');
  const end = Date.now() + 20_000;
  let seen = '';
  while (Date.now() < end) {
    const cat = await e.run(['exec', NAME, '--', 'sh', '-c', 'cat "$HOME/marker"']);
    seen = cat.stdout.trim();
    if (seen === 'opened-42') break;
    await sleep(100);
  }
  assert.equal(seen, 'opened-42', 'the app ran inside the sandbox and wrote its marker in the sandbox\'s home');
});

test('a title with a newline cannot reach an entry: the profile is refused and the entry stays as it was', { timeout: 60_000 }, async () => {
  const file = fileOf(NAME, 'marker');
  const before = fs.readFileSync(file, 'utf8');
  const prof = writeProfile(e, NAME, profileText('Evil\nExec=/bin/false\nX-Sandtray-Sandbox=other'));
  const r = await e.run(['export', NAME, 'marker']);
  assert.equal(r.exitCode, 1, r.stdout);
  assert.match(r.stderr, /title/);
  assert.equal(fs.readFileSync(file, 'utf8'), before);
  fs.writeFileSync(prof, profileText(TITLE));
});

test('unexport removes the entry; unexport of one that is not there fails', { timeout: 60_000 }, async () => {
  const file = fileOf(NAME, 'marker');
  assert.ok(fs.existsSync(file));
  const r = await e.run(['unexport', NAME, 'marker']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.trim(), `Removed ${file}`);
  assert.ok(!fs.existsSync(file));
  const again = await e.run(['unexport', NAME, 'marker']);
  assert.equal(again.exitCode, 1);
  assert.match(again.stderr, /no desktop entry for app "marker"/);
  // Without APP: every entry of the sandbox.
  await e.ok(['export', NAME, 'marker']);
  await e.ok(['export', NAME, 'other']);
  const all = await e.run(['unexport', NAME]);
  assert.equal(all.exitCode, 0, all.stderr);
  assert.equal(all.stdout.trim().split('\n').length, 2);
  assert.deepEqual(fs.readdirSync(apps).filter((n) => n.startsWith(`sandtray-${NAME}-`)), []);
  assert.equal((await e.run(['export', NAME, 'nope'])).exitCode, 1, 'an app the profile does not have');
});

test('a file of the same name that Sandtray did not write is refused and left alone, by export, unexport and delete', { timeout: 90_000 }, async () => {
  const file = fileOf(NAME, 'marker');
  const mine = '[Desktop Entry]\nType=Application\nName=My own\nExec=true\n';
  fs.writeFileSync(file, mine);
  const r = await e.run(['export', NAME, 'marker']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /exists and is not this app's entry: it has no X-Sandtray-Sandbox key[\s\S]*left alone/);
  assert.equal((await e.run(['unexport', NAME, 'marker'])).exitCode, 1);
  assert.equal((await e.run(['unexport', NAME])).exitCode, 0);
  assert.equal(fs.readFileSync(file, 'utf8'), mine);

  // delete removes the sandbox's own entries, and only those.
  await e.ok(['export', NAME, 'other']);
  assert.ok(fs.existsSync(fileOf(NAME, 'other')));
  await e.ok(['delete', '--force', NAME]);
  assert.ok(!fs.existsSync(fileOf(NAME, 'other')), 'delete removed the entry');
  assert.equal(fs.readFileSync(file, 'utf8'), mine, 'and left the foreign file alone');
});

test('export and unexport complete sandbox and app names', { timeout: 60_000 }, async () => {
  await e.ok(['create', 'comp', '--profile', writeProfile(e, 'comp', profileText('Marker'))]);
  for (const cmd of ['export', 'unexport']) {
    assert.deepEqual((await e.ok(['__complete', '2', cmd, 'co'])).trim().split('\n'), ['comp'], cmd);
    assert.deepEqual((await e.ok(['__complete', '3', cmd, 'comp', 'm'])).trim().split('\n'), ['marker'], cmd);
  }
});

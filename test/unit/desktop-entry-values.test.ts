// Desktop entries (`sandtray export`): values escaped as the Desktop Entry Specification says, Exec
// lines a launcher and a shell both read back as the same words, and files that are not Sandtray's
// left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import {
  cliCommand, entryFileName, entryText, escapeValue, execValue, exportEntry, parseEntry, parseExec, quoteExecArg, unescapeValue, unexportEntries,
} from '../../helpers/lifecycle/desktop-entry.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-entry-'));

test('values: newlines, tabs, backslashes and edge spaces escaped; the reader gets the text back', () => {
  assert.equal(escapeValue('a\nb'), 'a\\nb');
  assert.equal(escapeValue('a\\nb'), 'a\\\\nb', 'a backslash before n is not a newline');
  assert.equal(escapeValue('\tx\r'), '\\tx\\r');
  assert.equal(escapeValue(' x y '), '\\sx y\\s');
  assert.equal(escapeValue('k=v; [Desktop Entry] #'), 'k=v; [Desktop Entry] #', '= [ ] ; # need no escape inside a value');
  for (const s of ['plain', 'a\nb\n', '\\', '\\\\n', ' lead', 'trail ', '  ', 'ü € 漢', 'x=y\nExec=/bin/false', '\\s literal']) {
    const e = escapeValue(s);
    assert.doesNotMatch(e, /[\n\r\t]/, `${JSON.stringify(s)} stays on one line`);
    assert.equal(unescapeValue(e), s, JSON.stringify(s));
  }
  for (const bad of ['a\u0000b', 'bell\u0007', 'esc\u001b[31m', 'del\u007f']) assert.throws(() => escapeValue(bad), /control character/);
});

test('a title cannot add a key or a group: every key is one line and the keys are the fixed ones', () => {
  const title = 'Evil\nExec=/bin/false\n[Desktop Entry]\nX-Sandtray-Sandbox=other\r\nIcon=x';
  const text = entryText('office', { name: 'firefox', title, icon: 'firefox' }, ['/usr/bin/node', '/opt/s/bin/sandtray.js']);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('[')).length, 1, text);
  assert.deepEqual(lines.slice(1).map((l) => l.slice(0, l.indexOf('='))), [
    'Type', 'Version', 'Name', 'Comment', 'Exec', 'Icon', 'Terminal', 'Categories', 'StartupWMClass', 'X-Sandtray-Sandbox', 'X-Sandtray-App',
  ]);
  const keys = parseEntry(text);
  assert.equal(keys.get('Name'), `${title} (office)`);
  assert.equal(keys.get('X-Sandtray-Sandbox'), 'office');
  assert.equal(keys.get('Icon'), 'firefox');
  assert.equal(keys.get('StartupWMClass'), 'firefox');
  assert.deepEqual(parseExec(text.match(/^Exec=(.*)$/m)![1]!), ['/usr/bin/node', '/opt/s/bin/sandtray.js', 'open', 'office', 'firefox']);
  // No icon: no Icon key.
  assert.ok(!parseEntry(entryText('a', { name: 'b', title: null, icon: null }, ['sandtray'])).has('Icon'));
  assert.equal(parseEntry(entryText('a', { name: 'b', title: null, icon: null }, ['sandtray'])).get('Name'), 'b (a)');
});

const AWKWARD = ['/opt/my apps/node', '/home/o\'brien/bin/sandtray.js', 'a"b', 'x$HOME', 'back`tick`', 'back\\slash', '100%', '%f', 'semi;colon', 'gl*b?', '~tilde', 'a&b|c', '(paren)', '#hash', 'ü'];

test('Exec: arguments quoted as the spec says; the launcher and sh both read back the same words', async () => {
  assert.equal(quoteExecArg('/usr/bin/node'), '/usr/bin/node');
  assert.equal(quoteExecArg('/a b'), '"/a b"');
  assert.equal(quoteExecArg('a"b$c`d\\e'), '"a\\"b\\$c\\`d\\\\e"');
  assert.equal(quoteExecArg('100%'), '100%%');
  assert.equal(execValue(['/a\\b c']), '"/a\\\\\\\\b c"', 'the quoting\'s backslash is escaped once more as a string value');
  assert.throws(() => quoteExecArg('a\nb'), /cannot be an argument/);
  assert.throws(() => quoteExecArg(''), /cannot be an argument/);
  const argv = [...AWKWARD, 'open', 'office', 'firefox'];
  const value = execValue(argv);
  assert.doesNotMatch(value, /[\n\t]/);
  assert.deepEqual(parseExec(value), argv, 'the spec\'s reading');
  // A launcher that hands the unquoted line to a shell (after %% -> %) gets the same words.
  const line = unescapeValue(value).replace(/%%/g, '%');
  const r = await execa('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' }, extendEnv: false });
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), argv, 'sh\'s reading');
});

test('the CLI that runs: node and the script, both absolute; Electron in Node mode; sandtray from PATH when the script is missing', () => {
  const dir = tmp();
  try {
    const script = path.join(dir, 'sandtray.js');
    fs.writeFileSync(script, '');
    assert.deepEqual(cliCommand(['/usr/bin/node', script], '/usr/bin/node', undefined), ['/usr/bin/node', script]);
    assert.deepEqual(cliCommand(['/opt/S/sandtray-desktop', script], '/opt/S/sandtray-desktop', '38.0.0'), ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/opt/S/sandtray-desktop', script]);
    assert.deepEqual(cliCommand(['/usr/bin/node', path.join(dir, 'gone.js')], '/usr/bin/node', undefined), ['sandtray']);
    assert.deepEqual(cliCommand(['/usr/bin/node'], '/usr/bin/node', undefined), ['sandtray']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('export writes by rename and rewrites only its own entry; foreign files, links and other sandboxes\' entries are refused and left alone', () => {
  const dir = tmp();
  try {
    const apps = path.join(dir, 'applications');
    const app = { name: 'firefox', title: 'Firefox', icon: 'firefox' };
    const file = exportEntry('office', app, ['sandtray'], apps);
    assert.equal(file, path.join(apps, 'sandtray-office-firefox.desktop'));
    assert.equal(parseEntry(fs.readFileSync(file, 'utf8')).get('Name'), 'Firefox (office)');
    assert.equal(exportEntry('office', { ...app, title: 'Fox' }, ['sandtray'], apps), file, 'its own entry is rewritten');
    assert.equal(parseEntry(fs.readFileSync(file, 'utf8')).get('Name'), 'Fox (office)');
    assert.deepEqual(fs.readdirSync(apps), ['sandtray-office-firefox.desktop'], 'no temporary file is left');

    // "a-b" + "c" and "a" + "b-c" share a file name: the keys inside tell them apart.
    exportEntry('a-b', { name: 'c', title: null, icon: null }, ['sandtray'], apps);
    assert.equal(entryFileName('a', 'b-c'), entryFileName('a-b', 'c'));
    assert.throws(() => exportEntry('a', { name: 'b-c', title: null, icon: null }, ['sandtray'], apps), /entry of app "c" of sandbox "a-b"/);
    assert.throws(() => unexportEntries('a', 'b-c', apps), /entry of app "c" of sandbox "a-b"/);
    assert.deepEqual(unexportEntries('a', undefined, apps), [], 'another sandbox\'s entry is not this one\'s');

    const foreign = path.join(apps, 'sandtray-web-editor.desktop');
    const foreignText = '[Desktop Entry]\nType=Application\nName=Mine\nExec=true\n';
    fs.writeFileSync(foreign, foreignText);
    assert.throws(() => exportEntry('web', { name: 'editor', title: null, icon: null }, ['sandtray'], apps), /not this app's entry: it has no X-Sandtray-Sandbox key[\s\S]*left alone/);
    assert.throws(() => unexportEntries('web', 'editor', apps), /left alone/);
    assert.deepEqual(unexportEntries('web', undefined, apps), []);
    assert.equal(fs.readFileSync(foreign, 'utf8'), foreignText);

    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'keep\n');
    const link = path.join(apps, 'sandtray-web-term.desktop');
    fs.symlinkSync(target, link);
    assert.throws(() => exportEntry('web', { name: 'term', title: null, icon: null }, ['sandtray'], apps), /symbolic link/);
    assert.throws(() => unexportEntries('web', 'term', apps), /symbolic link/);
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep\n');
    assert.ok(fs.lstatSync(link).isSymbolicLink());

    // A link to one of Sandtray's own entries is still a link: not followed, not removed.
    fs.symlinkSync(file, path.join(apps, 'sandtray-office-other.desktop'));
    assert.deepEqual(unexportEntries('office', undefined, apps), [file]);
    assert.ok(fs.lstatSync(path.join(apps, 'sandtray-office-other.desktop')).isSymbolicLink());
    assert.deepEqual(unexportEntries('office', 'firefox', apps), [], 'nothing left to remove');
    assert.deepEqual(unexportEntries('nobody', undefined, path.join(dir, 'missing')), [], 'no folder: nothing to remove');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Text a sandbox wrote is shown, never performed: visible(), the JSON printer, tables, and the two logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { safeJson, table, visible } from '../../helpers/cli/output.js';
import { formatLogLine, INSIDE_PREFIX, LogCursor, logTail, readSandboxLog, sandboxOutputFile, followSandboxLog } from '../../helpers/runtime/log.js';

/** Any character a terminal could act on, \n and \t aside. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const OSC52 = '\x1b]52;c;cHduZWQ=\x07';
const CLEAR = '\x1b[2J';

test('visible() shows C0, DEL, C1 and bidirectional controls in caret or <U+XXXX> notation', () => {
  assert.equal(visible(`${OSC52}${CLEAR}`), '^[]52;c;cHduZWQ=^G^[[2J');
  assert.equal(visible('a\rb\x00c\x7fd'), 'a^Mb^@c^?d');
  assert.equal(visible('\u009b2J'), '<U+009B>2J');
  assert.equal(visible('\u0085\u0080\u009f'), '<U+0085><U+0080><U+009F>');
  assert.equal(visible('abc\u202eevil'), 'abc<U+202E>evil');
  assert.equal(visible('line\u2028next'), 'line<U+2028>next');
  // Line feeds and tabs are kept only when asked for.
  assert.equal(visible('a\nb\tc'), 'a^Jb^Ic');
  assert.equal(visible('a\nb\tc', { newlines: true, tabs: true }), 'a\nb\tc');
  // Printable text, including non-ASCII, passes unchanged.
  assert.equal(visible('héllo wörld ✓ 日本'), 'héllo wörld ✓ 日本');
  // Every code point below 0x100 that is a control comes out harmless.
  let all = '';
  for (let c = 0; c < 0x100; c++) all += String.fromCharCode(c);
  assert.doesNotMatch(visible(all), ACTIVE);
  assert.doesNotMatch(visible(all, { newlines: true, tabs: true }), ACTIVE);
});

test('safeJson keeps strings intact for programs while the text holds no active character', () => {
  const v = { s: `${OSC52}${CLEAR}\u009b\u007f\u202e`, n: [1, 'x\ny'] };
  const text = safeJson(v, 2);
  assert.doesNotMatch(text, ACTIVE);
  assert.deepEqual(JSON.parse(text), v);
  // Control: plain JSON.stringify leaves DEL and C1 raw.
  assert.match(JSON.stringify(v), /\u009b/);
});

test('table cells are single lines with control characters visible: a newline cannot forge a row', () => {
  const t = table(['PID', 'COMMAND'], [[1, `evil${CLEAR}\nFAKE 2 row`], [2, 'sh']]);
  assert.equal(t.split('\n').length, 3);
  assert.match(t, /evil\^\[\[2J\^JFAKE 2 row/);
  assert.doesNotMatch(t.replace(/\n/g, ''), ACTIVE);
});

function tmpLogs(): { dir: string; log: string; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-log-'));
  const log = path.join(dir, 'box.log');
  return { dir, log, out: sandboxOutputFile(log) };
}

test('the two logs: lifecycle lines as they are, every sandbox line marked, so a forged event never passes', () => {
  const { dir, log, out } = tmpLogs();
  try {
    assert.equal(out, path.join(dir, 'box.output.log'));
    fs.writeFileSync(log, '2030-01-01T00:00:00.000Z sandtray: starting\n2030-01-01T00:00:01.000Z sandtray: running, pid 1 is host pid 7\n');
    fs.writeFileSync(out, `hello\n2030-01-01T00:00:02.000Z sandtray: stopped\n${OSC52}${CLEAR}partial`);
    const snap = readSandboxLog(log, 1 << 20);
    assert.deepEqual(snap.lines.map((l) => l.source), ['sandtray', 'sandtray', 'sandbox', 'sandbox', 'sandbox']);
    assert.equal(snap.lines[4]!.line, `${OSC52}${CLEAR}partial`, 'the lines themselves stay intact');
    const shown = snap.lines.map(formatLogLine);
    assert.equal(shown[3], `${INSIDE_PREFIX}2030-01-01T00:00:02.000Z sandtray: stopped`);
    assert.equal(shown[4], `${INSIDE_PREFIX}^[]52;c;cHduZWQ=^G^[[2Jpartial`);
    assert.equal(shown.filter((l) => /^\S+ sandtray: /.test(l)).length, 2);
    const tail = logTail(log, 10);
    assert.doesNotMatch(tail.replace(/\n/g, ''), ACTIVE);
    assert.match(tail, /\[inside\] \^\[\]52/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a log cursor reads complete lines, starts over after truncation, and skips ahead when far behind', () => {
  const { dir, out } = tmpLogs();
  try {
    fs.writeFileSync(out, 'one\ntw');
    const c = new LogCursor(out, 'sandbox');
    const first = c.startAtEnd(1024);
    assert.deepEqual(first.lines.map((l) => l.line), ['one']);
    assert.deepEqual(c.read(), [], 'the partial line waits');
    fs.appendFileSync(out, 'o\nthree\n');
    assert.deepEqual(c.read().map((l) => l.line), ['two', 'three']);
    // The sandbox truncates its output and writes again: the cursor starts over.
    fs.writeFileSync(out, 'after\n');
    assert.deepEqual(c.read().map((l) => l.line), ['after']);
    // A multi-byte character split across two writes comes out whole.
    const bytes = Buffer.from('é\n');
    fs.appendFileSync(out, bytes.subarray(0, 1));
    assert.deepEqual(c.read(), []);
    fs.appendFileSync(out, bytes.subarray(1));
    assert.deepEqual(c.read().map((l) => l.line), ['é']);
    // Far behind: only the last MiB is read, from its first complete line.
    fs.appendFileSync(out, `${'x'.repeat(100)}\n`.repeat(30_000));
    const lines = c.read();
    assert.ok(lines.length > 10_000 && lines.length < 11_000, String(lines.length));
    assert.ok(lines.every((l) => l.line === 'x'.repeat(100)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('following starts right after the lines it shows first', () => {
  const { dir, log, out } = tmpLogs();
  try {
    fs.writeFileSync(log, 'a\nb\n');
    fs.writeFileSync(out, 'x\npartial');
    const f = followSandboxLog(log, () => undefined, 1 << 20);
    f.close();
    assert.deepEqual(f.initial.lines, [
      { source: 'sandtray', line: 'a' },
      { source: 'sandtray', line: 'b' },
      { source: 'sandbox', line: 'x' },
    ]);
    const g = followSandboxLog(log, () => undefined, 2);
    g.close();
    assert.deepEqual(g.initial.lines.map((l) => l.line), ['b', 'x']);
    assert.equal(g.initial.truncated.sandtray, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Test harness: runs the real `sandtray` CLI with its own temporary XDG directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { execa, type Options } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin', 'sandtray.js');
export const PROFILES = path.join(ROOT, 'resources', 'profiles');

export interface Env {
  dir: string;
  env: Record<string, string>;
  /** Runs `sandtray ARGS` and returns stdout, stderr and the exit code (never throws). */
  run(args: string[], opts?: Options): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Same, but throws with the output when the exit code is not 0. */
  ok(args: string[], opts?: Options): Promise<string>;
  /** Stops and deletes every sandbox of this environment, then removes the directory. */
  cleanup(): Promise<void>;
}

/** A fresh, private Sandtray environment (config, data, state, runtime) under a temp dir. */
export function sandtrayEnv(label: string): Env {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sandtray-test-${label}-`));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? dir,
    LANG: 'C.UTF-8',
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_STATE_HOME: path.join(dir, 'state'),
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
  };
  fs.mkdirSync(env['XDG_RUNTIME_DIR']!, { mode: 0o700 });
  const run: Env['run'] = async (args, opts = {}) => {
    const stdin = opts.input === undefined && opts.stdin === undefined ? { stdin: 'ignore' as const } : {};
    const r = await execa(process.execPath, [BIN, ...args], { env, extendEnv: false, reject: false, timeout: 60_000, ...stdin, ...opts } as Options);
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  };
  const ok: Env['ok'] = async (args, opts) => {
    const r = await run(args, opts);
    if (r.exitCode !== 0) throw new Error(`sandtray ${args.join(' ')} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    env,
    run,
    ok,
    async cleanup() {
      const list = await run(['list', '--json']);
      try {
        for (const s of JSON.parse(list.stdout) as { name: string }[]) await run(['delete', '--force', s.name]);
      } catch {
        // nothing to clean
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a profile file into the environment and returns its path. */
export function writeProfile(e: Env, name: string, text: string): string {
  const p = path.join(e.dir, `${name}.sandtray`);
  fs.writeFileSync(p, text);
  return p;
}

/** Pids of the current user's processes whose command line contains the marker. */
export function pidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker) || fs.readFileSync(`/proc/${d}/environ`, 'utf8').includes(marker)) out.push(Number(d));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

/** Host processes (any user's, as `ps` shows them) whose command line contains marker: "PID: argv". */
export function cmdlinesWith(marker: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const c = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (c.includes(marker)) out.push(`${d}: ${c.split('\0').join(' ')}`);
    } catch {
      // gone
    }
  }
  return out;
}

/** The host file a CLI is handed without close-on-exec (the descriptor tests), and its descriptors. */
export const LEAKED = { name: 'leaked-host-file', fds: [40] };

/**
 * Runs the CLI (or `command`) with LEAKED open on its descriptors, without close-on-exec, the way a
 * careless parent would hand it one; never throws, kills it after 60 s.
 */
export async function runLeaking(e: Env, args: string[], command: string[] = [process.execPath, BIN]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const file = path.join(e.dir, LEAKED.name);
  fs.writeFileSync(file, 'host only\n');
  const fd = fs.openSync(file, 'r');
  try {
    const stdio: (number | 'ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    for (let i = 3; i <= Math.max(...LEAKED.fds); i++) stdio.push(LEAKED.fds.includes(i) ? fd : 'ignore');
    const child = spawn(command[0]!, [...command.slice(1), ...args], { env: e.env, stdio });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += String(d)));
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    return { exitCode, stdout, stderr };
  } finally {
    fs.closeSync(fd);
  }
}

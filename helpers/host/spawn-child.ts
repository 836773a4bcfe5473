// The engine's way to start a host process without execa, for the hot paths that must not load it
// (the launch chain) and for long-lived helpers that outlive the call (the D-Bus proxy and its
// watcher). Same policy as host/spawn.ts: the environment is exactly the one given, never the
// caller's, so nothing the user's shell exports reaches a tool that builds or serves a sandbox.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** child_process.spawn's options, with `env` required: the whole environment of the child. */
export type ChildOptions = Omit<SpawnOptions, 'env'> & { env: Record<string, string> };

/** Starts file with args and exactly opts.env as its environment. */
export function spawnChild(file: string, args: readonly string[], opts: ChildOptions): ChildProcess {
  return spawn(file, args, opts);
}

export type { ChildProcess };

// The one way the engine starts a host-side process (bwrap, the namespace holders, pasta, VPN
// clients, nsenter, newuidmap, getsubids...), with one environment policy: a process gets exactly
// the environment given here, never the caller's (no `extendEnv`), so nothing the user's shell
// exports (LD_PRELOAD, a PATH with their own bin, proxies) reaches a tool that builds a sandbox.
// The attached terminal (attach/run-attached.ts) is the one other way in: it must not load execa
// for `exec`'s start-up time, and it is given its environment by attachSpec the same way.
import { execa, type Options } from 'execa';
import { HOST_ENV } from '../plan/host-env.js';

export { HOST_ENV } from '../plan/host-env.js';

/** The fixed host environment plus what one tool must have (each value named by the caller). */
export function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...HOST_ENV, ...extra };
}

/** execa's options without the ways to inherit an environment; `env` is the whole environment. */
export type SpawnOptions = Omit<Options, 'env' | 'extendEnv'> & { env: Record<string, string> };

/** Starts file with args and exactly opts.env as its environment. */
export function spawnTool<O extends SpawnOptions>(file: string, args: readonly string[], opts: O) {
  return execa<O & { extendEnv: false }>(file, args, { ...opts, extendEnv: false });
}

// The sandtray commands: each parses its own flags and calls the engine.
import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatMapLines, formatRisk, profileRisks, resolvedIfDifferent, SandtrayError, sandtrayPaths, type Risk, type SandboxRecord, type State } from '../api/base.js';
import { duration, printJson, printLine, safeJson, table, visible } from './output.js';
import { VPN_COMMANDS } from './vpn-commands.js';
import { parseError, usageError } from './help.js';
import { LIST_FORMATS, TABLE } from './table.js';
import { growFdTable } from './fd-table.js';

// The engine is imported inside each command (`await import`), so that a command loads only what
// it uses: `help` no engine code at all, `list` and `exec` neither execa nor the lifecycle. In the
// bundled CLI (resources/build/bundle.mjs) too, an engine module runs only once a command reaches it.

export type Command = (args: string[]) => Promise<number>;

/** The caller's terminal type, for shells inside, when it is a plain name. */
function callerTerm(): Record<string, string> {
  const t = process.env['TERM'];
  return t && /^[A-Za-z0-9.+_-]{1,64}$/.test(t) ? { TERM: t } : {};
}

type Options = NonNullable<ParseArgsConfig['options']>;
/** What a start returns: the runtime record, pid 1 in it. */
type StartedState = Awaited<ReturnType<typeof import('./use-lifecycle.js').startSandbox>>;

function parse<T extends Options>(args: string[], options: T, positionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true as const });
  } catch (err) {
    throw parseError(err);
  }
}

function needNames(p: string[], cmd: string, atLeast = 1): string[] {
  if (p.length < atLeast) throw usageError(`sandtray ${cmd} needs a sandbox name`, `Usage: sandtray ${cmd} NAME${atLeast > 1 ? '' : ' [NAME...]'}`);
  return p;
}

/** Runs an action on several names; keeps going after a failure and reports each. */
async function eachName(names: string[], fn: (n: string) => Promise<string>): Promise<number> {
  let failed = 0;
  for (const n of names) {
    try {
      process.stdout.write(`${await fn(n)}\n`);
    } catch (err) {
      failed++;
      const { printError } = await import('./output.js');
      printError(err, false);
    }
  }
  return failed ? 1 : 0;
}

/** The risks of a sandbox's expanded profile on stderr, a `warning:` line each. */
async function printRisks(rec: SandboxRecord): Promise<void> {
  const { expandRecord } = await import('./use-lifecycle.js');
  const risks = profileRisks(expandRecord(rec).profile);
  if (risks.length) process.stderr.write(visible(risks.map(formatRisk).join('\n'), { newlines: true }) + '\n');
}

function createArgs(args: string[], cmd: 'create' | 'launch'): string {
  const { positionals } = parse(args, TABLE[cmd].options);
  const [name] = needNames(positionals, cmd);
  if (positionals.length > 1) throw usageError(`sandtray ${cmd} takes one name`, `Usage: sandtray ${cmd} NAME [--profile P]... [--set KEY=VALUE]...`);
  return name!;
}

/** The profiles and overrides of create and launch. */
async function createOptions(args: string[], cmd: 'create' | 'launch'): Promise<{ profiles: string[]; overrides: ReturnType<typeof import('./overrides.js').parseOverrides> }> {
  const { values } = parse(args, TABLE[cmd].options);
  const { parseOverrides, profileRef } = await import('./use-lifecycle.js');
  return { profiles: (values.profile ?? []).map(profileRef), overrides: parseOverrides(values.set ?? []) };
}

/** create and launch always name what the sandbox may do beyond the defaults, on stderr. */
async function created(rec: SandboxRecord): Promise<void> {
  await printRisks(rec);
  console.log(`Created ${rec.name}`);
}

const create: Command = async (args) => {
  const name = createArgs(args, 'create');
  const { createSandbox } = await import('./use-lifecycle.js');
  await created(await createSandbox(name, await createOptions(args, 'create')));
  return 0;
};

const launch: Command = async (args) => {
  const name = createArgs(args, 'launch');
  const w = waitOf(parse(args, TABLE.launch.options).values);
  void growFdTable();
  const { launchSandbox } = await import('./use-lifecycle.js');
  const options = await createOptions(args, 'launch');
  if (w !== null) {
    // The signals are this command's while it waits (startWaiting): launch only reverts and holds them.
    return startWaiting([name], w, 'Started', async (n) => ({ rt: await launchSandbox(n, options, { onCreated: created }), wasRunning: false }));
  }
  // launch = create + start; the engine removes the sandbox it created when the start fails or a
  // signal interrupts it, then this process ends by that signal.
  const rt = await launchSandbox(name, options, { onCreated: created });
  console.log(`Started ${name} (pid ${rt.init?.pid})`);
  return 0;
};

/** A profile file that changed since the last start is said on stderr, one `warning:` line each. */
const profileChangeOpts = { onProfileChange: (lines: string[]) => void process.stderr.write(lines.map((l) => `${l}\n`).join('')) };

const start: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.start.options);
  const w = waitOf(values);
  const names = needNames(positionals, 'start');
  // As for run: a start holds more than 64 descriptors at once (fd-table.ts).
  void growFdTable();
  const { startSandbox } = await import('./use-lifecycle.js');
  if (w !== null) return startWaiting(names, w, 'Started', async (n) => ({ rt: await startSandbox(n, undefined, profileChangeOpts), wasRunning: false }));
  return eachName(names, async (n) => `Started ${n} (pid ${(await startSandbox(n, undefined, profileChangeOpts)).init?.pid})`);
};

/** lifecycle/wait-tunnel.ts's DEFAULT_TUNNEL_WAIT_SEC, written out so that `help` loads no engine code (a unit test checks they agree). */
export const TUNNEL_WAIT_DEFAULT = 60;

/** --wait and --wait-timeout of start, launch and restart: the seconds to wait, or null without --wait. */
export function waitOf(values: { wait?: boolean | undefined; 'wait-timeout'?: string | undefined }): number | null {
  const v = values['wait-timeout'];
  if (v !== undefined && !values.wait) throw usageError('--wait-timeout goes with --wait', 'Add --wait, e.g. --wait --wait-timeout 120.');
  if (!values.wait) return null;
  if (v === undefined) return TUNNEL_WAIT_DEFAULT;
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(Number(v))) throw usageError(`--wait-timeout ${v}: expected seconds (a number, 0 or more)`, 'Give a number of seconds, e.g. --wait-timeout 120.');
  return Number(v);
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type HeldSignal = keyof typeof SIGNAL_NUMBERS;

/**
 * start, launch and restart with --wait: starts each name (a failure is reported and the others go
 * on), then waits for the tunnel of each VPN sandbox among them at once (lifecycle/wait-tunnel.ts).
 * A tunnel that fails, a sandbox that stops, or the timeout passing is an error naming the reason,
 * and a sandbox this command brought up from STOPPED is stopped again: nothing half-up is left. A
 * restarted sandbox that was running before is left running. SIGINT, SIGTERM or SIGHUP, from the
 * first start on, stop every sandbox this command brought up; the exit code is then 128 + the signal.
 */
async function startWaiting(names: string[], timeoutSec: number, verb: 'Started' | 'Restarted', startOne: (n: string) => Promise<{ rt: StartedState; wasRunning: boolean }>): Promise<number> {
  const eng = await import('./use-lifecycle.js');
  const { printError } = await import('./output.js');
  const ac = new AbortController();
  let caught: HeldSignal | null = null;
  // Held from before the first start: a signal during a start ends that start (it reverts, and
  // its own handler re-raises nothing while this one listens), one while waiting ends the wait.
  const handlers = (Object.keys(SIGNAL_NUMBERS) as HeldSignal[]).map((sig) => [sig, () => {
    caught ??= sig;
    ac.abort();
  }] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  let failed = 0;
  const started: { name: string; rt: StartedState; wasRunning: boolean }[] = [];
  const stopAgain = async (name: string): Promise<boolean> => {
    try {
      await eng.stopSandbox(name, {});
      return true;
    } catch (err) {
      printError(err, false);
      return false;
    }
  };
  try {
    for (const name of names) {
      if (caught) break;
      try {
        started.push({ name, ...(await startOne(name)) });
      } catch (err) {
        failed++;
        printError(err, false);
      }
    }
    const results = caught ? [] : await Promise.all(started.map(async (s) => {
      if (!eng.hasTunnel(s.rt) || !s.rt.init) return null;
      process.stderr.write(`sandtray: waiting up to ${timeoutSec} s for the VPN tunnel of ${s.name} to connect\n`);
      return eng.waitForTunnel(s.name, s.rt.init, timeoutSec, { signal: ac.signal });
    }));
    if (caught) {
      const ours = started.filter((s) => !s.wasRunning);
      const stopped: string[] = [];
      for (const s of ours) if (await stopAgain(s.name)) stopped.push(s.name);
      const kept = started.filter((s) => s.wasRunning).map((s) => s.name);
      process.stderr.write(`sandtray: interrupted (${caught})${stopped.length ? `; stopped ${stopped.join(', ')}, which this command started` : ''}${kept.length ? `; ${kept.join(', ')} left running, as before the restart` : ''}\n`);
      return 128 + SIGNAL_NUMBERS[caught];
    }
    for (const [i, s] of started.entries()) {
      const r = results[i] ?? null;
      const pid = s.rt.init?.pid;
      if (r === null) {
        process.stdout.write(`${verb} ${s.name} (pid ${pid})\n`);
        continue;
      }
      if (r.outcome === 'up') {
        const st = r.status;
        const where = [st.addresses.join(', '), st.endpoint ? `via ${st.endpoint}` : ''].filter(Boolean).join(' ');
        // The addresses come from the VPN server: shown, never acted on.
        process.stdout.write(`${visible(`${verb} ${s.name} (pid ${pid}), VPN connected${where ? `: ${where}` : ''}`)}\n`);
        continue;
      }
      failed++;
      const see = `See \`sandtray vpn status ${s.name}\` and \`sandtray log ${s.name}\``;
      let why: string;
      let hint: string;
      if (r.outcome === 'ended') {
        const { recordedExitCode } = await import('../api/inspect.js');
        const code = r.state === 'DELETED' ? null : recordedExitCode(s.name);
        why = r.state === 'DELETED'
          ? `Sandbox "${s.name}" was deleted while waiting for its VPN tunnel`
          : `Sandbox "${s.name}" stopped while waiting for its VPN tunnel (${code === null ? 'its pid 1 ended' : `its pid 1 exited with status ${code}`})`;
        printError(new SandtrayError('START_FAILED', why, r.state === 'DELETED' ? 'Nothing is left of it.' : `See \`sandtray log ${s.name}\` for what pid 1 and the VPN client said.`), false);
        continue;
      }
      if (r.outcome === 'failed') {
        why = `the VPN tunnel of "${s.name}" failed: ${r.message}`;
        hint = `${see}; fix the cause, then start it again.`;
      } else if (r.outcome === 'timeout') {
        const last = r.last ? `${r.last.state}${r.last.message ? ` (${r.last.message})` : ''}` : 'no tunnel status yet';
        why = `the VPN tunnel of "${s.name}" is not connected after ${timeoutSec} s; it is ${last}`;
        hint = `${see}; a slow server may need a longer --wait-timeout.`;
      } else continue;
      eng.noteTunnelWaitFailure(s.name, why);
      const fate = s.wasRunning
        ? `${s.name} is left running, as it was before the restart (\`sandtray stop ${s.name}\` stops it)`
        : (await stopAgain(s.name)) ? `${s.name} was stopped again, so nothing half-up is left` : `stopping ${s.name} again failed: stop it with \`sandtray stop --force ${s.name}\``;
      // The message holds the VPN server's words: printError shows them through visible().
      printError(new SandtrayError('VPN', `${why[0]!.toUpperCase()}${why.slice(1)}\n${fate}`, hint), false);
    }
    return failed ? 1 : 0;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

/** lifecycle/stop.ts's DEFAULT_STOP_TIMEOUT, written out so that `help` loads no engine code (a unit test checks they agree). */
export const STOP_TIMEOUT_DEFAULT = 10;
function timeoutOf(v: string | undefined): number {
  if (v === undefined) return STOP_TIMEOUT_DEFAULT;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw usageError(`--timeout ${v}: expected seconds`, 'Give a number of seconds, e.g. --timeout 10.');
  return n;
}

const stop: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.stop.options);
  const t = timeoutOf(values.timeout);
  const { stopSandbox } = await import('./use-lifecycle.js');
  return eachName(needNames(positionals, 'stop'), async (n) => {
    const how = await stopSandbox(n, { timeoutSec: t, force: values.force ?? false });
    return how === 'clean' ? `Stopped ${n}` : `Stopped ${n} (killed${values.force ? '' : ` after ${t}s`})`;
  });
};

const restart: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.restart.options);
  const t = timeoutOf(values.timeout);
  const w = waitOf(values);
  const names = needNames(positionals, 'restart');
  void growFdTable();
  const { restartSandbox, sandboxState } = await import('./use-lifecycle.js');
  // The engine's restart plans first: a profile that no longer validates leaves the sandbox running.
  const one = (n: string) => restartSandbox(n, { timeoutSec: t, force: values.force ?? false, ...profileChangeOpts });
  if (w !== null) return startWaiting(names, w, 'Restarted', async (n) => ({ wasRunning: sandboxState(n).state === 'RUNNING', rt: await one(n) }));
  return eachName(names, async (n) => `Restarted ${n} (pid ${(await one(n)).init?.pid})`);
};

const del: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.delete.options);
  const { deleteSandbox } = await import('./use-lifecycle.js');
  return eachName(needNames(positionals, 'delete'), async (n) => {
    await deleteSandbox(n, { force: values.force ?? false });
    return `Deleted ${n}`;
  });
};

const run: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.run.options);
  // The launch will hold more than 64 descriptors: the kernel grows the table meanwhile (fd-table.ts).
  void growFdTable();
  const one = await import('./use-run.js');
  const overrides = { home: 'tmpfs', ...(one.parseOverrides(values.set ?? []) ?? {}) };
  const profiles = (values.profile ?? []).map(one.profileRef);
  const command = positionals.length ? positionals : null;
  // One plan executed once: the command is the sandbox's payload, its state a throw-away folder
  // (lifecycle/run-once.ts). For what only the full lifecycle provides (VPN, a D-Bus proxy,
  // Wayland), create + start + attach + delete.
  {
    const tty = one.haveTerminal();
    const terminal = tty ? { rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80 } : null;
    let running: Awaited<ReturnType<typeof one.launchOnce>> | null = null;
    try {
      running = await one.launchOnce({
        profiles, overrides, command, env: callerTerm(), ...(terminal ? { terminal } : {}),
        // run's stderr is the command's: the risks go there only when a person is watching.
        onProfile: (profile) => {
          const risks = process.stderr.isTTY ? profileRisks(profile) : [];
          if (risks.length) process.stderr.write(visible(risks.map(formatRisk).join('\n'), { newlines: true }) + '\n');
        },
      });
    } catch (err) {
      if ((err as { fallback?: boolean }).fallback !== true) throw err;
    }
    if (running) {
      const r = running;
      try {
        const how = one.stdioRelays();
        r.go();
        return await one.relayChild(r.child, how, (sig) => {
          try {
            process.kill(r.init.pid, sig);
          } catch {
            // the sandbox is gone already
          }
        }, { raw: tty });
      } finally {
        await r.finish();
      }
    }
  }
  const { randomBytes } = await import('node:crypto');
  const { createSandbox, deleteSandbox, startSandbox } = await import('./use-lifecycle.js');
  const { attachSpec, haveTerminal, runAttached } = await import('./use-attach.js');
  const name = `run-${randomBytes(4).toString('hex')}`;
  const rec = await createSandbox(name, { profiles, overrides, ephemeral: true });
  // run's stderr is the command's: the risks go there only when a person is watching.
  if (process.stderr.isTTY) await printRisks(rec);
  try {
    await startSandbox(name);
    const spec = attachSpec(name, command, callerTerm(), undefined, { terminal: haveTerminal() });
    return await runAttached(spec.argv, spec.env);
  } finally {
    await deleteSandbox(name, { force: true }).catch(() => undefined);
  }
};

const shell: Command = async (args) => {
  const { positionals } = parse(args, {});
  const [name] = needNames(positionals, 'shell');
  const { attachSpec, haveTerminal, runAttached } = await import('./use-attach.js');
  const spec = attachSpec(name!, null, callerTerm(), undefined, { terminal: haveTerminal() });
  return runAttached(spec.argv, spec.env);
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** NAME=VALUE lines of an --env-file: blank lines and # comments skipped, values taken as written (no quotes removed). */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim().replace(/^export\s+/, '');
    if (eq < 0 || !ENV_NAME.test(key)) throw usageError(`--env-file ${file}: line ${i + 1} is not NAME=VALUE`, 'Each line is NAME=VALUE (names are letters, digits and "_"); # starts a comment.');
    if (line.includes('\0')) throw usageError(`--env-file ${file}: line ${i + 1} holds a NUL character`);
    env[key] = line.slice(eq + 1);
  });
  return env;
}

const exec: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.exec.options);
  const [name, ...cmd] = positionals;
  if (!name || !cmd.length) throw usageError('sandtray exec needs a sandbox name and a command', `Usage: sandtray ${TABLE.exec.usage[0]}`);
  // Values from files first, then --env: the command line has the last word. Neither puts a value on
  // any command line: they reach the sandbox through the attach's private environment file.
  const env: Record<string, string> = {};
  for (const f of values['env-file'] ?? []) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (err) {
      throw new SandtrayError('NOT_FOUND', `--env-file ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 'Give a file of NAME=VALUE lines.');
    }
    Object.assign(env, parseEnvFile(text, f));
  }
  for (const kv of values.env ?? []) {
    // NAME alone takes the value from our own environment, as podman's -e does: a secret then
    // appears on no command line at all (Sandtray itself passes values only through a 0600 file).
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (!ENV_NAME.test(key)) throw usageError(`--env ${kv}: expected NAME=VALUE or NAME`, 'Names are letters, digits and "_", e.g. --env DEBUG=1, or --env TOKEN to pass $TOKEN on.');
    if (eq < 0) {
      const v = process.env[key];
      if (v === undefined) throw usageError(`--env ${key}: ${key} is not set in this environment`, `Set it first (export ${key}=...), or give a value: --env ${key}=VALUE.`);
      env[key] = v;
    } else env[key] = kv.slice(eq + 1);
  }
  const workdir = values.workdir;
  if (workdir !== undefined && (!workdir.startsWith('/') || workdir.includes('\0'))) throw usageError(`--workdir ${workdir}: expected an absolute path inside the sandbox`, 'e.g. -w /srv/app');
  let argv = cmd;
  if (values.user !== undefined) {
    // The enter step runs as the sandbox's root; setpriv (util-linux) inside then takes the ids.
    const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(values.user);
    if (!m) throw usageError(`--user ${values.user}: expected UID or UID:GID (numbers)`, 'e.g. -u 1000 or -u 1000:1000');
    argv = ['setpriv', `--reuid=${m[1]}`, `--regid=${m[2] ?? m[1]}`, '--clear-groups', '--', ...cmd];
  }
  const { attachSpec, haveTerminal, runAttached } = await import('./use-attach.js');
  const spec = attachSpec(name, argv, { ...callerTerm(), ...env }, undefined, { terminal: haveTerminal(), ...(workdir ? { workdir } : {}) });
  return runAttached(spec.argv, spec.env);
};

/** A number option of `file push`: digits only, in base 8 for --mode. */
function numberOpt(flag: string, v: string | undefined, octal: boolean): number | undefined {
  if (v === undefined) return undefined;
  const ok = octal ? /^0?[0-7]{1,4}$/.test(v) : /^\d{1,10}$/.test(v);
  if (!ok || (!octal && Number(v) > 0xfffffffe)) throw usageError(`--${flag} ${v}: expected ${octal ? 'permission bits in octal, e.g. 0644' : 'a number, e.g. 1000'}`);
  return octal ? parseInt(v, 8) : Number(v);
}

/** `file push NAME HOSTFILE PATH` and `file pull NAME PATH HOSTPATH` (attach/file-copy.ts). */
const file: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.file.options);
  const [sub, name, from, to, ...extra] = positionals;
  if ((sub !== 'push' && sub !== 'pull') || !name || !from || !to || extra.length) {
    throw usageError(sub === 'push' || sub === 'pull' ? `sandtray file ${sub} needs a sandbox name and two paths` : `sandtray file needs push or pull${sub ? `, not "${sub}"` : ''}`, `Usage: sandtray ${TABLE.file.usage[0]}\n        sandtray ${TABLE.file.usage[1]}`);
  }
  const { pullFile, pushFile } = await import('../api/files.js');
  if (sub === 'pull') {
    if (values['create-dirs'] || values.mode !== undefined || values.uid !== undefined || values.gid !== undefined) throw usageError('--create-dirs, --mode, --uid and --gid are options of file push');
    await pullFile(name, from, to);
    return 0;
  }
  const mode = numberOpt('mode', values.mode, true);
  const uid = numberOpt('uid', values.uid, false);
  const gid = numberOpt('gid', values.gid, false);
  await pushFile(name, from, to, { createDirs: !!values['create-dirs'], ...(mode !== undefined ? { mode } : {}), ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) });
  return 0;
};

/** `open NAME APP`: one of the profile's apps, detached from the terminal, its output in the sandbox's log. */
const open: Command = async (args) => {
  const { positionals } = parse(args, {});
  const [name, appName] = positionals;
  if (!name || !appName || positionals.length > 2) throw usageError('sandtray open needs a sandbox name and an app', 'Usage: sandtray open NAME APP (the apps are listed by `sandtray info NAME`).');
  const { openSandboxApp } = await import('../api/apps.js');
  const { app } = await openSandboxApp(name, appName, profileChangeOpts);
  console.log(visible(`Opened ${app.title ?? app.name} in ${name} (its output: \`sandtray log ${name}\`)`));
  return 0;
};

/** `export NAME APP`: a desktop entry that runs `sandtray open NAME APP` (cli/desktop-entry.ts). */
const exportCmd: Command = async (args) => {
  const { positionals } = parse(args, TABLE.export.options);
  const [name, appName] = positionals;
  if (!name || !appName || positionals.length > 2) throw usageError('sandtray export needs a sandbox name and an app', `Usage: sandtray ${TABLE.export.usage[0]} (the apps are listed by \`sandtray info NAME\`).`);
  const { sandboxApp } = await import('../api/apps.js');
  const { app, profile } = sandboxApp(name, appName);
  const { exportEntry } = await import('../api/lifecycle.js');
  const file = exportEntry(name, app);
  if (!profile.display.wayland && !profile.display.x11) process.stderr.write(`warning: the profile of ${name} grants no display (display: {wayland: true} or {x11: true}): the app's windows cannot open\n`);
  console.log(visible(`Exported ${app.title ?? app.name} (${name}): ${file}`));
  return 0;
};

/** `unexport NAME [APP]`: removes the entry of one app, or every entry of the sandbox. */
const unexportCmd: Command = async (args) => {
  const { positionals } = parse(args, TABLE.unexport.options);
  const [name, appName] = positionals;
  if (!name || positionals.length > 2) throw usageError('sandtray unexport needs a sandbox name', `Usage: sandtray ${TABLE.unexport.usage[0]}`);
  const { checkName } = await import('../api/inspect.js');
  checkName(name);
  if (appName !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(appName)) throw usageError(`"${visible(appName)}" is not an app name`, 'App names are lowercase letters, digits and "-", as in the profile\'s apps.');
  const { unexportEntries } = await import('../api/lifecycle.js');
  const removed = unexportEntries(name, appName);
  if (appName !== undefined && !removed.length) throw new SandtrayError('NOT_FOUND', `Sandbox "${name}" has no desktop entry for app "${appName}"`, `\`sandtray export ${name} ${appName}\` makes one.`);
  for (const f of removed) console.log(visible(`Removed ${f}`));
  if (!removed.length) console.log(`Sandbox ${name} has no desktop entries`);
  return 0;
};

const list: Command = async (args) => {
  const { values } = parse(args, TABLE.list.options, false);
  const format = values.format ?? (values.json ? 'json' : 'table');
  if (!(LIST_FORMATS as readonly string[]).includes(format)) throw usageError(`--format ${format}: expected one of ${LIST_FORMATS.join(', ')}`, 'e.g. sandtray list --format names');
  const states = (values.state ?? []).map((s) => s.toUpperCase());
  const { listSandboxes, STATES } = await import('./use-inspect.js');
  for (const s of states) if (s !== 'BROKEN' && !(STATES as readonly string[]).includes(s)) throw usageError(`--state ${s}: expected one of ${[...STATES, 'BROKEN'].join(', ')}`);
  const all = listSandboxes().filter((s) => !states.length || states.includes(s.broken ? 'BROKEN' : s.state));
  if (format === 'json') printJson(all);
  else if (format === 'names') {
    if (all.length) printLine(all.map((s) => s.name).join('\n'));
  } else if (!all.length) printLine(states.length ? `No sandboxes ${states.join(' or ')}.` : 'No sandboxes. Create one with `sandtray launch NAME --profile FILE`.');
  else printLine(table(['NAME', 'STATE', 'PID', 'NETWORK', 'PROFILES'], all.map((s) => [s.name, s.broken ? 'BROKEN' : s.state, s.pid, s.network, s.broken ? (s.problem ?? 'damaged record') : s.profiles.join(',') || '(defaults)'])));
  return 0;
};

/** " (really /x)" after a path that leads elsewhere through symbolic links. */
function really(resolved: string | undefined): string {
  return resolved ? ` (really ${resolved})` : '';
}

const info: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.info.options);
  const [name] = needNames(positionals, 'info');
  const { sandboxInfo } = await import('./use-inspect.js');
  const i = sandboxInfo(name!);
  if (values.json) {
    printJson(i);
    return 0;
  }
  const lines = [
    `Name:        ${i.name}`,
    `State:       ${i.state}`,
    `PID:         ${i.pid ?? '-'}`,
    `Uptime:      ${duration(i.uptimeSec)}`,
    `Created:     ${i.createdAt}`,
    `Profiles:    ${i.profiles.join(', ') || '(defaults only)'}`,
    `Network:     ${i.network}${i.isolated.network ? '' : '  (NOT isolated: shares your network and your desktop, see the warning)'}`,
  ];
  if (i.problem) lines.push(`Problem:     ${i.problem}`);
  if (i.risks.length) lines.push('', ...i.risks.map(formatRisk));
  if (i.profile) {
    lines.push('', 'Expanded profile (value  <- origin):');
    const p = i.profile;
    const o = (k: string): string => `  <- ${i.origins[k] ?? 'default'}`;
    lines.push(`  hostname: ${p.hostname}${o('hostname')}`);
    lines.push(`  command: ${p.command ? JSON.stringify(p.command) : '(login shell)'}${o('command')}`);
    lines.push(`  workdir: ${p.workdir ?? '/root'}${o('workdir')}`);
    lines.push(`  home: ${p.home}${o('home')}`);
    lines.push(`  network.mode: ${p.network.mode}${o('network.mode')}`);
    for (const f of p.network.ports) lines.push(`  network.ports: ${f.address.includes(':') ? `[${f.address}]` : f.address}:${f.host} -> ${f.sandbox}/${f.proto}${o(`network.ports[${f.host}/${f.proto}]`)}`);
    lines.push(`  idmap: ${p.idmap.mode}, size ${p.idmap.size}${o('idmap.mode')}`);
    lines.push(`  nesting: ${p.nesting}${o('nesting')}`);
    lines.push(`  display: wayland ${p.display.wayland}${o('display.wayland')}; x11 ${p.display.x11}${o('display.x11')}`);
    lines.push(`  audio: ${p.audio}${o('audio')}; gpu: ${p.gpu}${o('gpu')}; dbus: ${p.dbus.mode}${p.dbus.talk.length ? ` (talk: ${p.dbus.talk.join(', ')})` : ''}${o('dbus.mode')}`);
    lines.push(`  stopWhenIdle: ${p.stopWhenIdle}${o('stopWhenIdle')}`);
    for (const a of p.apps) lines.push(`  app ${a.name}: ${JSON.stringify(a.command)}${a.title ? ` "${a.title}"` : ''}${o(`apps[${a.name}]`)}`);
    for (const [k, v] of Object.entries(p.env)) lines.push(`  env.${k}: ${v}${o(`env.${k}`)}`);
    for (const m of p.mounts) lines.push(`  mount ${m.source}${really(resolvedIfDifferent(m.source))} -> ${m.target} (${m.readOnly ? 'ro' : 'rw'}${m.optional ? ', optional' : ''})${o(`mounts[${m.target}]`)}`);
  }
  // What of the desktop session it was granted at start, or would be if started now (plan/graphics.ts).
  if (i.desktop.notes.length) lines.push('', i.desktop.granted ? 'Desktop:' : 'Desktop (if started now):', ...i.desktop.notes.map((n) => `  ${n}`));
  if (Object.keys(i.namespaces).length) {
    lines.push('', 'Namespaces:');
    for (const [k, v] of Object.entries(i.namespaces)) lines.push(`  ${k.padEnd(7)} ${v}`);
  }
  if (i.idmap) {
    lines.push('', 'Id map (inside outside count):', '  uid:', ...formatMapLines(i.idmap.uid).trimEnd().split('\n').map((l) => `   ${l}`), '  gid:', ...formatMapLines(i.idmap.gid).trimEnd().split('\n').map((l) => `   ${l}`));
  }
  if (i.idmapNote) lines.push(`  note: ${i.idmapNote}`);
  if (i.mounts.length) {
    lines.push('', 'Mounts:');
    for (const m of i.mounts) lines.push(`  ${m.op.padEnd(11)} ${m.source ? `${m.source}${really(m.resolved)} -> ` : ''}${m.target}`);
  }
  if (i.pids.length) {
    lines.push('', 'Processes:', table(['HOSTPID', 'PID', 'UID', 'COMMAND'], i.pids.map((p) => [p.host, p.inside, p.uid, p.command])).replace(/^/gm, '  '));
  }
  // Profile values and process names may come from anyone: show their control characters.
  printLine(visible(lines.join('\n'), { newlines: true, tabs: true }));
  return 0;
};

const ps: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.ps.options);
  const [name] = needNames(positionals, 'ps');
  const { runningSandbox } = await import('../api/attach.js');
  const { sandboxProcesses } = await import('./use-inspect.js');
  const procs = sandboxProcesses(runningSandbox(name!));
  if (values.json) printJson(procs);
  else console.log(table(['HOSTPID', 'PID', 'UID', 'COMMAND'], procs.map((p) => [p.hostPid, p.pid, p.uid, p.command])));
  return 0;
};

const pid: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.pid.options);
  let pids = positionals;
  if (pids.length === 1 && pids[0] === '-') pids = fs.readFileSync(0, 'utf8').split(/\s+/).filter(Boolean);
  if (!pids.length) throw usageError('sandtray pid needs host pids (or - to read them from stdin)', 'Usage: sandtray pid HOSTPID... | -');
  const { sandboxOfPid } = await import('./use-inspect.js');
  const rows = pids.map((p) => {
    if (!/^\d+$/.test(p)) throw usageError(`"${p}" is not a pid`, 'Pass host process ids as numbers, or - to read them from stdin.');
    const hit = sandboxOfPid(Number(p));
    return { hostPid: Number(p), sandbox: hit?.name ?? null, pid: hit?.pid ?? null };
  });
  if (values.json) printJson(rows);
  else console.log(table(['HOSTPID', 'SANDBOX', 'PID'], rows.map((r) => [r.hostPid, r.sandbox ?? '(host or unknown)', r.pid])));
  return rows.every((r) => r.sandbox) ? 0 : 1;
};

const log: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.log.options);
  const [name] = needNames(positionals, 'log');
  const { readRecord, sandboxDirs } = await import('../api/inspect.js');
  const { readSandboxLog, followSandboxLog, formatLogLine, sandboxOutputFile } = await import('../api/inspect.js');
  readRecord(name!);
  const file = sandboxDirs(name!).log;
  if (values.path) {
    if (values.json) printJson({ sandtray: file, sandbox: sandboxOutputFile(file) });
    else console.log(file);
    return 0;
  }
  // The lifecycle lines (written by Sandtray only), then the sandbox's own output, each of its
  // lines marked; on a terminal every control character shows, in JSON strings stay intact.
  const TAIL = 8 * 1024 * 1024;
  const show = (lines: { source: 'sandtray' | 'sandbox'; line: string }[]): void => {
    for (const l of lines) process.stdout.write(values.json ? `${safeJson(l)}\n` : `${formatLogLine(l)}\n`);
  };
  const shortened = (snap: ReturnType<typeof readSandboxLog>): void => {
    for (const s of ['sandtray', 'sandbox'] as const) {
      if (snap.truncated[s]) process.stderr.write(`sandtray: only the end of ${snap.files[s]} is shown\n`);
    }
  };
  if (!values.follow) {
    const snap = readSandboxLog(file, TAIL);
    shortened(snap);
    if (values.json) printJson(snap.lines);
    else show(snap.lines);
    return 0;
  }
  // Following prints one JSON object per line with --json; what follows starts right after what is shown first.
  // Ends with Ctrl-C, or once the sandbox is deleted (its record gone), with what it wrote last.
  const record = sandboxDirs(name!).record;
  await new Promise<void>((resolve) => {
    const end = (): void => {
      f.close();
      process.off('SIGINT', end);
      process.off('SIGTERM', end);
      resolve();
    };
    const f = followSandboxLog(file, show, TAIL, {
      gone: () => !fs.existsSync(record),
      onEnd: () => {
        process.stderr.write(`sandtray: ${name} was deleted; nothing more to follow\n`);
        end();
      },
    });
    shortened(f.initial);
    show(f.initial.lines);
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  return 0;
};

const assets: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.assets.options);
  const [name] = needNames(positionals, 'assets');
  const { sandboxAssets } = await import('./use-inspect.js');
  const a = sandboxAssets(name!);
  if (values.json) printJson(a);
  else console.log(table(['TYPE', 'PATH', 'VALID', 'PURPOSE'], a.map((x) => [x.type, x.path, x.valid ? 'yes' : `NO (${x.problem ?? 'invalid'})`, x.purpose])));
  return a.every((x) => x.valid) ? 0 : 1;
};

const monitor: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.monitor.options);
  let re: RegExp | null = null;
  try {
    re = positionals[0] ? new RegExp(positionals[0]) : null;
  } catch (err) {
    throw usageError(`Bad regular expression: ${(err as Error).message}`, 'Pass a JavaScript regular expression matching sandbox names, e.g. "^work-".');
  }
  const { watchStates } = await import('../api/events.js');
  await new Promise<void>((resolve) => {
    const w = watchStates((e) => {
      if (re && !re.test(e.name)) return;
      if (values.json) process.stdout.write(JSON.stringify(e) + '\n');
      // The VPN's message carries text from the client and the server: shown, never acted on.
      else process.stdout.write(`${visible(e.vpn ? `${e.time} ${e.name} VPN ${e.vpn.state}${e.vpn.message ? ` (${e.vpn.message})` : ''}` : `${e.time} ${e.name} ${e.state}`)}\n`);
    });
    const end = (): void => {
      w.close();
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  return 0;
};

const wait: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.wait.options);
  const [name] = needNames(positionals, 'wait');
  const want = (values.state ?? '').toUpperCase();
  const { STATES } = await import('./use-inspect.js');
  const { waitForState } = await import('../api/events.js');
  if (!STATES.includes(want as State)) throw usageError(`--state must be one of ${STATES.join(', ')}`, 'Usage: sandtray wait NAME --state RUNNING [--timeout S]');
  const { readRecord } = await import('../api/inspect.js');
  readRecord(name!);
  const t = values.timeout === undefined ? null : timeoutOf(values.timeout);
  try {
    await waitForState(name!, want as State, t);
  } catch {
    throw new SandtrayError('TIMEOUT', `Sandbox "${name}" did not reach ${want} within ${t}s`, `See \`sandtray info ${name}\`.`);
  }
  if (values.json) printJson({ name, state: want });
  return 0;
};

const plan: Command = async (args) => {
  const { values, positionals } = parse(args, TABLE.plan.options);
  const [name] = needNames(positionals, 'plan');
  const { planSandbox } = await import('./use-lifecycle.js');
  const { plan: p, idmapNote, profile: expanded } = await planSandbox(name!);
  // Every host source with the path it really resolves to (bwrap follows symbolic links), and the risks.
  const resolvedOf = (m: (typeof p.mounts)[number]): string | undefined => ('source' in m && m.op !== 'symlink' ? resolvedIfDifferent(m.source) : undefined);
  const risks = profileRisks(expanded);
  if (values.json) {
    printJson({ ...p, mounts: p.mounts.map((m) => { const r = resolvedOf(m); return r ? { ...m, resolved: r } : m; }), idmapNote, risks });
    return 0;
  }
  const { shQuote } = await import('../api/attach.js');
  const out = [
    `Sandbox ${p.name}, hostname ${p.hostname}, network ${p.network.mode}`,
    `Namespaces: ${p.namespaces.join(', ')}`,
    'Network:',
    ...p.network.steps.map((s) => `  ${s}`),
    'Id map (inside outside count):',
    ...p.idmap.uid.map((l) => `  uid ${l.inside} ${l.outside} ${l.count}`),
    ...p.idmap.gid.map((l) => `  gid ${l.inside} ${l.outside} ${l.count}`),
    ...(idmapNote ? [`  note: ${idmapNote}`] : []),
    'Mounts:',
    ...p.mounts.map((m) => `  ${m.op.padEnd(11)} ${'source' in m ? `${m.source}${really(resolvedOf(m))} -> ` : ''}${m.target}   # ${m.why}`),
    `Shell: ${p.shell}; command: ${p.command.join(' ')}; workdir: ${p.workdir}`,
    ...(p.desktop.length ? ['Desktop:', ...p.desktop.map((n) => `  ${n}`)] : []),
    `Root inside holds: ${p.confine.caps.join(', ')}`,
    `Seccomp filter: ${p.confine.seccomp.instructions} instructions (${p.confine.seccomp.arch}); namespace and mount calls ${p.confine.seccomp.nesting || p.confine.seccomp.sysAdmin ? 'allowed' : 'refused'}`,
    'Command lines (bwrap reads its options from a pipe, the environment from a descriptor):',
    `  ${p.holders.map((a) => shQuote(a)).join(' ')}`,
    `  ${p.argv.map((a) => (a.includes('\n') ? "'<sandtray-enter script>'" : a.startsWith('seccomp=') ? `seccomp=<${p.confine.seccomp.instructions} instructions>` : shQuote(a))).join(' ')}`,
    // dbus: filtered: the proxy started on the host before bwrap (network/bus-proxy.ts).
    ...(p.busProxy ? [`  ${['xdg-dbus-proxy', '--fd=3', p.busProxy.address, p.busProxy.socket, ...p.busProxy.args].map(shQuote).join(' ')}`] : []),
    ...(risks.length ? ['', ...risks.map(formatRisk)] : []),
  ];
  console.log(visible(out.join('\n'), { newlines: true }));
  return 0;
};

const doctorCmd: Command = async (args) => {
  const { values } = parse(args, TABLE.doctor.options, false);
  const { doctor } = await import('../api/host.js');
  const checks = await doctor();
  if (values.json) printJson(checks);
  else {
    for (const c of checks) {
      const mark = c.level === 'ok' ? 'ok  ' : c.level === 'warn' ? 'WARN' : 'FAIL';
      console.log(`[${mark}] ${c.detail}`);
      if (c.fix && c.level !== 'ok') console.log(`       fix: ${c.fix}`);
    }
    const bad = checks.filter((c) => c.level === 'error').length;
    console.log(bad ? `\n${bad} problem(s) stop Sandtray from working here.` : '\nThis host can run Sandtray sandboxes.');
  }
  return checks.every((c) => c.ok) ? 0 : 1;
};

const profile: Command = async (args) => {
  const [sub, ...rest] = args;
  if (sub === 'schema') {
    const { profileJsonSchema } = await import('../api/profiles.js');
    printJson(profileJsonSchema());
    return 0;
  }
  if (sub === 'validate') {
    const { values, positionals } = parse(rest, TABLE.profile.options);
    if (!positionals.length) throw usageError('sandtray profile validate needs a file', 'Usage: sandtray profile validate FILE...');
    let bad = 0;
    const results: { file: string; valid: boolean; error?: unknown; risks?: Risk[] }[] = [];
    for (const f of positionals) {
      // The risks are shown with "valid", and with the host problems when the schema holds.
      let risks: Risk[] | undefined;
      try {
        const { loadLayerFile } = await import('../api/profiles.js');
        const layer = loadLayerFile(f);
        const { expandLayers } = await import('../api/profiles.js');
        const { checkProfileOnHost } = await import('../api/profiles.js');
        const expanded = expandLayers('check', [{ origin: f, layer }]).profile;
        risks = profileRisks(expanded);
        checkProfileOnHost(expanded);
        results.push({ file: f, valid: true, risks });
        if (!values.json) console.log(visible([`${f}: valid`, ...risks.map(formatRisk)].join('\n'), { newlines: true }));
      } catch (err) {
        bad++;
        const { asSandtrayError } = await import('../api/base.js');
        const e = asSandtrayError(err);
        results.push({ file: f, valid: false, error: e.toJSON(), ...(risks ? { risks } : {}) });
        if (!values.json) console.error(visible([`${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`, ...(risks ?? []).map(formatRisk)].join('\n'), { newlines: true }));
      }
    }
    if (values.json) printJson(results);
    return bad ? 1 : 0;
  }
  if (sub === 'list') {
    const { values } = parse(rest, TABLE.profile.options, false);
    const { listProfiles } = await import('../api/profiles.js');
    const all = listProfiles();
    if (values.json) printJson(all);
    else console.log(table(['NAME', 'FILE'], all.map((p) => [p.name, p.file + (p.shipped ? ' (example)' : '')])));
    return 0;
  }
  if (sub === 'show') {
    const { values, positionals } = parse(rest, TABLE.profile.options);
    if (!positionals[0]) throw usageError('sandtray profile show needs a profile name', 'Usage: sandtray profile show NAME (see `sandtray profile list`).');
    // A profile may come from anywhere (a download, another user's file): its bytes are shown, not obeyed.
    const { profileFile, profileRef } = await import('../api/profiles.js');
    const file = profileFile(profileRef(positionals[0]));
    const text = fs.readFileSync(file, 'utf8');
    if (values.json) {
      // The text as it is, and the layer it parses to (sources resolved), or why it does not.
      const { loadLayerFile } = await import('../api/profiles.js');
      const { asSandtrayError } = await import('../api/base.js');
      let layer: unknown = null;
      let error: unknown = null;
      try {
        layer = loadLayerFile(file);
      } catch (err) {
        error = asSandtrayError(err).toJSON();
      }
      printJson({ name: positionals[0], file, text, layer, ...(error ? { error } : {}) });
      return 0;
    }
    process.stdout.write(process.stdout.isTTY ? visible(text, { newlines: true, tabs: true }) : text);
    return 0;
  }
  throw usageError(`Unknown profile command "${sub ?? ''}"`, 'Use: sandtray profile list | show NAME | validate FILE... | schema');
};

const paths: Command = async (args) => {
  const { values } = parse(args, TABLE.paths.options, false);
  if (values.json) printJson(sandtrayPaths());
  else console.log(pathsText());
  return 0;
};

const completion: Command = async (args) => {
  const { positionals } = parse(args, TABLE.completion.options);
  if (positionals.length !== 1) throw usageError('sandtray completion needs a shell: bash, zsh or fish', `Usage: sandtray ${TABLE.completion.usage[0]}`);
  const { completionScript } = await import('./help.js');
  process.stdout.write(completionScript(positionals[0]!));
  return 0;
};

const man: Command = async (args) => {
  parse(args, TABLE.man.options, false);
  const { manPage } = await import('./help.js');
  process.stdout.write(manPage());
  return 0;
};

/**
 * Every command of the table (cli/table.ts) but `help`, which main.ts answers. The usage, options
 * and help of each are in the table; a unit test checks the two name the same commands.
 */
export const COMMANDS: Record<string, { run: Command }> = {
  doctor: { run: doctorCmd },
  create: { run: create },
  launch: { run: launch },
  start: { run: start },
  stop: { run: stop },
  restart: { run: restart },
  delete: { run: del },
  run: { run },
  shell: { run: shell },
  open: { run: open },
  export: { run: exportCmd },
  unexport: { run: unexportCmd },
  exec: { run: exec },
  file: { run: file },
  list: { run: list },
  info: { run: info },
  ps: { run: ps },
  pid: { run: pid },
  log: { run: log },
  assets: { run: assets },
  monitor: { run: monitor },
  wait: { run: wait },
  plan: { run: plan },
  profile: { run: profile },
  ...VPN_COMMANDS,
  idmap: { run: async (args) => (await import('./idmap-commands.js')).idmapCommand(args) },
  paths: { run: paths },
  completion: { run: completion },
  man: { run: man },
  __complete: { run: async (args) => (await import('./complete.js')).completeCommand(args) },
};

/** Where things live, for `sandtray paths`. */
export function pathsText(): string {
  const p = sandtrayPaths();
  return `config  ${p.config}\ndata    ${p.data}\nstate   ${p.state}\nruntime ${p.runtime}`;
}

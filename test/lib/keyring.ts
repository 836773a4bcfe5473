// A real Secret Service for tests: gnome-keyring-daemon, unlocked, inside its own dbus-run-session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';

export interface Keyring {
  /** DBUS_SESSION_BUS_ADDRESS of the session that holds the keyring. */
  address: string;
  stop(): Promise<void>;
}

/** Starts dbus-run-session with an unlocked gnome-keyring in it; resolves with the bus address. */
export async function startKeyring(): Promise<Keyring> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-keyring-'));
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
    LANG: 'C.UTF-8',
  };
  fs.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  // The keyring's own unlock password: a throw-away value, given on stdin.
  const unlock = randomBytes(12).toString('hex');
  // The sleep keeps the session; ending it (its pid is the shell's, printed first) ends the bus,
  // and gnome-keyring with it. Killing dbus-run-session itself would leave the bus behind.
  const script = 'printf "%s\\n%s\\n" "$DBUS_SESSION_BUS_ADDRESS" "$$"; gnome-keyring-daemon --unlock --components=secrets >/dev/null; echo ready; exec sleep 3600';
  const child: ResultPromise = execa('dbus-run-session', ['--', 'sh', '-c', script], { env, extendEnv: false, input: `${unlock}\n`, reject: false, buffer: false, stderr: 'ignore' });
  const [address, pid] = await new Promise<[string, number]>((resolve, reject) => {
    let out = '';
    // A bound for a positive condition (met as soon as the keyring is up): generous, for a loaded machine.
    const timer = setTimeout(() => reject(new Error('gnome-keyring did not start within 60 s')), 60_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      if (lines.includes('ready')) {
        clearTimeout(timer);
        resolve([lines[0]!, Number(lines[1])]);
      }
    });
    void child.then(() => reject(new Error(`dbus-run-session exited: ${out}`)));
  });
  return {
    address,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await child;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Terminal tabs: a pseudo-terminal per tab running the engine's attach argv. Closing a tab ends that
// tab's shell session and nothing else: the sandbox and its other shells keep running.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pty from 'node-pty';
import { SandtrayError } from '../../helpers/api/index.js';
import { attachSpec, listPids } from '../../helpers/api/index.js';

export interface TerminalEvents {
  data(id: string, data: string): void;
  exit(id: string, exitCode: number | null): void;
}

interface Session {
  id: string;
  name: string;
  owner: number;
  term: pty.IPty;
  closed: boolean;
}

/** Session id (field 6 of /proc/PID/stat) of a pid, as seen from here; null when gone. */
function sessionOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return null;
  }
}

/** Host pids in the session led by `sid`: the tab's nsenter and everything the shell started in it. */
export function sessionMembers(sid: number): number[] {
  return listPids().filter((p) => sessionOf(p) === sid);
}

function signalAll(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  }
}

/** All open terminal tabs, each tied to the window that opened it. */
export class TerminalSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly events: TerminalEvents, private readonly killGraceMs = 1500) {}

  /** Opens a login shell inside a running sandbox on a new pseudo-terminal. */
  open(name: string, cols: number, rows: number, owner: number): { id: string; title: string } {
    // terminal: script(1) inside gives the shell a pty from the sandbox's own devpts, so tty and job
    // control work there; our pty only carries its bytes.
    const spec = attachSpec(name, null, { TERM: 'xterm-256color', COLORTERM: 'truecolor' }, undefined, { terminal: true });
    const [file, ...args] = spec.argv;
    const id = randomBytes(12).toString('base64url');
    // node-pty starts the child in a new session with the pty as its controlling terminal, so the
    // shell can never reach our own terminal (TIOCSTI) and its session marks what a close must end.
    const term = pty.spawn(file!, args, { name: 'xterm-256color', cols, rows, cwd: '/', env: { ...spec.env, TERM: 'xterm-256color' } });
    const session: Session = { id, name, owner, term, closed: false };
    this.sessions.set(id, session);
    term.onData((d) => this.events.data(id, d));
    term.onExit(({ exitCode }) => {
      this.sessions.delete(id);
      this.events.exit(id, Number.isInteger(exitCode) ? exitCode : null);
    });
    return { id, title: `${name} · shell` };
  }

  private get(id: string, owner: number): Session {
    const s = this.sessions.get(id);
    if (!s || s.owner !== owner) throw new SandtrayError('NOT_FOUND', 'That terminal is closed', 'Open a new shell.');
    return s;
  }

  input(id: string, data: string, owner: number): void {
    this.get(id, owner).term.write(data);
  }

  resize(id: string, cols: number, rows: number, owner: number): void {
    const s = this.get(id, owner);
    if (!s.closed) s.term.resize(cols, rows);
  }

  /** Open tabs: id, sandbox and the host pid of the tab's session leader. */
  list(): { id: string; name: string; pid: number }[] {
    return [...this.sessions.values()].map((s) => ({ id: s.id, name: s.name, pid: s.term.pid }));
  }

  /** Host pids of a tab's session (for tests and diagnostics). */
  pidsOf(id: string): number[] {
    const s = this.sessions.get(id);
    return s ? sessionMembers(s.term.pid) : [];
  }

  /** Ends one tab: SIGHUP to its session (what closing a terminal window does), SIGKILL if it lingers. */
  close(id: string, owner: number): void {
    const s = this.get(id, owner);
    this.end(s);
  }

  private end(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    const sid = s.term.pid;
    signalAll(sessionMembers(sid), 'SIGHUP');
    const timer = setTimeout(() => {
      signalAll(sessionMembers(sid), 'SIGKILL');
      try {
        s.term.kill('SIGKILL');
      } catch {
        // gone
      }
    }, this.killGraceMs);
    timer.unref();
  }

  /** Ends every tab of a window (it closed or navigated away). */
  closeOwner(owner: number): void {
    for (const s of [...this.sessions.values()]) if (s.owner === owner) this.end(s);
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s);
  }

  get count(): number {
    return this.sessions.size;
  }
}

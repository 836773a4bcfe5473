// Waiting for a VPN sandbox's tunnel state through `sandtray vpn status --json`.
import { execa } from 'execa';
import { BIN, type Env } from './sandtray.js';
import { until } from './vpn-lab.js';

export type VpnJson = Record<string, unknown> & { state: string; message: string | null };

/** The tunnel status, as `vpn status --json` prints it. */
export async function vpnStatus(e: Env, name: string): Promise<VpnJson> {
  const r = await e.run(['vpn', 'status', name, '--json']);
  return JSON.parse(r.stdout || '{}') as VpnJson;
}

/** Waits for a tunnel state; fails early with the log when the tunnel fails unexpectedly. */
export async function waitVpn(e: Env, name: string, want: string, timeoutMs = 30_000): Promise<VpnJson> {
  let st = {} as VpnJson;
  await until(async () => {
    st = await vpnStatus(e, name);
    if (st.state === 'failed' && want !== 'failed') throw new Error(`VPN of ${name} failed: ${String(st.message)}\n${(await e.run(['log', name])).stdout.slice(-3000)}`);
    return st.state === want;
  }, timeoutMs, `${name} to be ${want} (last: ${JSON.stringify(st)})`);
  return st;
}

/**
 * `sandtray start NAME` on a terminal (script(1)), answering the question that ends with
 * `PROMPT for sandbox NAME: ` once it is on the screen; what the terminal showed and the exit code.
 */
export async function startTyping(e: Env, name: string, prompt: string, answer: string): Promise<{ exitCode: number | undefined; screen: string }> {
  const p = execa('script', ['-qec', `${process.execPath} ${BIN} start ${name}`, '/dev/null'], { env: e.env, extendEnv: false, reject: false, stdin: 'pipe', timeout: 60_000 });
  let screen = '';
  let typed = false;
  p.stdout!.on('data', (d: Buffer) => {
    screen += d.toString();
    if (!typed && screen.includes(`${prompt} for sandbox ${name}: `)) {
      typed = true;
      p.stdin!.write(`${answer}\r`);
    }
  });
  const r = await p;
  return { exitCode: r.exitCode, screen };
}

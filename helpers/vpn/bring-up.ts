// Bringing an OpenVPN tunnel up inside the sandbox, once the client reports CONNECTED: the settings
// from the pushed options and the configuration's own lines, the device moved out of the uplink and
// configured, the sandbox's resolv.conf written. The agent (agent.ts) runs this as a short-lived
// Node process (bring-up-main.ts) with its input on stdin; the status fields come back on stdout.
import path from 'node:path';
import { z } from 'zod';
import { checkStateDir } from '../core/trust.js';
import { configureDevice, hasDevice, moveDevice, writeResolvConf } from './apply.js';
import { openvpnTunnel, splitPushReply } from './tunnel.js';

export const bringUpSpecSchema = z.object({
  name: z.string(),
  initPid: z.number(),
  uplinkPid: z.number(),
  dev: z.string(),
  resolvFile: z.string(),
  directives: z.array(z.object({ name: z.string(), args: z.array(z.string()), line: z.number() })),
});
export type BringUpSpec = z.infer<typeof bringUpSpecSchema>;

const inputSchema = z.object({
  spec: bringUpSpecSchema,
  /** The PUSH_REPLY messages of the last push, in order (a long one comes in parts). */
  replies: z.array(z.string()),
});

/** The pushed options of a push's replies, without the continuation markers. */
export function pushedOptions(replies: readonly string[]): string[] {
  return replies.flatMap(splitPushReply).filter((x) => !x.startsWith('push-continuation'));
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

/**
 * Brings the tunnel up and returns what the agent reads: `FIELD<TAB>JSON` per status field,
 * `log<TAB>HEX` per note, `error<TAB>HEX` when it could not.
 */
export async function bringUp(inputText: string): Promise<string> {
  const out: string[] = [];
  try {
    const { spec, replies } = inputSchema.parse(JSON.parse(inputText));
    const s = openvpnTunnel(pushedOptions(replies), spec.directives, spec.dev);
    if (hasDevice(spec.uplinkPid, s.dev)) await moveDevice(spec.uplinkPid, spec.initPid, s.dev);
    await configureDevice(spec.initPid, s);
    // In place (it is bound into the sandbox), never through a link, and only in a folder of ours
    // that no one else can write.
    if (checkStateDir(path.dirname(spec.resolvFile)) === null) throw new Error(`${path.dirname(spec.resolvFile)} does not exist`);
    writeResolvConf(spec.resolvFile, s, spec.name);
    for (const x of s.skipped) out.push(`log\t${hex(`not applied: ${x}`)}`);
    const fields = {
      addresses: s.addresses.map((a) => (a.peer ? `${a.address} peer ${a.peer}` : a.address)),
      routes: s.routes,
      dns: s.dns,
      domains: s.domains,
      mtu: s.mtu,
    };
    for (const [k, v] of Object.entries(fields)) out.push(`${k}\t${JSON.stringify(v)}`);
  } catch (err) {
    out.push(`error\t${hex((err as Error).message)}`);
  }
  return out.map((l) => `${l}\n`).join('');
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

/** Entry point: `node bring-up-main.js` with its input on stdin. */
export async function bringUpMain(): Promise<void> {
  process.stdout.write(await bringUp(await readStdin()));
}

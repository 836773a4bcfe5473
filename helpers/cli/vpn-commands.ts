// The `vpn` and `secret` commands, and the terminal prompt for secrets a start needs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SandtrayError } from '../api/base.js';
import { setSecretPrompt } from '../api/prompt.js';
import { duration, printJson, table, visible } from './output.js';
import { parseError, usageError } from './help.js';

type Command = (args: string[]) => Promise<number>;

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(err);
  }
}

/**
 * Reads one line from the terminal without echo (with need.echo, a one-time code the configuration
 * says to show, as typed); null without a terminal. Nothing is offered to be remembered: stored
 * secrets are set with `secret set`, and one-time codes are never stored.
 */
export async function readHidden(question: string, need?: { echo?: boolean }): Promise<string | null> {
  const echo = need?.echo === true;
  const stdin = process.stdin;
  if (!stdin.isTTY) return null;
  // Echo goes off before the question shows: what is typed as soon as it appears is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setEncoding('utf8');
    const done = (v: string | null, err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(v);
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n') return done(value);
        if (c === '\u0003') return done(null, new SandtrayError('INVALID_ARGUMENT', 'Cancelled'));
        if (c === '\u0004') return done(value || null);
        if (c === '\u007f' || c === '\b') {
          if (echo && value) process.stderr.write('\b \b');
          value = value.slice(0, -1);
        } else if (c >= ' ') {
          value += c;
          if (echo) process.stderr.write(c);
        }
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readStdinValue(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text.replace(/\r?\n$/, '');
}

// A start from a terminal asks for what the keyring does not hold.
setSecretPrompt(readHidden);

const human = (n: number | null): string => {
  if (n === null) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
};

const vpn: Command = async (args) => {
  const [sub, ...rest] = args;
  // Imported here, as in commands.ts: the other commands load none of it.
  const { listNames } = await import('../api/inspect.js');
  const { importVpn, reviewVpnFile, verdictForStore, verdictLines, vpnView } = await import('../api/vpn.js');
  if (sub === 'import') {
    const { values, positionals } = parse(rest, { name: { type: 'string', short: 'n' }, json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, store: { type: 'string' } });
    if (positionals.length !== 1) throw usageError('sandtray vpn import needs one file', 'Usage: sandtray vpn import FILE.ovpn|FILE.conf [--name NAME] [--store keyring|file] [--dry-run]');
    const { checkSecretStore } = await import('../api/secrets.js');
    const store = values.store === undefined ? undefined : checkSecretStore(values.store as string);
    if (values['dry-run']) {
      // The verdict alone: what an import would keep, rewrite, drop and refuse; nothing is written.
      const review = reviewVpnFile(positionals[0]!);
      if (values.json) printJson({ type: review.type, verdict: verdictForStore(review.verdict, store ?? 'keyring') });
      else {
        console.log(`${review.type === 'openvpn' ? 'OpenVPN' : 'WireGuard'} configuration: ${review.verdict.refused.length ? 'Sandtray refuses it' : 'Sandtray accepts it'}`);
        for (const n of verdictLines(review.verdict, store ?? 'keyring')) console.log(`  ${visible(n)}`);
      }
      return review.verdict.refused.length ? 1 : 0;
    }
    const r = await importVpn(positionals[0]!, { ...(values.name ? { name: values.name as string } : {}), ...(store ? { store } : {}) });
    if (values.json) printJson(r);
    else {
      console.log(`Imported ${r.type === 'openvpn' ? 'OpenVPN' : 'WireGuard'} configuration as sandbox ${r.name}`);
      for (const n of r.notes) console.log(`  ${visible(n)}`);
      console.log(`Start it with \`sandtray start ${r.name}\`, then open shells with \`sandtray shell ${r.name}\`.`);
    }
    return 0;
  }
  if (sub === 'status') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
    if (positionals.length > 1) throw usageError('sandtray vpn status takes one sandbox name', 'Usage: sandtray vpn status [NAME] [--json]');
    if (!positionals.length) {
      // Every VPN sandbox, one line each.
      const all = listNames().flatMap((n) => {
        try {
          return [vpnView(n)];
        } catch {
          return [];
        }
      });
      if (values.json) printJson(all);
      else if (!all.length) console.log('No VPN sandboxes. Import a configuration with `sandtray vpn import FILE`.');
      else console.log(table(['NAME', 'TYPE', 'SANDBOX', 'TUNNEL', 'ADDRESSES', 'ENDPOINT'], all.map((v) => [v.name, v.type, v.sandbox, v.state, v.addresses.join(',') || null, v.endpoint])));
      return 0;
    }
    const v = vpnView(positionals[0]!);
    const { secretFileDir, secretStoreOf } = await import('../api/secrets.js');
    const secretStore = secretStoreOf(v.name);
    if (values.json) {
      printJson({ ...v, secretStore });
      return 0;
    }
    const since = v.since ? Math.max(0, Math.round((Date.now() - Date.parse(v.since)) / 1000)) : null;
    const lines = [
      `VPN:        ${v.name} (${v.type}), sandbox ${v.sandbox}`,
      `State:      ${v.state}${v.since && v.state !== 'down' ? ` since ${v.since} (${duration(since)})` : ''}`,
    ];
    if (v.message) lines.push(`Message:    ${v.message}`);
    lines.push(`Secrets:    ${secretStore === 'file' ? `in files, not a keyring (chosen with --store file): ${secretFileDir(v.name)}/, mode 0600` : 'in the keyring (Secret Service)'}`);
    if (v.state !== 'down') {
      lines.push(
        `Endpoint:   ${v.endpoint ?? '-'}`,
        `Device:     ${v.device ?? '-'}${v.mtu ? `, MTU ${v.mtu}` : ''}`,
        `Addresses:  ${v.addresses.join(', ') || '-'}`,
        `Routes:     ${v.routes.map((r) => (r === '0.0.0.0/0' || r === '::/0' ? `${r} (default)` : r)).join(', ') || '-'}`,
        `DNS:        ${v.dns.join(', ') || '-'}${v.domains.length ? ` (search ${v.domains.join(' ')})` : ''}`,
        `Traffic:    in ${human(v.bytesIn)}, out ${human(v.bytesOut)}`,
      );
    }
    console.log(visible(lines.join('\n'), { newlines: true }));
    return v.state === 'failed' ? 1 : 0;
  }
  if (sub === 'verify') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw usageError('sandtray vpn verify takes one sandbox name', 'Usage: sandtray vpn verify NAME [--json]');
    const { verifyText, verifyVpn } = await import('../api/vpn.js');
    const { version } = await import('./help.js');
    const r = await verifyVpn(positionals[0]!);
    if (values.json) printJson({ ...r, version: version() });
    else console.log(visible(verifyText(r, version()), { newlines: true }));
    return r.verdict === 'no leak found' ? 0 : 1;
  }
  throw usageError(`Unknown vpn command "${sub ?? ''}"`, 'Use: sandtray vpn import FILE [--name NAME] | status [NAME] [--json] | verify NAME [--json]');
};

const secret: Command = async (args) => {
  const [sub, ...rest] = args;
  const { checkSecretKey, checkSecretStore, deleteSecret, secretFileDir, setSecret, SECRET_KEYS } = await import('../api/secrets.js');
  const { readRecord } = await import('../api/inspect.js');
  const { values, positionals } = parse(rest, { store: { type: 'string' } });
  if ((sub !== 'set' && sub !== 'delete') || positionals.length !== 2 || (sub === 'delete' && values.store !== undefined)) {
    throw usageError('Usage: sandtray secret set SANDBOX KEY [--store keyring|file] | delete SANDBOX KEY', `Keys: ${Object.entries(SECRET_KEYS).map(([k, v]) => `${k} (${v})`).join('; ')}.`);
  }
  const store = values.store === undefined ? undefined : checkSecretStore(values.store as string);
  const [name, key] = positionals as [string, string];
  readRecord(name);
  checkSecretKey(key);
  if (sub === 'delete') {
    console.log((await deleteSecret(name, key)) ? `Deleted ${key} of ${name}` : `No ${key} was stored for ${name}`);
    return 0;
  }
  const value = process.stdin.isTTY ? await readHidden(`${SECRET_KEYS[key] ?? key} for ${name}: `) : await readStdinValue();
  if (!value) throw new SandtrayError('INVALID_ARGUMENT', 'No value given', 'Type the value at the prompt, or pipe it: printf %s VALUE | sandtray secret set NAME KEY');
  const where = await setSecret(name, key, value, store ? { store } : {});
  console.log(where === 'file'
    ? `Stored ${key} of ${name} in a file, not a keyring: ${secretFileDir(name)}/${key} (mode 0600, readable by anything that runs as you)`
    : `Stored ${key} of ${name} in the keyring`);
  return 0;
};

/** Entries for the COMMANDS table. */
export const VPN_COMMANDS: Record<string, { run: Command; help: string }> = {
  vpn: { run: vpn, help: 'vpn import FILE [--name N] [--store keyring|file] [--dry-run] | status [NAME] [--json] | verify NAME [--json]  VPN sandboxes (OpenVPN, WireGuard)' },
  secret: { run: secret, help: 'secret set|delete SANDBOX KEY [--store keyring|file]  VPN secrets (value read without echo, or from stdin)' },
};

// The secrets a start needs: from the sandbox's store (the file store when the user chose it, else
// the keyring), else asked for; what is asked is never written anywhere.
import { SandtrayError } from '../core/errors.js';
import { getSecret } from './keyring.js';
import { askSecret } from './prompt.js';

export interface SecretNeed {
  key: string;
  /** What the question says, e.g. "VPN password". */
  label: string;
  /**
   * Asked at every start, never read from or stored to the keyring (a one-time code): the
   * prompt offers no "remember".
   */
  oneTime?: boolean;
  /** The answer may be echoed as it is typed. */
  echo?: boolean;
}

/** Looks up each needed secret; asks for missing ones; throws SECRET naming what is missing. */
export async function resolveSecrets(sandbox: string, needs: readonly SecretNeed[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let keyringProblem: SandtrayError | null = null;
  for (const n of needs) {
    let v: string | null = null;
    if (!keyringProblem && !n.oneTime) {
      try {
        v = await getSecret(sandbox, n.key);
      } catch (err) {
        // Reading is allowed to fall back to asking; only storing needs the keyring.
        keyringProblem = err instanceof SandtrayError ? err : null;
      }
    }
    if (!v) {
      v = await askSecret(`${n.label} for sandbox ${sandbox}: `, {
        sandbox, key: n.key, label: n.label, ...(n.oneTime ? { oneTime: true } : {}), ...(n.echo ? { echo: true } : {}),
      });
    }
    if (!v) {
      if (n.oneTime) {
        throw new SandtrayError(
          'SECRET',
          `Sandbox "${sandbox}" asks for a one-time code at every start ("${n.label}"), and none was given`,
          'Start it from a terminal or from the Sandtray window to be asked for the code; it is never stored.',
        );
      }
      throw new SandtrayError(
        'SECRET',
        `Sandbox "${sandbox}" needs its ${n.label}, and none is stored${keyringProblem ? ` (${keyringProblem.message})` : ''}`,
        keyringProblem
          ? `Store it with \`sandtray secret set ${sandbox} ${n.key}\` once a Secret Service runs, or with \`sandtray secret set ${sandbox} ${n.key} --store file\` to keep it in a 0600 file under ~/.config/sandtray/secrets/; or start from a terminal to be asked.`
          : `Store it with \`sandtray secret set ${sandbox} ${n.key}\` (it reads the value without echo), or start from a terminal to be asked.`,
      );
    }
    out[n.key] = v;
  }
  return out;
}

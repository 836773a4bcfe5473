// The secrets a start needs: from the keyring, else asked for; never written anywhere.
import { SandtrayError } from '../core/errors.js';
import { getSecret } from './keyring.js';
import { askSecret } from './prompt.js';

export interface SecretNeed {
  key: string;
  /** What the question says, e.g. "VPN password". */
  label: string;
}

/** Looks up each needed secret; asks for missing ones; throws SECRET naming what is missing. */
export async function resolveSecrets(sandbox: string, needs: readonly SecretNeed[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let keyringProblem: SandtrayError | null = null;
  for (const n of needs) {
    let v: string | null = null;
    if (!keyringProblem) {
      try {
        v = await getSecret(sandbox, n.key);
      } catch (err) {
        // Reading is allowed to fall back to asking; only storing needs the keyring.
        keyringProblem = err instanceof SandtrayError ? err : null;
      }
    }
    if (!v) v = await askSecret(`${n.label} for sandbox ${sandbox}: `);
    if (!v) {
      throw new SandtrayError(
        'SECRET',
        `Sandbox "${sandbox}" needs its ${n.label}, and none is stored${keyringProblem ? ` (${keyringProblem.message})` : ''}`,
        `Store it with \`sandtray secret set ${sandbox} ${n.key}\` (it reads the value without echo), or start from a terminal to be asked.`,
      );
    }
    out[n.key] = v;
  }
  return out;
}

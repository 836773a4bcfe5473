// Connects the engine's secret question (helpers/secrets/prompt.ts) to the window's credential
// dialog: a VPN start that finds no stored password asks here instead of on a terminal.
import { setSecretPrompt } from '../../helpers/secrets/prompt.js';
import type { SecretBroker } from './broker.js';

/** What a newer engine may say about a question besides its text. */
export interface SecretNeedInfo {
  sandbox?: string;
  key?: string;
  label?: string;
  /** A one-time code: never read from or stored to the keyring; no "remember". */
  oneTime?: boolean;
  /** The answer may be shown as it is typed. */
  echo?: boolean;
}

export type EnginePrompt = (question: string, need?: SecretNeedInfo) => Promise<string | null>;

/** The engine's questions read "LABEL for sandbox NAME: ". */
export function parseQuestion(question: string): { label: string; sandbox: string } {
  const m = /^(.*) for sandbox ([a-z0-9-]+):?\s*$/.exec(question);
  return m ? { label: m[1]!, sandbox: m[2]! } : { label: question.replace(/:\s*$/, ''), sandbox: 'a sandbox' };
}

/**
 * The keyring entry a question's answer belongs to (the engine reads SANDBOX/KEY), from the labels
 * the engine asks with; null when unknown, and then "remember" is not offered.
 */
export function secretKeyOf(label: string): string | null {
  if (label === 'VPN user name') return 'username';
  if (label === 'VPN password') return 'password';
  if (label === 'private key passphrase') return 'key-passphrase';
  if (label === 'WireGuard private key') return 'private-key';
  const psk = /^WireGuard preshared key of peer (\d+)$/.exec(label);
  if (psk) return psk[1] === '1' ? 'preshared-key' : `preshared-key-${psk[1]}`;
  return null;
}

/** The engine's prompt function, answered by the dialog; a cancelled dialog answers null. */
export function enginePrompt(broker: SecretBroker): EnginePrompt {
  return async (question, need) => {
    const q = parseQuestion(question);
    const sandbox = need?.sandbox ?? q.sandbox;
    const label = need?.label ?? q.label;
    const key = need?.key ?? secretKeyOf(label);
    const account = `${sandbox}/${key ?? `ask-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}`;
    try {
      if (need?.oneTime) {
        return await broker.request({ sandbox, account, label, canRemember: false, oneTime: true, echo: need.echo === true, detail: 'A one-time code is asked at every start and never stored.' });
      }
      // The engine asks for the user name, then the password: one dialog asks for both.
      if (key === 'username') return await broker.request({ sandbox, account, label: 'VPN user name', canRemember: true, detail: null, passwordAccount: `${sandbox}/password` });
      return await broker.request({ sandbox, account, label, canRemember: key !== null, detail: null });
    } catch {
      return null;
    }
  };
}

/** Makes the dialog answer the engine's questions in this process. */
export function connectEnginePrompt(broker: SecretBroker, set: (p: EnginePrompt | null) => void = setSecretPrompt): void {
  set(enginePrompt(broker));
}

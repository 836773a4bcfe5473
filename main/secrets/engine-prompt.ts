// Connects the engine's secret question (when the engine has its prompt hook, helpers/secrets/
// prompt.ts) to the window's credential dialog. Loaded by a computed path so that an engine build
// without VPN support still runs: then there is nothing to answer and this reports false.
import type { SecretBroker } from './broker.js';

/** What the engine may say about a question besides its text (newer engines pass it). */
interface SecretNeedInfo {
  sandbox?: string;
  key?: string;
  label?: string;
}

type EnginePrompt = (question: string, need?: SecretNeedInfo) => Promise<string | null>;
type PromptModule = { setSecretPrompt?: (p: EnginePrompt | null) => void };

const ENGINE_PROMPT = ['..', '..', 'helpers', 'secrets', 'prompt.js'].join('/');

/** "VPN password for sandbox work: " -> { label, sandbox }. */
export function parseQuestion(question: string): { label: string; sandbox: string } {
  const m = /^(.*) for sandbox ([a-z0-9-]+):?\s*$/.exec(question);
  return m ? { label: m[1]!, sandbox: m[2]! } : { label: question.replace(/:\s*$/, ''), sandbox: 'a sandbox' };
}

/** The engine's prompt function answered by the dialog; null answers mean "cancelled". */
export function enginePrompt(broker: SecretBroker): EnginePrompt {
  return async (question, need) => {
    const q = parseQuestion(question);
    const sandbox = need?.sandbox ?? q.sandbox;
    // Remembering needs the keyring entry the engine reads (SANDBOX/KEY); only offered when named.
    const account = need?.key ? `${sandbox}/${need.key}` : `${sandbox}/ask-${q.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    try {
      return await broker.request({ sandbox, account, label: need?.label ?? q.label, canRemember: Boolean(need?.key), detail: null });
    } catch {
      return null;
    }
  };
}

export async function connectEnginePrompt(broker: SecretBroker, load: () => Promise<unknown> = () => import(ENGINE_PROMPT)): Promise<boolean> {
  let mod: PromptModule;
  try {
    mod = (await load()) as PromptModule;
  } catch {
    return false;
  }
  if (typeof mod.setSecretPrompt !== 'function') return false;
  mod.setSecretPrompt(enginePrompt(broker));
  return true;
}

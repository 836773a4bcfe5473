// Connects the engine's secret question (helpers/api setSecretPrompt) to the window's credential
// dialog: a VPN start that finds no stored secret asks here instead of on a terminal. The engine
// says what it asks (sandbox, keyring key, label, one-time or not); nothing is read from its text.
import { setSecretPrompt, type SecretPrompt, type SecretQuestion } from '../../helpers/api/index.js';
import type { SecretBroker } from './broker.js';

export type EnginePrompt = SecretPrompt;

/** The engine's prompt function, answered by the dialog; a cancelled dialog answers null. */
export function enginePrompt(broker: SecretBroker): EnginePrompt {
  return async (_question: string, need?: SecretQuestion) => {
    // Every question the engine asks carries what it is for; one without cannot be placed.
    if (!need) return null;
    const { sandbox, key, label } = need;
    const account = `${sandbox}/${key}`;
    try {
      if (need.oneTime) {
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

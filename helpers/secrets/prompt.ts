// Asking the user for a missing secret: the CLI answers on the terminal, the tray with a dialog.

/** What is asked, besides the question's text. */
export interface SecretQuestion {
  sandbox: string;
  /** The keyring key (`password`), or for a one-time secret the name it is passed on under. */
  key: string;
  label: string;
  /** Asked at every start and never stored: no "remember" is offered. */
  oneTime?: boolean;
  /** The answer may be shown as it is typed (a one-time code the configuration says to echo). */
  echo?: boolean;
}

/** Asks for one secret; resolves null when nobody can be asked. */
export type SecretPrompt = (question: string, need?: SecretQuestion) => Promise<string | null>;

let prompt: SecretPrompt | null = null;

/** Sets who answers secret questions (the CLI's terminal prompt, or the tray's dialog). */
export function setSecretPrompt(p: SecretPrompt | null): void {
  prompt = p;
}

/** Asks for a secret, or null when no prompt is set. */
export async function askSecret(question: string, need?: SecretQuestion): Promise<string | null> {
  return prompt ? prompt(question, need) : null;
}

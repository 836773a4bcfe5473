// Asking the user for a missing secret: the CLI answers on the terminal, the tray with a dialog.

/** Asks for one secret; resolves null when nobody can be asked. */
export type SecretPrompt = (question: string) => Promise<string | null>;

let prompt: SecretPrompt | null = null;

/** Sets who answers secret questions (the CLI's terminal prompt, or the tray's dialog). */
export function setSecretPrompt(p: SecretPrompt | null): void {
  prompt = p;
}

/** Asks for a secret, or null when no prompt is set. */
export async function askSecret(question: string): Promise<string | null> {
  return prompt ? prompt(question) : null;
}

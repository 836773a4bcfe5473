// The store the secret broker remembers answers in, behind a small interface so the broker can be
// exercised with another store. The app's is the engine's own (engine-keyring.ts).
export interface Keyring {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  remove(account: string): Promise<boolean>;
}

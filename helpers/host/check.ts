// One finding of `sandtray doctor` (inspect/doctor.ts); the checks of each part of the engine return these.
export interface Check {
  id: string;
  ok: boolean;
  /** warn: works, but weaker than it should be. */
  level: 'ok' | 'warn' | 'error';
  detail: string;
  fix?: string;
}

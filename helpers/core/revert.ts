// A revert stack for multi-step setup: each step that creates something registers its undo.

/** Undo actions, run in reverse order when setup fails. */
export class Revert {
  private undo: { what: string; fn: () => unknown }[] = [];

  /** Registers how to undo the step just done. */
  add(what: string, fn: () => unknown): void {
    this.undo.push({ what, fn });
  }

  /** Setup succeeded: keep everything. */
  success(): void {
    this.undo = [];
  }

  /** Runs every undo in reverse; failures are collected, never thrown, so all undos run. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.undo.length) {
      const step = this.undo.pop()!;
      try {
        await step.fn();
      } catch (err) {
        failures.push(`${step.what}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}

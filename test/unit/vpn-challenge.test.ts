// One-time codes are asked at every start and never touch the keyring (engine and desktop), and
// OpenVPN's own "Options error:" line is what a refused configuration reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSecrets } from '../../helpers/secrets/resolve.js';
import { setSecretPrompt, type SecretQuestion } from '../../helpers/secrets/prompt.js';
import { optionsErrorOf, optionsFailure } from '../../helpers/vpn/agent.js';
import { ONE_TIME_CODE } from '../../helpers/vpn/management.js';

test('a one-time need is asked with its own words and flags, never looked up', async () => {
  const asked: [string, SecretQuestion | undefined][] = [];
  setSecretPrompt(async (q, need) => {
    asked.push([q, need]);
    return '424242';
  });
  try {
    const got = await resolveSecrets('work', [{ key: ONE_TIME_CODE, label: 'Enter the code', oneTime: true, echo: true }]);
    assert.deepEqual(got, { [ONE_TIME_CODE]: '424242' });
    assert.deepEqual(asked, [['Enter the code for sandbox work: ', { sandbox: 'work', key: ONE_TIME_CODE, label: 'Enter the code', oneTime: true, echo: true }]]);
    setSecretPrompt(async () => null);
    await assert.rejects(resolveSecrets('work', [{ key: ONE_TIME_CODE, label: 'Enter the code', oneTime: true }]), (err: Error & { hint?: string }) => {
      assert.match(err.message, /asks for a one-time code at every start \("Enter the code"\), and none was given/);
      assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /secret set/);
      return true;
    });
  } finally {
    setSecretPrompt(null);
  }
});

test('the desktop asks for a one-time code without the keyring and offers no "remember"', async () => {
  const { connectEnginePrompt } = await import('../../main/secrets/engine-prompt.js');
  const { SecretBroker } = await import('../../main/secrets/broker.js');
  const prompts: Record<string, unknown>[] = [];
  const reads: string[] = [];
  const store = new Map<string, string>([['work/one-time-code', 'stale']]);
  const broker = new SecretBroker({ get: async (a) => (reads.push(a), store.get(a) ?? null), set: async (a, v) => void store.set(a, v), remove: async () => false }, (e) => prompts.push(e as Record<string, unknown>));
  let hook: ((q: string, need?: SecretQuestion) => Promise<string | null>) | null = null;
  connectEnginePrompt(broker, (p) => {
    hook = p;
  });
  const answer = hook!('Enter the code for sandbox work: ', { sandbox: 'work', key: ONE_TIME_CODE, label: 'Enter the code', oneTime: true, echo: true });
  for (let i = 0; i < 50 && !prompts.length; i++) await new Promise((r) => setTimeout(r, 2));
  const p = prompts[0]!;
  assert.deepEqual([p['label'], p['canRemember'], p['oneTime'], p['echo']], ['Enter the code', false, true, true]);
  // Even a window that sends remember: true stores nothing.
  await broker.reply(p['promptId'] as string, '777777', true);
  assert.equal(await answer, '777777');
  assert.deepEqual(reads, [], 'the keyring is not read');
  assert.equal(store.get('work/one-time-code'), 'stale', 'nor written');
});

test("OpenVPN's Options error line", () => {
  assert.equal(optionsErrorOf('Options error: unknown tls-version-min parameter: 9.9'), 'Options error: unknown tls-version-min parameter: 9.9');
  assert.equal(optionsErrorOf('2026-12-01 10:00:00 Options error: --remote-cert-tls must be'), 'Options error: --remote-cert-tls must be');
  assert.equal(optionsErrorOf('Initialization Sequence Completed'), null);
  assert.equal(optionsFailure('Options error: x'), 'OpenVPN refused the configuration: Options error: x');
});

// Runs inside a private D-Bus session with an unlocked GNOME Keyring (see desktop-keyring.test.ts):
// the credential flow against the real Secret Service through the engine's keyring module. Prints one JSON line.
import { SecretBroker } from '../../main/secrets/broker.js';
import { engineKeyring } from '../../main/secrets/engine-keyring.js';
import { getSecret } from '../../helpers/secrets/keyring.js';
import type { SandtrayEvent } from '../../main/ipc/contract.js';

// The app's keyring as main makes it: the engine's store; the keyring is a throw-away one.
const keyring = engineKeyring();
const events: SandtrayEvent[] = [];
let onPrompt: (e: SandtrayEvent) => void = () => undefined;
const prompted = new Promise<SandtrayEvent>((resolve) => (onPrompt = resolve));
const broker = new SecretBroker(keyring, (e) => {
  events.push(e);
  if (e.type === 'secret-prompt') onPrompt(e);
});
const account = 'work/password';
await keyring.remove(account);

// First start: nothing stored, so the window is asked; the answer is remembered.
const first = broker.request({ sandbox: 'work', account, label: 'VPN password' });
// The prompt comes after a lookup in the keyring (a D-Bus call to a daemon just started, through a
// secret-tool spawned on first use): wait for the event itself, bounded for a broker that never asks.
let timer: NodeJS.Timeout | undefined;
// A request that ends before asking (an error, or an answer from nowhere) ends the wait with that.
const unasked = first.then(() => Promise.reject(new Error('the request was answered without a prompt')));
unasked.catch(() => undefined); // once the prompt came, this one is not waited for
const prompt = await Promise.race([
  prompted,
  unasked,
  new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no secret-prompt event within 30 s')), 30_000))),
]).finally(() => clearTimeout(timer));
if (prompt.type !== 'secret-prompt') throw new Error('no prompt');
await broker.reply(prompt.promptId, 'hunter2', true);
const answered = await first;
const stored = await keyring.get(account);
// What a later `sandtray start` reads: the engine's own lookup finds what the window stored.
const engineRead = await getSecret('work', 'password');

// Second start: answered from the keyring; the window is not asked and sees no secret.
const before = events.length;
const second = await broker.request({ sandbox: 'work', account, label: 'VPN password' });
const asked = events.length - before;
const removed = await broker.forget(account);
const engineAfter = await getSecret('work', 'password');
console.log(JSON.stringify({ answered, stored, engineRead, second, asked, removed, engineAfter, leaked: JSON.stringify(events).includes('hunter2') }));

// Runs inside a private D-Bus session with an unlocked GNOME Keyring (see desktop-keyring.test.ts):
// the credential flow against the real Secret Service through the engine's keyring module. Prints one JSON line.
import { SecretBroker } from '../../main/secrets/broker.js';
import { engineKeyring } from '../../main/secrets/engine-keyring.js';
import { getSecret } from '../../helpers/secrets/keyring.js';
import type { SandtrayEvent } from '../../main/ipc/contract.js';

// The app's keyring as main makes it: the engine's store; the keyring is a throw-away one.
const keyring = engineKeyring();
const events: SandtrayEvent[] = [];
const broker = new SecretBroker(keyring, (e) => events.push(e));
const account = 'work/password';
await keyring.remove(account);

// First start: nothing stored, so the window is asked; the answer is remembered.
const first = broker.request({ sandbox: 'work', account, label: 'VPN password' });
// The keyring lookup is a D-Bus round trip: wait for the prompt it leads to.
for (let i = 0; i < 200 && !events.length; i++) await new Promise((r) => setTimeout(r, 10));
const prompt = events.find((e) => e.type === 'secret-prompt');
if (!prompt || prompt.type !== 'secret-prompt') throw new Error('no prompt');
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

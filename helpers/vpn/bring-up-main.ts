// The bring-up step's executable entry: `node dist/helpers/vpn/bring-up-main.js`, input on stdin.
import { bringUpMain } from './bring-up.js';

await bringUpMain();

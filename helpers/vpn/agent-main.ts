// The agent's executable entry: `node dist/helpers/vpn/agent-main.js` with its spec on stdin.
import { agentMain } from './agent.js';

agentMain().catch((err: unknown) => {
  process.stderr.write(`sandtray vpn agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

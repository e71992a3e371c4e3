// A real WebWallet node in a process of its own (as in production), so the load generator's
// event loop does not share a thread with the node's. Started by http.mjs over IPC.
import { startNode } from '@webwallet/server';

const config = JSON.parse(process.argv[2]);
const node = await startNode({ port: 0, log_level: 'silent', ...config });
process.send({ url: node.url });
process.on('message', async (message) => {
  if (message === 'stop') {
    await node.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(1));

#!/usr/bin/env node
/**
 * The tickets demo in one process (`npm run tickets` at the repository root): a WebWallet node, a
 * DEMO currency, the organiser's account, a funded demo buyer, and the tickets server. It prints
 * the exact commands that buy a ticket as the demo buyer.
 *
 * State lives in examples/tickets/.data (gitignored): the node's data directory (node/), the key
 * files of the issuer, the organiser and the buyer (mode 0600, usable with the CLI's --key), and
 * event.json. A restart reuses them and adds only what is missing. Delete the directory to start
 * afresh.
 *
 * Usage: node examples/tickets/dev.mjs [--node-port 8788] [--port 3001] [--data-dir DIR]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNode } from '@webwallet/server';
import { buyCommands, startTickets } from './server.mjs';
import { BUYER_FUNDS, setupDemo } from './setup.mjs';

const PRICE = '25.00';
const DAY_MS = 86_400_000;

const { values: args } = parseArgs({
  options: {
    'node-port': { type: 'string', default: '8788' },
    port: { type: 'string', default: '3001' },
    'data-dir': { type: 'string', default: join(import.meta.dirname, '.data') },
  },
});
const port = (name) => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`--${name} must be a port number, got ${args[name]}`);
    process.exit(2);
  }
  return value;
};
const dataDir = resolve(args['data-dir']);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

/** The demo event: a week ahead, kept in event.json so tickets made earlier stay valid after a restart. */
function demoEvent() {
  const file = join(dataDir, 'event.json');
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  if (stored && Date.parse(stored.ends_at) > Date.now()) return stored;
  const starts = new Date(Date.now() + 7 * DAY_MS);
  starts.setUTCHours(19, 30, 0, 0);
  const event = {
    id: 'spring-gig',
    name: 'Spring Gig',
    venue: 'The Town Hall',
    starts_at: starts.toISOString(),
    ends_at: new Date(starts.getTime() + 4 * 3600 * 1000).toISOString(),
  };
  writeFileSync(file, `${JSON.stringify(event, null, 2)}\n`);
  return event;
}

const node = await startNode({ port: port('node-port'), data_dir: join(dataDir, 'node'), log_level: 'warn' }).catch(
  (error) => {
    // The node's own advice names its own flag; this script's flag for the node's port is --node-port.
    console.error(error.message.replace('pass --port', 'pass --node-port'));
    process.exit(1);
  },
);
const stopAll = async (tickets) => {
  await tickets?.close();
  await node.close();
};

let tickets;
try {
  const demo = await setupDemo({ nodeUrl: node.url, dir: dataDir, price: PRICE });
  const event = demoEvent();
  tickets = await startTickets({
    port: port('port'),
    nodeUrl: node.url,
    nodePublicKey: node.nodeKey.publicKey,
    organiser: demo.organiser.account,
    price: PRICE,
    currency: demo.currency,
    event,
  });
  const commands = buyCommands({
    nodeUrl: node.url,
    organiser: demo.organiser.account,
    price: PRICE,
    currency: demo.currency,
    event,
    audience: tickets.config.audience,
    key: demo.buyer.path,
  });
  console.log(`
  ${event.name} tickets (demo) are running. Ctrl-C stops them.

  Event page:      ${tickets.url}/          <- how to buy; paste a token to see the ticket
  Door check:      ${tickets.url}/door/     <- open it once online; it then works offline
  WebWallet node:  ${node.url}   (key ${node.nodeKey.publicKey})
  Organiser:       ${demo.organiser.account}
  Ticket:          ${PRICE} ${demo.currency}, memo ${event.id}
  State:           ${dataDir}

  Buy a ticket as the demo buyer (it was given ${BUYER_FUNDS} ${demo.currency}), from the repository root:

    npx ${commands.pay}

    npx ${commands.token.replace('<id from step 1>', '<the id printed by transfer>')}

  Then paste the token it prints (wwpt1.…) into the form on the event page, and scan or paste it
  into the door check.
`);
} catch (error) {
  await stopAll(tickets);
  console.error(error.code === 'EADDRINUSE' ? `Port ${port('port')} is in use: pass --port.` : error);
  process.exit(1);
}

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  await stopAll(tickets);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// The HTTP path: a node in a child process, and a keep-alive client for POST /v1/transactions.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

/** Starts `startNode({port: 0, log_level: 'silent', data_dir, database_url?, …})` in a child process. */
export async function startNodeProcess(config) {
  const { data_dir } = config;
  const child = fork(new URL('./node-child.mjs', import.meta.url), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: process.env.WEBWALLET_BENCH_NODE_ARGS ? process.env.WEBWALLET_BENCH_NODE_ARGS.split(' ') : [],
  });
  const url = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`node process exited with code ${code} before listening`)));
    child.once('error', reject);
  });
  child.removeAllListeners('exit');
  let stopped;
  return {
    url,
    // The operator's bearer token, created by the node in its data directory.
    adminToken: readFileSync(join(data_dir, 'admin-token'), 'utf8').trim(),
    stop() {
      stopped ??= new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      });
      return stopped;
    },
  };
}

/** A keep-alive client: one socket per request in flight. */
export function httpClient(baseUrl, { sockets, token }) {
  const url = new URL('/v1/transactions', baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return {
    /** Posts a pre-serialized {documents:[…]} body; resolves to the per-document results. */
    post(body) {
      return new Promise((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } },
          (res) => {
            const parts = [];
            res.on('data', (part) => parts.push(part));
            res.on('end', () => {
              const text = Buffer.concat(parts).toString('utf8');
              if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
              resolve(JSON.parse(text).results);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for tests that run the real `webwallet` command as child processes. */

export const BIN = fileURLToPath(new URL('../bin/webwallet.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `webwallet ...args` to completion; several may run at once. */
export function webwallet(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed and print JSON; returns the parsed output. */
export async function webwalletJson<T = Record<string, unknown>>(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<T> {
  const result = await webwallet(args, env);
  if (result.code !== 0) {
    throw new Error(`webwallet ${args.join(' ')} exited ${result.code}\n${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}

export class TempDirs {
  private readonly dirs: string[] = [];

  make(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ww-cli-'));
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export interface ServedNode {
  readonly child: ChildProcess;
  readonly url: string;
  readonly publicKey: string;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `webwallet serve ...args` and waits for its "node listening" log line. The port is 0 (any
 * free one) unless WEBWALLET_PORT is set in `options.env`.
 */
export function serveNode(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ServedNode> {
  const portArgs = options.env?.WEBWALLET_PORT ? [] : ['--port', '0'];
  const child = spawn(process.execPath, [BIN, 'serve', ...portArgs, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('node did not start in 20 s'));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        logs.push(line);
        if (line.msg === 'node listening') {
          clearTimeout(timer);
          resolve({
            child,
            url: String(line.url),
            publicKey: String(line.public_key),
            logs,
            exited,
            stop: () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              return exited;
            },
          });
        }
        newline = buffer.indexOf('\n');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited early with ${code}`));
    });
  });
}

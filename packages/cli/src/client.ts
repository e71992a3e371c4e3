import { type Command, Option } from 'commander';
import { CliError, jsonOption } from './util.js';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:8787';
/** How long one HTTP request to the node may take. */
const REQUEST_TIMEOUT_MS = 30_000;

export const nodeOption = () =>
  new Option('--node <url>', 'base URL of the node').env('WEBWALLET_NODE').default(DEFAULT_NODE_URL);
export const adminTokenOption = () =>
  new Option(
    '--admin-token <token>',
    'send the node\'s admin token ("webwallet keys show --admin-token"): acts for custodial acc_ accounts',
  ).env('WEBWALLET_ADMIN_TOKEN');

/** Adds the options every command that talks to a node takes: --node, --admin-token, --json. */
export function clientCommand(command: Command): Command {
  return command.addOption(nodeOption()).addOption(adminTokenOption()).addOption(jsonOption());
}

export interface ClientOptions {
  readonly node: string;
  readonly adminToken?: string;
}

/** The node's error shape: {"error": {"code", "message", "details"}}. */
export interface NodeErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** An error answer from the node, with its stable code. */
export class NodeError extends CliError {
  readonly status: number;
  readonly body: NodeErrorBody;

  constructor(status: number, body: NodeErrorBody) {
    super(`${body.code}: ${body.message}`, { hint: detailsHint(body.details) });
    this.status = status;
    this.body = body;
  }
}

export function detailsHint(details: Record<string, unknown> | undefined): string | undefined {
  return details && Object.keys(details).length > 0 ? `details: ${JSON.stringify(details)}` : undefined;
}

/** A small JSON client for one node's HTTP API. */
export class NodeClient {
  readonly baseUrl: string;
  private readonly adminToken: string | undefined;

  constructor(options: ClientOptions) {
    let url: URL;
    try {
      url = new URL(options.node);
    } catch {
      throw new CliError(`--node must be an http(s) URL such as ${DEFAULT_NODE_URL}, got "${options.node}".`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(`--node must be an http(s) URL such as ${DEFAULT_NODE_URL}, got "${options.node}".`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.adminToken = options.adminToken;
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.adminToken !== undefined) headers.authorization = `Bearer ${this.adminToken}`;
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new CliError(`Cannot reach the node at ${this.baseUrl}: ${networkReason(error)}.`, {
        hint: 'Is it running? Point at it with --node URL or WEBWALLET_NODE.',
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(
        `The node at ${this.baseUrl} answered ${method} ${path} with HTTP ${response.status} and no JSON. Is --node the URL of a WebWallet node?`,
      );
    }
    if (!response.ok) {
      const error = (parsed as { error?: Partial<NodeErrorBody> } | null)?.error;
      if (typeof error?.code === 'string' && typeof error.message === 'string') {
        throw new NodeError(response.status, error as NodeErrorBody);
      }
      throw new CliError(`The node answered ${method} ${path} with HTTP ${response.status}.`);
    }
    return parsed as T;
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Raw DEFLATE (RFC 1951) for compact text forms such as payer tokens. On Node it uses node:zlib,
 * synchronously: a DecompressionStream costs about 2 ms per call there, which would dominate a
 * token verification. Browsers and edge runtimes use the standard CompressionStream.
 */
interface NodeZlib {
  deflateRawSync(data: Uint8Array, options: { level: number }): Uint8Array;
  inflateRawSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
}

async function loadNodeZlib(): Promise<NodeZlib | undefined> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return undefined;
  const specifier = 'node:zlib'; // a variable keeps browser bundlers from resolving it
  return (await import(/* @vite-ignore */ specifier)) as NodeZlib;
}

const nodeZlib = await loadNodeZlib();

function view(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Thrown when inflating would produce more than the caller's limit (a decompression bomb). */
export class InflateLimitError extends Error {
  override readonly name = 'InflateLimitError';
}

export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  if (nodeZlib) return view(nodeZlib.deflateRawSync(data, { level: 9 }));
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Inflates at most `maxBytes`; throws InflateLimitError beyond that, and an ordinary error for
 * data that is not valid DEFLATE.
 */
export async function inflateRaw(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (nodeZlib) {
    try {
      return view(nodeZlib.inflateRawSync(data, { maxOutputLength: maxBytes }));
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError('too large');
      throw error;
    }
  }
  const reader = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new InflateLimitError('too large');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

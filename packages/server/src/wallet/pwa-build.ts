/**
 * The wallet web app's files, as packages/wallet/scripts/build-pwa.mjs builds them. The node
 * builds the app in memory on the first request for it (esbuild takes a fraction of a second),
 * so starting a node from a fresh clone needs no build step beyond `tsc -b`.
 */

export interface PwaFile {
  /** Relative to /wallet/: "index.html", "app.js", … */
  readonly name: string;
  readonly type: string;
  readonly body: Uint8Array;
  readonly gzip: Uint8Array;
}

export interface PwaBuild {
  /** Content hash of the shell; the service worker's cache is named after it. */
  readonly version: string;
  readonly files: readonly PwaFile[];
  /** app.js and app.css, gzipped: what a first visit downloads besides the HTML. */
  readonly initial_load_gzip_bytes: number;
}

export type PwaBuilder = () => Promise<PwaBuild>;

interface BuildScript {
  buildPwa(): Promise<PwaBuild>;
}

/**
 * Builds the app with the wallet package's build script, found next to the package's entry
 * point. The script is plain JavaScript outside the package's compiled sources, so it is loaded
 * by URL; a node installed without @webwallet/wallet or esbuild answers /wallet/ with 503.
 */
export const buildWalletPwa: PwaBuilder = async () => {
  const entry = import.meta.resolve('@webwallet/wallet');
  const script = new URL('../scripts/build-pwa.mjs', entry);
  const module = (await import(script.href)) as BuildScript;
  return module.buildPwa();
};

const builds = new WeakMap<PwaBuilder, Promise<PwaBuild>>();

/**
 * The build, made once per builder and shared by every app in the process (tests start many
 * nodes). A failed build is forgotten, so the next request tries again.
 */
export function cachedBuild(builder: PwaBuilder): Promise<PwaBuild> {
  let build = builds.get(builder);
  if (!build) {
    build = builder();
    builds.set(builder, build);
    build.catch(() => builds.delete(builder));
  }
  return build;
}

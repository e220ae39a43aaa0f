/**
 * The kernel-tuning cache on disk, and the tuner the command-line tools install from the environment:
 * `HYPERDECODERS_TUNE=off|cached|on` (default `cached`), `HYPERDECODERS_TUNE_CACHE=<file>` (default
 * `$XDG_CACHE_HOME/hyperdecoders/tune.json`, else `~/.cache/hyperdecoders/tune.json`).
 * @module
 */
import { dirname, join } from "@std/path";
import {
  type Engine,
  parseTuneMode,
  setTuner,
  type TuneCache,
  type TuneMode,
  Tuner,
  type TuneStore,
  validateTuneCache,
} from "@hyperdecoders/core";

/** Environment variable of the tuning mode. */
export const TUNE_MODE_ENV = "HYPERDECODERS_TUNE";
/** Environment variable of the cache file's path. */
export const TUNE_CACHE_ENV = "HYPERDECODERS_TUNE_CACHE";

/** The cache file: `$HYPERDECODERS_TUNE_CACHE`, else under `$XDG_CACHE_HOME` or `~/.cache`; null without a home. */
export function tuneCachePath(env: (name: string) => string | undefined = (n) => Deno.env.get(n)): string | null {
  const explicit = env(TUNE_CACHE_ENV);
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "hyperdecoders", "tune.json");
  const home = env("HOME") ?? env("USERPROFILE");
  return home ? join(home, ".cache", "hyperdecoders", "tune.json") : null;
}

/**
 * A {@link TuneStore} in a JSON file. Saving merges with what the file holds by then (another process may have
 * tuned other classes) and replaces the file atomically (write a temporary file, then rename).
 */
export class FileTuneStore implements TuneStore {
  /** The file. */
  readonly where: string;
  /** Stores the cache in `path`. */
  constructor(path: string) {
    this.where = path;
  }

  /** The cache, or null when the file does not exist; throws naming the file when it is not a tuning cache. */
  async load(): Promise<TuneCache | null> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.where);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw new Error(`${this.where}: cannot read the tuning cache (${(e as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(
        `${this.where}: invalid JSON (${(e as Error).message}); delete it or run \`deno task tune\` to rebuild it`,
      );
    }
    return validateTuneCache(json, this.where);
  }

  /** Merges `cache` into the file (its entries win) and writes it atomically. */
  async save(cache: TuneCache): Promise<void> {
    const merged: TuneCache = (await this.load().catch(() => null)) ?? { version: 1, adapters: {} };
    for (const [key, a] of Object.entries(cache.adapters)) {
      const old = merged.adapters[key];
      merged.adapters[key] = { adapter: a.adapter, entries: { ...(old?.entries ?? {}), ...a.entries } };
    }
    await Deno.mkdir(dirname(this.where), { recursive: true });
    const tmp = `${this.where}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(merged, null, 1) + "\n");
    await Deno.rename(tmp, this.where);
  }
}

/** Options of {@link installTuner}. */
export interface InstallTunerOptions {
  /** Mode (default: `$HYPERDECODERS_TUNE`, else `cached`). */
  mode?: TuneMode;
  /** Cache file (default {@link tuneCachePath}). */
  path?: string | null;
  /** Skip reading the cache (retune everything; saving still merges into the file). */
  fresh?: boolean;
  /** In `on` mode, tune in the background at first use (default true); false queues for `tunePending()`. */
  background?: boolean;
  /** Warnings and progress. */
  log?: (message: string) => void;
}

/**
 * Creates the tuner the environment asks for, loads its cache and installs it for every op. An unreadable cache is
 * reported and left untouched (nothing is written to it); the built-in rules serve instead.
 */
export async function installTuner(engine: Engine, options: InstallTunerOptions = {}): Promise<Tuner> {
  const log = options.log ?? ((m: string) => console.error(`[tune] ${m}`));
  const mode = options.mode ?? parseTuneMode(Deno.env.get(TUNE_MODE_ENV), TUNE_MODE_ENV);
  const path = options.path === undefined ? tuneCachePath() : options.path;
  let store: FileTuneStore | null = mode !== "off" && path ? new FileTuneStore(path) : null;
  if (store && !options.fresh) {
    try {
      await store.load();
    } catch (e) {
      log(`${(e as Error).message}; using the built-in kernel rules`);
      store = null;
    }
  }
  const tuner = new Tuner({
    mode,
    engine,
    store,
    background: options.background,
    log: mode === "on" ? log : undefined,
  });
  if (store && !options.fresh) await tuner.load();
  setTuner(tuner);
  return tuner;
}

/**
 * Where the Hugging Face Hub is and where its files are cached, read from the environment variables that Python's
 * `huggingface_hub` reads, so that both share one cache.
 * @module
 */
import { join } from "@std/path";

/** Default endpoint of the Hub. */
export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** Settings of the Hub client. */
export interface HubSettings {
  /** Base URL (`HF_ENDPOINT`), without a trailing slash. */
  endpoint: string;
  /** Cache folder (`HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`). */
  cacheDir: string;
  /** `HF_HUB_OFFLINE=1`: use the cache only. */
  offline: boolean;
  /** Access token (`HF_TOKEN`, else the file `$HF_HOME/token` that `huggingface-cli login` writes). Never printed. */
  token?: string;
  /** Show progress bars (stderr is a terminal and `HF_HUB_DISABLE_PROGRESS_BARS` is not set). */
  progress: boolean;
}

function env(name: string): string | undefined {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : v;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ["1", "true", "yes", "on"].includes(v.toLowerCase());
}

/** HF_HOME, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(): string {
  const home = env("HF_HOME");
  if (home) return home;
  const xdg = env("XDG_CACHE_HOME") ?? join(env("HOME") ?? env("USERPROFILE") ?? ".", ".cache");
  return join(xdg, "huggingface");
}

/** Reads the settings from the environment (call again after changing it). */
export function hubSettings(): HubSettings {
  const cacheDir = env("HF_HUB_CACHE") ?? env("HUGGINGFACE_HUB_CACHE") ?? join(hfHome(), "hub");
  let token = env("HF_TOKEN") ?? env("HUGGING_FACE_HUB_TOKEN");
  if (token === undefined) {
    try {
      token = Deno.readTextFileSync(env("HF_TOKEN_PATH") ?? join(hfHome(), "token")).trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  let progress = !truthy(env("HF_HUB_DISABLE_PROGRESS_BARS"));
  try {
    progress &&= Deno.stderr.isTerminal();
  } catch {
    progress = false;
  }
  return {
    endpoint: (env("HF_ENDPOINT") ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ""),
    cacheDir,
    offline: truthy(env("HF_HUB_OFFLINE")),
    token,
    progress,
  };
}

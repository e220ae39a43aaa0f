/**
 * The training configs under configs/ (test helper): every `.json` file except the demo's assets (configs/demo/),
 * sweep files (configs/sweeps/) and the paper's published numbers (paper_numbers.json), none of which is a training
 * config. Absolute paths, sorted.
 * @module
 */
import { fromFileUrl, join } from "@std/path";

/** The configs/ folder. */
export const CONFIGS_DIR: string = fromFileUrl(new URL(".", import.meta.url));

/** Every training config below `dir` (default: configs/), sorted. */
export async function trainingConfigFiles(dir: string = CONFIGS_DIR): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && p !== join(CONFIGS_DIR, "demo") && p !== join(CONFIGS_DIR, "sweeps")) {
      out.push(...await trainingConfigFiles(p));
    } else if (e.isFile && e.name.endsWith(".json") && p !== join(CONFIGS_DIR, "paper_numbers.json")) out.push(p);
  }
  return out.sort();
}

/**
 * Hub references in a training config: `model.checkpoint` and `tokenizer` may be `hf:<org>/<name>[@<revision>]`, and
 * `data.sources` may list datasets (`{ "task": "cola", "input": "hf://datasets/nyu-mll/glue/cola/*.parquet" }`) to be
 * prepared on first use. {@link pinHubRefs} fetches them and pins every reference to its commit, so that the run's
 * config.json (and with it `--resume` and `eval`) uses that commit; the loaders get local paths from
 * `hubLocalPath` at the point of loading.
 * @module
 */
import {
  cachedCommit,
  expandHubInputs,
  formatHubRef,
  hubDatasetFiles,
  hubSettings,
  isCommitSha,
  isHubRef,
  parseHubRef,
  resolveHubPath,
} from "@hyperdecoders/data/hub";
import { expandInputs, loadTokenizer, prepareDataset, TEMPLATE_VERSION } from "@hyperdecoders/data";
import { createHash } from "node:crypto";
import { join } from "@std/path";
import type { DataSource, TrainConfig } from "./config.ts";

/** Folder of prepared `data.sources` (`$HF_HOME/hyperdecoders/prepared`, or `HYPERDECODERS_PREPARED_CACHE`). */
export function preparedCacheDir(): string {
  return Deno.env.get("HYPERDECODERS_PREPARED_CACHE") ??
    join(hubSettings().cacheDir, "..", "hyperdecoders", "prepared");
}

function key(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/**
 * Prepares one data source into the cache (once) and returns its shard folder. The folder is keyed by the task, the
 * inputs pinned to their commits, the template version and the options, so a new commit or template is prepared anew.
 */
export async function prepareSource(
  source: DataSource,
  tokenizerPath: string | undefined,
  log: (m: string) => void,
): Promise<{ dir: string; inputs: string[] }> {
  const inputs = Array.isArray(source.input) ? source.input : [source.input];
  const pinned: string[] = [];
  for (const input of inputs) {
    if (!isHubRef(input)) {
      pinned.push(input);
      continue;
    }
    const ref = parseHubRef(input);
    // The commit the cache knows for this revision, when that commit is already prepared: no request at all.
    const cached = await cachedCommit(hubSettings().cacheDir, ref);
    pinned.push(formatHubRef({ ...ref, revision: cached ?? ref.revision }));
  }
  const dirOf = (inputs: string[]) =>
    join(preparedCacheDir(), `${source.task}-${key([source.task, inputs, TEMPLATE_VERSION, source.options ?? {}])}`);
  const done = (d: string) => Deno.stat(join(d, "manifest.json")).then(() => true, () => false);
  if (
    pinned.every((p, i) => !isHubRef(inputs[i]) || isCommitSha(parseHubRef(p).revision)) && await done(dirOf(pinned))
  ) {
    return { dir: dirOf(pinned), inputs: pinned };
  }
  for (let i = 0; i < inputs.length; i++) {
    if (!isHubRef(inputs[i])) continue;
    const { commit } = await hubDatasetFiles(inputs[i], { log });
    pinned[i] = formatHubRef({ ...parseHubRef(inputs[i]), revision: commit });
  }
  const dir = dirOf(pinned);
  if (await done(dir)) return { dir, inputs: pinned };
  log(`preparing ${source.task} from ${pinned.join(", ")} into ${dir}`);
  const staging = `${dir}.staging-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const expanded = (await Promise.all(
      pinned.map((i) => isHubRef(i) ? expandHubInputs(i, source.task, { log }) : expandInputs(i, source.task)),
    )).flat();
    const tokenizer = tokenizerPath && source.task === "mrqa" ? await loadTokenizer(tokenizerPath) : undefined;
    await prepareDataset({
      task: source.task,
      inputs: expanded,
      out: staging,
      tokenizer,
      ...(source.options ?? {}),
      log,
    });
    await Deno.rename(staging, dir);
  } catch (e) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw e;
  }
  return { dir, inputs: pinned };
}

/**
 * Fetches the Hub references of a config and returns a copy with each pinned to its commit
 * (`hf:org/name@<sha>`), and with the prepared folders of `data.sources` added to `data.shards` (sources pinned too).
 * A config without Hub references or sources comes back unchanged.
 */
export async function pinHubRefs(config: TrainConfig, log: (m: string) => void = console.error): Promise<TrainConfig> {
  const out: TrainConfig = structuredClone(config);
  const opts = { log };
  if (out.model.checkpoint && isHubRef(out.model.checkpoint)) {
    const r = await resolveHubPath(out.model.checkpoint, "model", opts);
    out.model.checkpoint = r.resolved!.pinned;
  }
  let tokenizerPath: string | undefined = out.tokenizer;
  if (isHubRef(out.tokenizer)) {
    const r = await resolveHubPath(out.tokenizer, "tokenizer", opts);
    out.tokenizer = r.resolved!.pinned;
    tokenizerPath = r.path;
  }
  const sources = out.data.sources ?? [];
  const shards = [...out.data.shards];
  const pinnedSources: DataSource[] = [];
  for (const s of sources) {
    const { dir, inputs } = await prepareSource(s, tokenizerPath, log);
    if (!shards.includes(dir)) shards.push(dir);
    pinnedSources.push({ ...s, input: Array.isArray(s.input) ? inputs : inputs[0] });
  }
  out.data = { ...out.data, shards, sources: pinnedSources };
  return out;
}

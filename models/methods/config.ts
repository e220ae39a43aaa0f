/**
 * Method configuration: which adapters each T5 stack gets, their sizes, and the named presets (the hyperdecoder, every
 * baseline of the paper and every cell of its encoder × decoder grid, Table 8).
 *
 * JSON schema of a method config (every key optional; unknown keys are rejected, where the reference code silently ignored
 * misspelt adapter-size keys):
 *
 * ```jsonc
 * {
 *   "preset": "hyperdecoder",        // a preset name (below) or "<encoder>/<decoder>"; other keys override it
 *   "encoder": "manual",             // none | manual | manual_specific | task | generated | skills
 *   "decoder": "generated",          // same set
 *   "encoderAdapterDim": 64,         // a for encoder adapters (> 0)
 *   "decoderAdapterDim": 64,         // a for decoder adapters (> 0)
 *   "hypernetworkBottleneck": 128,   // b (> 0)
 *   "layerEmbeddingDim": 10,         // width of the learned layer embedding (the reference hard-codes 10)
 *   "processEncoderOutput": true,    // the d→d→d ReLU MLP after pooling (false: the "− MLP" ablation)
 *   "adapterInput": "pre-norm",      // "pre-norm" (paper) or "post-norm" (the reference's adapter_norm_input=true)
 *   "generatorInit": "code",         // "code" (the reference's ×1e-3 hyperfan-in variant) or "hyperfan-in"
 *   "noneTrains": "stack",           // what a one-sided "none" trains: "stack" (reference) or "stack+embeddings"
 *   "tasks": ["rte", "mrpc"],        // task names; needed by task, manual_specific and skills modes
 *   "skills": { "count": 4, "rank": 16, "placement": "feed-forward", "logitsLrScale": 33.3 },
 *   "seed": 0                        // initialisation seed of the method's parameters
 * }
 * ```
 *
 * Modes of a stack: `none` trains that whole stack (no adapters; the shared embedding and the LM head stay frozen
 * unless both stacks are `none`, as the reference's `unfreeze_encoder`/`unfreeze_decoder`, see {@link NoneTrains}); `manual` learned adapters shared by all inputs;
 * `manual_specific` one learned adapter per task; `task` adapters generated from a learned task embedding;
 * `generated` adapters generated per input from the mean-pooled encoder output (for the encoder: from a first pass
 * with manual adapters); `skills` Polytropon-style skilled LoRA (Ponti et al. 2022).
 * @module
 */

/** How one stack (encoder or decoder) is adapted. */
export type AdapterMode = "none" | "manual" | "manual_specific" | "task" | "generated" | "skills";

/** Every adapter mode, in documentation order. */
export const ADAPTER_MODES: readonly AdapterMode[] = [
  "none",
  "manual",
  "manual_specific",
  "task",
  "generated",
  "skills",
];

/** The four modes of the paper's encoder × decoder grid (Table 8). */
export const GRID_MODES: readonly AdapterMode[] = ["none", "manual", "task", "generated"];

/** Where skilled LoRA modules sit. */
export type SkillPlacement = "feed-forward" | "attention";

/** Settings of the Polytropon-style skills baseline. */
export interface SkillsConfig {
  /** Skills in the inventory S (default 4, the paper's Appendix A.3). */
  count: number;
  /** LoRA rank r (default 16: the paper's Appendix A.3, and polytropon's SkilledLoRALinear). */
  rank: number;
  /**
   * `feed-forward`: one skilled LoRA d→d in parallel with every FF sub-layer (where the adapters sit; default).
   * `attention`: skilled LoRA on the q, k, v and o projections of every attention sub-layer, as polytropon places
   * them (through T5Model's attention-projection hook).
   */
  placement: SkillPlacement;
  /**
   * Learning-rate multiplier of the task–skill logits (the "two-speed learning rate"). Default
   * {@link PAPER_SKILL_LOGITS_LR_SCALE}: the paper's routing lr 1e-2 over its main lr 3e-4 (Appendix A.3).
   */
  logitsLrScale: number;
}

/**
 * The paper's routing-logit learning rate (1e-2) over its main learning rate (3e-4), Appendix A.3: with the default
 * `optim.lr` of 3e-4 the task–skill logits train at 1e-2.
 */
export const PAPER_SKILL_LOGITS_LR_SCALE: number = 1e-2 / 3e-4;

/**
 * What a one-sided `none` stack trains besides its own blocks. `"stack"` (default): nothing else, as the reference
 * code's one-sided grid cells (`unfreeze_encoder` / `unfreeze_decoder` unfreeze parameters named "encoder…" /
 * "decoder…", which the shared embedding and the LM head are not). `"stack+embeddings"`: also the shared embedding,
 * and for a `none` decoder the LM head (this project's behaviour before it followed the reference). Full
 * fine-tuning (`none/none`) trains everything either way.
 */
export type NoneTrains = "stack" | "stack+embeddings";

/** A fully resolved method configuration. */
export interface MethodConfig {
  /** The preset this config started from, if any (informational). */
  preset: string | null;
  /** Encoder adapters. */
  encoder: AdapterMode;
  /** Decoder adapters. */
  decoder: AdapterMode;
  /** Encoder adapter width a. */
  encoderAdapterDim: number;
  /** Decoder adapter width a. */
  decoderAdapterDim: number;
  /** Hypernetwork bottleneck b. */
  hypernetworkBottleneck: number;
  /** Layer-embedding width (10 in the reference). */
  layerEmbeddingDim: number;
  /** Apply the d→d→d MLP to the pooled encoder output. */
  processEncoderOutput: boolean;
  /** Adapter input: the pre-norm residual stream (paper) or the normalised FF input. */
  adapterInput: "pre-norm" | "post-norm";
  /** Generator-head initialisation. */
  generatorInit: "code" | "hyperfan-in";
  /** What a one-sided `none` stack trains besides its blocks. */
  noneTrains: NoneTrains;
  /** Task names (index = task id). */
  tasks: string[];
  /** Skills settings (used by `skills` modes). */
  skills: SkillsConfig;
  /** Initialisation seed. */
  seed: number;
}

/**
 * Defaults of every field (the reference code's defaults: 64/64/128, layer embedding 10, MLP on; the skills baseline
 * as the paper's Appendix A.3: 4 skills of rank 16, routing logits at 1e-2 when the main lr is 3e-4).
 */
export const DEFAULT_METHOD_CONFIG: MethodConfig = Object.freeze({
  preset: null,
  encoder: "manual",
  decoder: "generated",
  encoderAdapterDim: 64,
  decoderAdapterDim: 64,
  hypernetworkBottleneck: 128,
  layerEmbeddingDim: 10,
  processEncoderOutput: true,
  adapterInput: "pre-norm",
  generatorInit: "code",
  noneTrains: "stack",
  tasks: [],
  skills: Object.freeze({
    count: 4,
    rank: 16,
    placement: "feed-forward",
    logitsLrScale: PAPER_SKILL_LOGITS_LR_SCALE,
  }) as SkillsConfig,
  seed: 0,
}) as MethodConfig;

/** A partial {@link MethodConfig}: the fields a preset or a run config sets (skills field by field). */
export type MethodOverrides = Partial<Omit<MethodConfig, "skills">> & { skills?: Partial<SkillsConfig> };

/**
 * Named presets. Besides these, every `"<encoder>/<decoder>"` pair of modes is a preset (the 16 cells of Table 8
 * are the pairs over none, manual, task and generated).
 */
export const METHOD_PRESETS: Readonly<Record<string, MethodOverrides>> = Object.freeze({
  /** The paper's method: learned encoder adapters, per-input generated decoder adapters (64/64/128). */
  "hyperdecoder": { encoder: "manual", decoder: "generated" },
  /** Learned adapters shared by all tasks in both stacks (the GLUE run used 230/230 to match parameters). */
  "adapter": { encoder: "manual", decoder: "manual" },
  /** Task-conditioned hypernetwork in both stacks (the README's "Hyperformer" row; glue_task_task.json: 50/100). */
  "task-hypernet": {
    encoder: "task",
    decoder: "task",
    encoderAdapterDim: 50,
    decoderAdapterDim: 50,
    hypernetworkBottleneck: 100,
  },
  /** Full fine-tuning: both stacks, the embedding and the LM head trained, no adapters. */
  "full-finetune": { encoder: "none", decoder: "none" },
  /** One learned adapter per task in both stacks (per_dataset_adapter.json, 64/64). */
  "per-task-adapter": { encoder: "manual_specific", decoder: "manual_specific" },
  /** Polytropon-style modular skills (skilled LoRA, learned task–skill allocation) in both stacks. */
  "polytropon": { encoder: "skills", decoder: "skills" },
});

/** Every preset name: the named ones and the 16 grid cells `"<encoder>/<decoder>"`. */
export function methodPresetNames(): string[] {
  const grid = GRID_MODES.flatMap((e) => GRID_MODES.map((d) => `${e}/${d}`));
  return [...Object.keys(METHOD_PRESETS), ...grid];
}

const KEYS = new Set([
  "preset",
  "encoder",
  "decoder",
  "encoderAdapterDim",
  "decoderAdapterDim",
  "hypernetworkBottleneck",
  "layerEmbeddingDim",
  "processEncoderOutput",
  "adapterInput",
  "generatorInit",
  "noneTrains",
  "tasks",
  "skills",
  "seed",
]);
const SKILL_KEYS = new Set(["count", "rank", "placement", "logitsLrScale"]);

function presetOverrides(name: string, source: string): MethodOverrides {
  const named = Object.hasOwn(METHOD_PRESETS, name) ? METHOD_PRESETS[name] : undefined;
  if (named) return named;
  const parts = name.split("/");
  if (parts.length === 2) {
    return {
      encoder: parseMode(parts[0], `${source}: preset "${name}" (encoder part)`),
      decoder: parseMode(parts[1], `${source}: preset "${name}" (decoder part)`),
    };
  }
  throw new Error(
    `${source}: unknown preset "${name}"; use one of ${
      Object.keys(METHOD_PRESETS).join(", ")
    } or "<encoder>/<decoder>" with modes ${ADAPTER_MODES.join(", ")}`,
  );
}

function parseMode(value: unknown, what: string): AdapterMode {
  if (typeof value !== "string" || !(ADAPTER_MODES as readonly string[]).includes(value)) {
    throw new Error(`${what}: unknown adapter mode ${JSON.stringify(value)}; use one of ${ADAPTER_MODES.join(", ")}`);
  }
  return value as AdapterMode;
}

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function choice<T extends string>(value: unknown, options: readonly T[], what: string): T {
  if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
    throw new Error(`${what} must be one of ${options.map((o) => `"${o}"`).join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw new Error(`${what} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function validate(c: MethodConfig, source: string): MethodConfig {
  const f = (k: string) => `${source}: "${k}"`;
  parseMode(c.encoder, f("encoder"));
  parseMode(c.decoder, f("decoder"));
  positiveInt(c.encoderAdapterDim, f("encoderAdapterDim"));
  positiveInt(c.decoderAdapterDim, f("decoderAdapterDim"));
  positiveInt(c.hypernetworkBottleneck, f("hypernetworkBottleneck"));
  positiveInt(c.layerEmbeddingDim, f("layerEmbeddingDim"));
  bool(c.processEncoderOutput, f("processEncoderOutput"));
  choice(c.adapterInput, ["pre-norm", "post-norm"] as const, f("adapterInput"));
  choice(c.generatorInit, ["code", "hyperfan-in"] as const, f("generatorInit"));
  choice(c.noneTrains, ["stack", "stack+embeddings"] as const, f("noneTrains"));
  if (!Array.isArray(c.tasks)) throw new Error(`${f("tasks")} must be an array of task names`);
  const seen = new Set<string>();
  for (const t of c.tasks) {
    if (typeof t !== "string" || t.length === 0) {
      throw new Error(`${f("tasks")} must hold non-empty strings, got ${JSON.stringify(t)}`);
    }
    if (seen.has(t)) throw new Error(`${f("tasks")} lists "${t}" twice`);
    seen.add(t);
  }
  const needsTasks = [c.encoder, c.decoder].filter((m) => m === "task" || m === "manual_specific" || m === "skills");
  if (needsTasks.length > 0 && c.tasks.length === 0) {
    throw new Error(`${f("tasks")}: mode "${needsTasks[0]}" needs the list of task names (e.g. ["rte", "mrpc"])`);
  }
  positiveInt(c.skills.count, f("skills.count"));
  positiveInt(c.skills.rank, f("skills.rank"));
  choice(c.skills.placement, ["feed-forward", "attention"] as const, f("skills.placement"));
  positiveNumber(c.skills.logitsLrScale, f("skills.logitsLrScale"));
  if (typeof c.seed !== "number" || !Number.isInteger(c.seed) || c.seed < 0) {
    throw new Error(`${f("seed")} must be a non-negative integer, got ${JSON.stringify(c.seed)}`);
  }
  return c;
}

/**
 * Parses a method config (JSON value, or a preset name as a string) into a validated {@link MethodConfig}. `source`
 * names the file or field in errors.
 */
export function parseMethodConfig(json: unknown, source = "method config"): MethodConfig {
  if (typeof json === "string") json = { preset: json };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object or a preset name, got ${JSON.stringify(json)}`);
  }
  const j = json as Record<string, unknown>;
  for (const k of Object.keys(j)) {
    if (!KEYS.has(k)) throw new Error(`${source}: unknown key "${k}"; known keys: ${[...KEYS].join(", ")}`);
  }
  let base: MethodOverrides = {};
  if (j.preset !== undefined && j.preset !== null) {
    if (typeof j.preset !== "string") throw new Error(`${source}: "preset" must be a string`);
    base = presetOverrides(j.preset, source);
  }
  let skillsIn: Record<string, unknown> = {};
  if (j.skills !== undefined) {
    if (typeof j.skills !== "object" || j.skills === null || Array.isArray(j.skills)) {
      throw new Error(`${source}: "skills" must be an object with keys ${[...SKILL_KEYS].join(", ")}`);
    }
    skillsIn = j.skills as Record<string, unknown>;
    for (const k of Object.keys(skillsIn)) {
      if (!SKILL_KEYS.has(k)) {
        throw new Error(`${source}: unknown key "skills.${k}"; known keys: ${[...SKILL_KEYS].join(", ")}`);
      }
    }
  }
  const pick = <K extends keyof MethodConfig>(k: K): MethodConfig[K] =>
    (j[k] !== undefined ? j[k] : (base as Record<string, unknown>)[k] ?? DEFAULT_METHOD_CONFIG[k]) as MethodConfig[K];
  const config: MethodConfig = {
    preset: typeof j.preset === "string" ? j.preset : null,
    encoder: pick("encoder"),
    decoder: pick("decoder"),
    encoderAdapterDim: pick("encoderAdapterDim"),
    decoderAdapterDim: pick("decoderAdapterDim"),
    hypernetworkBottleneck: pick("hypernetworkBottleneck"),
    layerEmbeddingDim: pick("layerEmbeddingDim"),
    processEncoderOutput: pick("processEncoderOutput"),
    adapterInput: pick("adapterInput"),
    generatorInit: pick("generatorInit"),
    noneTrains: pick("noneTrains"),
    tasks: Array.isArray(pick("tasks")) ? [...pick("tasks")] : pick("tasks"),
    skills: { ...DEFAULT_METHOD_CONFIG.skills, ...base.skills, ...skillsIn } as SkillsConfig,
    seed: pick("seed"),
  };
  return validate(config, source);
}

/** A config from a preset name plus overrides (a convenience over {@link parseMethodConfig}). */
export function methodPreset(name: string, overrides: Record<string, unknown> = {}): MethodConfig {
  return parseMethodConfig({ ...overrides, preset: name }, `preset "${name}"`);
}

/** The JSON form of a config (what {@link parseMethodConfig} reads back to the same config). */
export function methodConfigToJson(c: MethodConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c, skills: { ...c.skills }, tasks: [...c.tasks] };
  if (c.preset === null) delete out.preset;
  return out;
}

/**
 * The id {@link taskIds} gives, with `allowUnseen`, to a task name not in the method's list: a task with no trained
 * task embedding (e.g. MRQA's out-of-domain test subsets), conditioned on the mean of the trained task embeddings
 * (the paper's Table 5 footnote).
 */
export const UNSEEN_TASK: number = -1;

/**
 * Resolves task names or ids to task ids, with an error naming any task not in the config's list; with
 * `options.allowUnseen`, a name not in the list becomes {@link UNSEEN_TASK} instead (other ids must be in range).
 */
export function taskIds(
  config: MethodConfig,
  tasks: ArrayLike<number> | readonly string[],
  what = "tasks",
  options: { allowUnseen?: boolean } = {},
): Int32Array {
  const out = new Int32Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i];
    if (typeof t === "string") {
      const id = config.tasks.indexOf(t);
      if (id < 0 && !options.allowUnseen) {
        throw new Error(`${what}[${i}]: task "${t}" is not in the method's task list [${config.tasks.join(", ")}]`);
      }
      out[i] = id < 0 ? UNSEEN_TASK : id;
    } else if (t === UNSEEN_TASK && options.allowUnseen) {
      out[i] = t;
    } else {
      if (!Number.isInteger(t) || t < 0 || t >= config.tasks.length) {
        throw new Error(
          `${what}[${i}]: task id ${t} is out of range; the method knows ${config.tasks.length} tasks [${
            config.tasks.join(", ")
          }]`,
        );
      }
      out[i] = t;
    }
  }
  return out;
}

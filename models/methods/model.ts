/**
 * `AdaptedT5`: a T5 model with a method's adapters in its stacks: the hyperdecoder and every baseline of the paper
 * as one composable model (the methods of the paper's Table 8 grid; README.md, "Methods"). It holds the
 * {@link T5Model} it adapts and runs it with the method's branches in its hooks, so `forward`, greedy search and beam
 * search work unchanged; `generationOptions()` makes generation compute the per-input decoder adapters once per
 * input instead of at every step.
 *
 * @example
 * ```ts
 * const base = await loadT5(dir);
 * const model = new AdaptedT5(base, methodPreset("hyperdecoder", { tasks: ["rte"] }));
 * const opt = new AdamW(model.trainableParameters(), { lr: 3e-4 });
 * const { loss } = model.forward({ inputIds, attentionMask, labels, labelShape }, { training: true, seed: step });
 * const tokens = await greedySearch(model, inputIds, attentionMask, { ...model.generationOptions(), maxNewTokens: 4 });
 * model.dispose(); // the method's tensors; base stays usable
 * base.dispose();
 * ```
 * @module
 */
import { type CrossEntropyOptions, keep, noGrad, scope, type Tensor, tensor } from "@hyperdecoders/core";
import type {
  DecoderCache,
  EncoderDecoder,
  FeedForwardHook,
  ForwardOptions,
  LayerCache,
  ProjectionHook,
  T5Output,
  TeacherForcedInputs,
} from "../t5/model.ts";
import { type T5Model, teacherForced } from "../t5/model.ts";
import type { T5Config } from "../t5/config.ts";
import type { GenerateOptions, PreparedForward } from "../t5/generate.ts";
import {
  type AdapterWeights,
  batchedAdapter,
  manualAdapter,
  selectTaskAdapters,
  taskEmbeddings,
  taskIdTensor,
} from "./adapters.ts";
import { type MethodConfig, parseMethodConfig, taskIds } from "./config.ts";
import { generateAdapterWeights, type GeneratorParams, instanceEmbedding, type MlpParams } from "./hypernetwork.ts";
import { InitRandom, linearDefault, xavierUniform } from "./init.ts";
import {
  type AdapterNames,
  attentionSkillPrefix,
  type GeneratorHead,
  generatorNames,
  manualAdapterNames,
  mlpNames,
  skillPrefix,
  skillSiteNames,
  type T5Stack,
  taskAdapterNames,
  taskEmbeddingName,
} from "./names.ts";
import {
  attentionSkillSites,
  backboneComponent,
  isBackboneTrainable,
  methodParameterSpecs,
  type ParameterCounts,
  type ParameterGroupName,
  type ParameterSpec,
  stackLayers,
  stackMode,
  summarizeCounts,
} from "./parameters.ts";
import { logisticNoise, skilledLora, skillMixture, type SkillWeights, skillWeights } from "./skills.ts";

/** Forward options of an {@link AdaptedT5}: T5's, plus each example's task. */
export interface AdaptedForwardOptions extends ForwardOptions {
  /**
   * Task of each example, as names or ids of `method.tasks`: needed by the task, manual_specific and skills modes
   * (ignored otherwise). k tasks for B rows (B a multiple of k) give each task to B/k consecutive rows: one task for
   * a whole batch, or per input in beam search, whose rows are the inputs expanded to beams.
   */
  tasks?: ArrayLike<number> | readonly string[];
}

/** Parameters sharing one learning-rate multiplier. */
export interface ParameterGroup {
  /** Group name: "default", or "skill_logits" (the skills baseline's fast group). */
  name: ParameterGroupName;
  /** Multiply the base learning rate by this for the group. */
  lrScale: number;
  /** The parameters (named tensors with `requiresGrad`). */
  params: Tensor[];
}

/** Everything a stack's adapters need for one pass. */
interface StackInputs {
  rows: number;
  tasks: Int32Array | null;
  encoderOut: Tensor | null;
  mask: Tensor | null;
  training: boolean;
  seed: number;
}

/**
 * A stack's adapter branch for one pass: the feed-forward hook or the attention-projection hook, and the tensors
 * computed for them (per-example weights).
 */
interface PreparedStack {
  hook: FeedForwardHook | undefined;
  projectionHook?: ProjectionHook;
  tensors: Tensor[];
}

function initValues(spec: ParameterSpec, rng: InitRandom): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const init = spec.init;
  switch (init.kind) {
    case "zeros":
      return new Float32Array(n);
    case "uniform":
      return rng.uniform(n, init.bound);
    case "normal":
      return rng.normal(n, init.std);
    case "xavier":
      return xavierUniform(rng, spec.shape, init.gain);
    case "linear":
      return linearDefault(rng, n, init.fanIn);
  }
}

function weightsTensors(w: AdapterWeights): Tensor[] {
  return [w.down, w.downBias, w.up, w.upBias];
}

/**
 * T5 with a method's adapters: the hyperdecoder and every baseline (see the module doc).
 *
 * Ownership of GPU memory: the adapted model owns the method's parameters (`methodParams`) and nothing else;
 * `dispose()` frees them and leaves `base` usable (it may be adapted again). The base model, its weights and its
 * caches belong to whoever made it: dispose it explicitly, after every model adapting it. The method does set
 * `requiresGrad` on the base's weights (true exactly for the stacks it trains).
 */
export class AdaptedT5 implements EncoderDecoder {
  /** The T5 model this method adapts (not owned: see the class doc). */
  readonly base: T5Model;
  /** The resolved method configuration. */
  readonly method: MethodConfig;
  /** The method's own parameters by checkpoint name (all trainable). */
  readonly methodParams: Map<string, Tensor>;
  readonly #specs: ParameterSpec[];

  /**
   * Adds `method` (a config, a preset name or a JSON object for {@link parseMethodConfig}) to `base`, which it holds
   * without owning. Initialises the method's parameters from `method.seed` and sets `requiresGrad` on the base
   * weights: true exactly for the stacks the method trains (mode `none`), false for the rest.
   */
  constructor(base: T5Model, method: MethodConfig | string | Record<string, unknown>) {
    this.base = base;
    this.method = parseMethodConfig(method, "AdaptedT5 method");
    this.#specs = methodParameterSpecs(this.config, this.method);
    const rng = new InitRandom(this.method.seed);
    this.methodParams = new Map();
    for (const spec of this.#specs) {
      const t = tensor(initValues(spec, rng), spec.shape).asParameter(spec.name);
      this.methodParams.set(spec.name, t);
    }
    for (const [name, t] of this.params) {
      t.name ??= name;
      t.requiresGrad = isBackboneTrainable(this.method, name);
    }
  }

  /** The backbone's configuration. */
  get config(): T5Config {
    return this.base.config;
  }

  /** The backbone's weights by checkpoint name (the base's own map). */
  get params(): Map<string, Tensor> {
    return this.base.params;
  }

  /** LM head of the backbone: decoder output [B, T, D] → logits [B, T, V]. */
  logits(decoderOut: Tensor): Tensor {
    return this.base.logits(decoderOut);
  }

  /** A method parameter by name. */
  methodParam(name: string): Tensor {
    const t = this.methodParams.get(name);
    if (!t) throw new Error(`AdaptedT5: no method parameter "${name}"`);
    return t;
  }

  /** Every trained tensor by checkpoint name: the method's parameters, then the backbone weights it unfreezes. */
  namedTrainableParameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>(this.methodParams);
    for (const [name, t] of this.params) if (isBackboneTrainable(this.method, name)) out.set(name, t);
    return out;
  }

  /** The trained tensors (named; give them to the optimiser). */
  trainableParameters(): Tensor[] {
    return [...this.namedTrainableParameters().values()];
  }

  /**
   * Trained tensors by learning-rate group: "default" (scale 1) and, for the skills baseline, "skill_logits" (scale
   * `method.skills.logitsLrScale`, the two-speed learning rate). Empty groups are left out.
   */
  parameterGroups(): ParameterGroup[] {
    const groups: ParameterGroup[] = [
      { name: "default", lrScale: 1, params: [] },
      { name: "skill_logits", lrScale: this.method.skills.logitsLrScale, params: [] },
    ];
    const groupOf = new Map(this.#specs.map((s) => [s.name, s.group]));
    for (const [name, t] of this.namedTrainableParameters()) {
      groups[groupOf.get(name) === "skill_logits" ? 1 : 0].params.push(t);
    }
    return groups.filter((g) => g.params.length > 0);
  }

  /** Parameter counts of the instantiated model (method parameters and backbone, by component). */
  countParameters(): ParameterCounts {
    const rows = [];
    for (const spec of this.#specs) {
      rows.push({
        size: this.methodParam(spec.name).size,
        trainable: true,
        component: spec.component,
        backbone: false,
      });
    }
    for (const [name, t] of this.params) {
      rows.push({ size: t.size, trainable: t.requiresGrad, component: backboneComponent(name), backbone: true });
    }
    return summarizeCounts(rows);
  }

  /** Frees the method's parameters; the base model stays usable and is disposed by its owner. */
  dispose(): void {
    for (const t of this.methodParams.values()) t.dispose();
  }

  #taskList(tasks: AdaptedForwardOptions["tasks"], stack: T5Stack): Int32Array | null {
    const mode = stackMode(this.method, stack);
    if (mode !== "task" && mode !== "manual_specific" && mode !== "skills") return null;
    if (!tasks) {
      throw new Error(`AdaptedT5: the ${stack}'s "${mode}" adapters need the task of each example (options.tasks)`);
    }
    // A task-conditioned stack meets tasks it has no embedding for (MRQA's out-of-domain test subsets): those
    // rows get the mean task embedding (Table 5 footnote); the other modes need a trained task.
    return taskIds(this.method, tasks, "options.tasks", { allowUnseen: mode === "task" });
  }

  #manual(stack: T5Stack, layer: number): { downWeight: Tensor; downBias: Tensor; upWeight: Tensor; upBias: Tensor } {
    return this.#adapterTensors(manualAdapterNames(stack, layer));
  }

  #adapterTensors(names: AdapterNames): { downWeight: Tensor; downBias: Tensor; upWeight: Tensor; upBias: Tensor } {
    return {
      downWeight: this.methodParam(names.downWeight),
      downBias: this.methodParam(names.downBias),
      upWeight: this.methodParam(names.upWeight),
      upBias: this.methodParam(names.upBias),
    };
  }

  #generator(stack: T5Stack): GeneratorParams {
    const g = generatorNames(stack);
    const pair = (head: GeneratorHead): [Tensor, Tensor] => [
      this.methodParam(g.heads[head].weight),
      this.methodParam(g.heads[head].bias),
    ];
    return {
      layerEmbed: this.methodParam(g.layerEmbed),
      w1: this.methodParam(g.w1),
      c1: this.methodParam(g.c1),
      weightUp: pair("weight_up"),
      weightDown: pair("weight_down"),
      biasUp: pair("bias_up"),
      biasDown: pair("bias_down"),
    };
  }

  #mlp(stack: T5Stack): MlpParams | null {
    if (!this.method.processEncoderOutput) return null;
    const names = mlpNames(stack);
    return {
      w0: this.methodParam(names.w0),
      b0: this.methodParam(names.b0),
      w2: this.methodParam(names.w2),
      b2: this.methodParam(names.b2),
    };
  }

  #input(h: Tensor, normed: Tensor): Tensor {
    return this.method.adapterInput === "pre-norm" ? h : normed;
  }

  #perExampleHook(weights: AdapterWeights[]): FeedForwardHook {
    return (layer, h, normed) => batchedAdapter(this.#input(h, normed), weights[layer]);
  }

  /**
   * The instance embedding the hypernetwork of `stack` reads: masked mean of `encoderOut` [B, S, d] over `mask`,
   * then the MLP when enabled, [B, d] (for analysis plots of the embeddings).
   */
  instanceEmbedding(stack: T5Stack, encoderOut: Tensor, mask: Tensor): Tensor {
    return instanceEmbedding(encoderOut, mask, this.#mlp(stack));
  }

  /**
   * The adapter weights `stack` uses for each example of one pass: per layer, W_d [B, d, a], b_d [B, 1, a],
   * W_u [B, a, d], b_u [B, 1, d]. For generated decoder adapters `encoderOut` and `mask` are required; for task and
   * per-task adapters `tasks`. (Generated encoder adapters need the first encoder pass: use `encode`.)
   */
  adapterWeights(
    stack: T5Stack,
    inputs: { encoderOut?: Tensor; mask?: Tensor; tasks?: AdaptedForwardOptions["tasks"]; rows?: number },
  ): AdapterWeights[] {
    const mode = stackMode(this.method, stack);
    const tasks = this.#taskList(inputs.tasks, stack);
    const rows = inputs.rows ?? inputs.encoderOut?.shape[0] ?? tasks?.length ?? 0;
    if (mode === "generated") {
      if (!inputs.encoderOut || !inputs.mask) {
        throw new Error(`AdaptedT5.adapterWeights: generated ${stack} adapters need encoderOut and mask`);
      }
      return generateAdapterWeights(
        this.instanceEmbedding(stack, inputs.encoderOut, inputs.mask),
        this.#generator(stack),
      );
    }
    if (mode === "task") {
      const table = this.methodParam(taskEmbeddingName(stack));
      const e = taskEmbeddings(table, tasks!, rows, `AdaptedT5 (${stack} task adapters)`);
      return generateAdapterWeights(e, this.#generator(stack));
    }
    if (mode === "manual_specific") {
      const ids = taskIdTensor(tasks!, rows, `AdaptedT5 (${stack} per-task adapters)`);
      return Array.from({ length: stackLayers(this.config, stack) }, (_, i) => {
        return selectTaskAdapters(this.#adapterTensors(taskAdapterNames(stack, i)), ids);
      });
    }
    throw new Error(`AdaptedT5.adapterWeights: the ${stack}'s "${mode}" mode has no per-example adapter weights`);
  }

  /**
   * Per-example skilled-LoRA factors of one site: its task mixture (with the site's own logistic noise in training,
   * seeded by the pass seed, the stack and `index`) applied to its skill inventory.
   */
  #skillSite(
    prefix: string,
    stack: T5Stack,
    index: number,
    ids: Tensor,
    inputs: StackInputs,
    dIn: number,
    dOut: number,
  ): SkillWeights {
    const { count: S, rank: r } = this.method.skills;
    const noise = inputs.training
      ? logisticNoise(inputs.rows, S, (inputs.seed * 1_000_003 + (stack === "encoder" ? 0 : 500_009) + index) >>> 0)
      : null;
    const names = skillSiteNames(prefix);
    const logits = this.methodParam(names.logits);
    const mixture = skillMixture(logits, ids, noise);
    const params = { logits, a: this.methodParam(names.a), b: this.methodParam(names.b) };
    return skillWeights(params, mixture, dIn, dOut, r);
  }

  /** Feed-forward placement: one skilled LoRA d→d per layer. */
  #skills(stack: T5Stack, inputs: StackInputs): SkillWeights[] {
    const d = this.config.dModel;
    const ids = taskIdTensor(inputs.tasks!, inputs.rows, `AdaptedT5 (${stack} skills)`);
    return Array.from(
      { length: stackLayers(this.config, stack) },
      (_, i) => this.#skillSite(skillPrefix(stack, i), stack, i, ids, inputs, d, d),
    );
  }

  /**
   * Attention placement: skilled LoRA on q, k, v (d → H·d_kv) and o (H·d_kv → d) of every attention sub-layer of
   * the stack, keyed `layer.attention.proj`.
   */
  #attentionSkills(stack: T5Stack, inputs: StackInputs): Map<string, SkillWeights> {
    const d = this.config.dModel;
    const inner = this.config.numHeads * this.config.dKv;
    const ids = taskIdTensor(inputs.tasks!, inputs.rows, `AdaptedT5 (${stack} skills)`);
    const out = new Map<string, SkillWeights>();
    let index = 0;
    for (let i = 0; i < stackLayers(this.config, stack); i++) {
      for (const a of attentionSkillSites(stack)) {
        for (const proj of ["q", "k", "v", "o"] as const) {
          const [dIn, dOut] = proj === "o" ? [inner, d] : [d, inner];
          const prefix = attentionSkillPrefix(stack, i, a, proj);
          out.set(`${i}.${a}.${proj}`, this.#skillSite(prefix, stack, index++, ids, inputs, dIn, dOut));
        }
      }
    }
    return out;
  }

  /** Whether the decoder's method lives on the attention projections (skills, attention placement). */
  #decoderOnProjections(): boolean {
    return stackMode(this.method, "decoder") === "skills" && this.method.skills.placement === "attention";
  }

  #prepareStack(stack: T5Stack, inputs: StackInputs): PreparedStack {
    const mode = stackMode(this.method, stack);
    switch (mode) {
      case "none":
        return { hook: undefined, tensors: [] };
      case "manual":
        return {
          hook: (layer, h, normed) => manualAdapter(this.#input(h, normed), this.#manual(stack, layer)),
          tensors: [],
        };
      case "skills": {
        if (this.method.skills.placement === "attention") {
          const sites = this.#attentionSkills(stack, inputs);
          return {
            hook: undefined,
            projectionHook: (site, proj, x) => {
              if (site.stack !== stack) return null;
              const w = sites.get(`${site.layer}.${site.attention}.${proj}`);
              return w ? skilledLora(x, w) : null;
            },
            tensors: [...sites.values()].flatMap((w) => [w.a, w.b]),
          };
        }
        const weights = this.#skills(stack, inputs);
        return {
          hook: (layer, h, normed) => skilledLora(this.#input(h, normed), weights[layer]),
          tensors: weights.flatMap((w) => [w.a, w.b]),
        };
      }
      default: {
        const weights = this.adapterWeights(stack, {
          encoderOut: inputs.encoderOut ?? undefined,
          mask: inputs.mask ?? undefined,
          tasks: inputs.tasks ?? undefined,
          rows: inputs.rows,
        });
        return { hook: this.#perExampleHook(weights), tensors: weights.flatMap(weightsTensors) };
      }
    }
  }

  /**
   * Encoder with the method's encoder adapters: ids [B, S] i32 and mask [B, S] → [B, S, d]. Generated encoder
   * adapters run the encoder twice (first with the learned adapters, as the reference code does).
   */
  encode(inputIds: Tensor, attentionMask: Tensor, options: AdaptedForwardOptions = {}): Tensor {
    if (options.encoderHook) {
      throw new Error("AdaptedT5.encode: the method supplies the encoder adapters; do not pass options.encoderHook");
    }
    if (options.projectionHook) {
      throw new Error(
        "AdaptedT5.encode: the method supplies the encoder's attention branches; do not pass options.projectionHook",
      );
    }
    const mode = this.method.encoder;
    const seed = options.seed ?? 0;
    const training = options.training ?? false;
    const rows = inputIds.shape[0];
    if (mode === "generated") {
      const firstPass = this.base.encode(inputIds, attentionMask, {
        ...options,
        seed: (seed ^ 0x5f3759df) >>> 0,
        encoderHook: (layer, h, normed) => manualAdapter(this.#input(h, normed), this.#manual("encoder", layer)),
        projectionHook: undefined,
      });
      const weights = generateAdapterWeights(
        this.instanceEmbedding("encoder", firstPass, attentionMask),
        this.#generator("encoder"),
      );
      return this.base.encode(inputIds, attentionMask, { ...options, encoderHook: this.#perExampleHook(weights) });
    }
    const tasks = this.#taskList(options.tasks, "encoder");
    const prepared = this.#prepareStack("encoder", { rows, tasks, encoderOut: null, mask: null, training, seed });
    return this.base.encode(inputIds, attentionMask, {
      ...options,
      encoderHook: prepared.hook,
      projectionHook: prepared.projectionHook,
    });
  }

  /**
   * Decoder with the method's decoder adapters. A given `options.decoderHook` or `options.projectionHook` is used as
   * the method's decoder branches (generation passes those {@link AdaptedT5.prepareDecoder} computed); otherwise they
   * are computed here from `encoderOut`, `encoderMask` and `options.tasks`.
   */
  decode(
    decoderIds: Tensor,
    encoderOut: Tensor,
    encoderMask: Tensor,
    options: AdaptedForwardOptions = {},
    cache?: DecoderCache,
  ): Tensor {
    let hook = options.decoderHook;
    let projectionHook = options.projectionHook;
    if (!hook && !projectionHook) {
      ({ hook, projectionHook } = this.#prepareStack("decoder", {
        rows: decoderIds.shape[0],
        tasks: this.#taskList(options.tasks, "decoder"),
        encoderOut,
        mask: encoderMask,
        training: options.training ?? false,
        seed: options.seed ?? 0,
      }));
    }
    return this.base.decode(
      decoderIds,
      encoderOut,
      encoderMask,
      { ...options, decoderHook: hook, projectionHook },
      cache,
    );
  }

  /**
   * Cross-attention keys and values for generation. When the decoder's method sits on the attention projections
   * and `options` carry no prepared hooks, its branches are computed here from `options.tasks`, as `decode` does.
   */
  crossKeyValues(encoderOut: Tensor, options: AdaptedForwardOptions = {}): LayerCache[] {
    if (this.#decoderOnProjections() && !options.projectionHook && !options.decoderHook) {
      const prepared = this.#prepareStack("decoder", {
        rows: encoderOut.shape[0],
        tasks: this.#taskList(options.tasks, "decoder"),
        encoderOut,
        mask: null,
        training: options.training ?? false,
        seed: options.seed ?? 0,
      });
      return this.base.crossKeyValues(encoderOut, { ...options, projectionHook: prepared.projectionHook });
    }
    return this.base.crossKeyValues(encoderOut, options);
  }

  /** Teacher-forced forward with the method ({@link teacherForced} through this model's encode and decode). */
  forward(inputs: TeacherForcedInputs, options: AdaptedForwardOptions = {}, loss?: CrossEntropyOptions): T5Output {
    return teacherForced(this, inputs, options, loss);
  }

  /**
   * Computes the decoder adapters for generation once from the encoder output (no gradients): the returned options
   * hold a `decoderHook` reusing them at every step, and `dispose` frees them.
   */
  prepareDecoder(encoderOut: Tensor, mask: Tensor, options: AdaptedForwardOptions = {}): PreparedForward {
    const prepared = noGrad(() =>
      scope(() => {
        const p = this.#prepareStack("decoder", {
          rows: encoderOut.shape[0],
          tasks: this.#taskList(options.tasks, "decoder"),
          encoderOut,
          mask,
          training: false,
          seed: 0,
        });
        return { hook: p.hook, projectionHook: p.projectionHook, tensors: p.tensors };
      })
    );
    for (const t of prepared.tensors) keep(t);
    return {
      decoderHook: prepared.hook,
      projectionHook: prepared.projectionHook,
      dispose: () => {
        for (const t of prepared.tensors) t.dispose();
      },
    };
  }

  /**
   * Options for `greedySearch` / `beamSearch`: the tasks (when the method needs them) and a `prepare` that computes
   * the decoder adapters once per input. Spread them into the search options.
   */
  generationOptions(tasks?: AdaptedForwardOptions["tasks"]): Pick<GenerateOptions, "forward" | "prepare"> {
    const forward: AdaptedForwardOptions = tasks ? { tasks } : {};
    return { forward, prepare: (encoderOut, mask) => this.prepareDecoder(encoderOut, mask, forward) };
  }
}

/**
 * Builds a {@link T5Model} from any tensor source (web-standard); see `load_dir.ts` for folders on disk.
 * @module
 */
import { type Tensor, tensor } from "@hyperdecoders/core";
import { assertFiniteWeights } from "../io/dtype.ts";
import type { TensorSource } from "../io/tensor_source.ts";
import { type T5Config, t5ParameterShapes } from "./config.ts";
import { T5Model } from "./model.ts";

const EMBEDDING_ALIASES = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];

/** Checkpoint names that Hugging Face ignores on load, and so does this port. */
export const IGNORED_T5_TENSORS: RegExp =
  /^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$/;

/**
 * Reads every parameter `config` implies from `source` (F32/F16/BF16 → f32), checking shapes against the config.
 * The embedding may be stored under any of its three aliases; `lm_head.weight` is used whenever present. A tensor
 * with a NaN or infinity is refused, naming it.
 */
export async function loadT5FromSource(source: TensorSource, config: T5Config): Promise<T5Model> {
  const params = new Map<string, Tensor>();
  const expected = t5ParameterShapes(config);
  if (source.has("lm_head.weight") && !expected.has("lm_head.weight")) {
    expected.set("lm_head.weight", [config.vocabSize, config.dModel]);
  }
  try {
    for (const [name, shape] of expected) {
      let stored = name;
      if (name === "shared.weight") {
        const alias = EMBEDDING_ALIASES.find((n) => source.has(n));
        if (!alias) {
          throw new Error(`${source.label}: missing the token embedding (looked for ${EMBEDDING_ALIASES.join(", ")})`);
        }
        stored = alias;
      } else if (!source.has(name)) {
        throw new Error(`${source.label}: missing tensor "${name}" that config.json implies (shape [${shape}])`);
      }
      const info = source.info(stored);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new Error(
          `${source.label}: tensor "${stored}" has shape [${info.shape}] but config.json implies [${shape}]`,
        );
      }
      const { data } = await source.readFloat32(stored);
      assertFiniteWeights(data, `${source.label}: tensor "${stored}"`);
      const t = tensor(data, shape).asParameter(name);
      t.requiresGrad = false;
      params.set(name, t);
    }
  } catch (error) {
    for (const t of params.values()) t.dispose();
    throw error;
  }
  return new T5Model(config, params);
}

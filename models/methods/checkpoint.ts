/**
 * Saving and loading a method's trained weights: only the trainable tensors (the method's parameters plus any backbone
 * weights it unfreezes), as safetensors with the method config and the backbone's shape in `__metadata__`, loaded on
 * top of the same base checkpoint. Web-standard (bytes in, bytes out); writing the file is the caller's.
 * @module
 */
import { type Tensor, writeTensor } from "@hyperdecoders/core";
import { assertFiniteWeights, toFloat32Array } from "../io/dtype.ts";
import { decodeSafetensors } from "../io/safetensors.ts";
import { serializeSafetensors, type TensorToWrite } from "../io/safetensors_writer.ts";
import type { T5Config } from "../t5/config.ts";
import type { T5Model } from "../t5/model.ts";
import { methodConfigToJson, parseMethodConfig } from "./config.ts";
import { AdaptedT5 } from "./model.ts";

/** `__metadata__["format"]` of method checkpoints. */
export const METHOD_CHECKPOINT_FORMAT = "hyperdecoders-method/1";

const SHAPE_KEYS = ["vocabSize", "dModel", "dKv", "dFf", "numLayers", "numDecoderLayers", "numHeads"] as const;

function backboneShape(c: T5Config): Record<string, number> {
  return Object.fromEntries(SHAPE_KEYS.map((k) => [k, c[k]]));
}

/**
 * Serialises the trainable weights of `model` (F32) with metadata `format`, `method` (the config as JSON) and
 * `backbone` (the T5 shape it was trained on), plus any `extra` string metadata (e.g. the step).
 */
export async function saveMethodWeights(model: AdaptedT5, extra: Record<string, string> = {}): Promise<Uint8Array> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of model.namedTrainableParameters()) {
    tensors[name] = { dtype: "F32", shape: t.shape, data: (await t.data()) as Float32Array };
  }
  return serializeSafetensors(tensors, {
    ...extra,
    format: METHOD_CHECKPOINT_FORMAT,
    method: JSON.stringify(methodConfigToJson(model.method)),
    backbone: JSON.stringify(backboneShape(model.config)),
  });
}

/** Reads the method config stored in a method checkpoint without loading its tensors. */
export function readMethodCheckpointMetadata(bytes: Uint8Array, label = "method checkpoint"): Record<string, string> {
  return decodeSafetensors(bytes, label).metadata;
}

/**
 * Builds an {@link AdaptedT5} on `base` from a checkpoint written by {@link saveMethodWeights}: the method config from
 * the metadata, then every stored tensor copied in. Backbone weights in the checkpoint (methods that train a stack)
 * overwrite `base`'s tensors in place. Errors name the file (`label`) and the tensor. The model holds `base` without
 * owning it (see {@link AdaptedT5}): dispose both.
 */
export function loadMethodWeights(base: T5Model, bytes: Uint8Array, label = "method checkpoint"): AdaptedT5 {
  const { metadata, tensors } = decodeSafetensors(bytes, label);
  if (metadata.format !== METHOD_CHECKPOINT_FORMAT) {
    throw new Error(
      `${label}: __metadata__.format is ${
        JSON.stringify(metadata.format)
      }, expected "${METHOD_CHECKPOINT_FORMAT}"; is this a method checkpoint?`,
    );
  }
  let methodJson: unknown;
  let shape: Record<string, number>;
  try {
    methodJson = JSON.parse(metadata.method);
    shape = JSON.parse(metadata.backbone);
  } catch (error) {
    throw new Error(`${label}: __metadata__ "method"/"backbone" is not valid JSON (${(error as Error).message})`);
  }
  const own = backboneShape(base.config);
  for (const k of SHAPE_KEYS) {
    if (shape[k] !== own[k]) {
      throw new Error(
        `${label}: trained on a backbone with ${k} = ${shape[k]}, but the base model has ${
          own[k]
        }; load the same base checkpoint`,
      );
    }
  }
  // Checkpoints written before "noneTrains" existed trained the shared embedding with a one-sided "none" stack.
  if (
    typeof methodJson === "object" && methodJson !== null && !("noneTrains" in methodJson) &&
    ("shared.weight" in tensors || "lm_head.weight" in tensors)
  ) methodJson = { ...methodJson, noneTrains: "stack+embeddings" };
  const model = new AdaptedT5(base, parseMethodConfig(methodJson, `${label}: __metadata__.method`));
  const expected = model.namedTrainableParameters();
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) {
      model.dispose();
      throw new Error(`${label}: tensor "${name}" is not a trainable parameter of the stored method`);
    }
  }
  const writes: [Tensor, Float32Array][] = [];
  for (const [name, t] of expected) {
    const stored = tensors[name];
    if (!stored) {
      model.dispose();
      throw new Error(`${label}: missing tensor "${name}" (shape [${t.shape}])`);
    }
    if (stored.shape.length !== t.shape.length || stored.shape.some((d, i) => d !== t.shape[i])) {
      model.dispose();
      throw new Error(`${label}: tensor "${name}" has shape [${stored.shape}], the method needs [${t.shape}]`);
    }
    const data = toFloat32Array(stored.data, `${label}: tensor "${name}"`);
    try {
      assertFiniteWeights(data, `${label}: tensor "${name}"`);
    } catch (error) {
      model.dispose();
      throw error;
    }
    writes.push([t, data]);
  }
  for (const [t, data] of writes) writeTensor(t, data);
  return model;
}

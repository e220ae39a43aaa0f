/**
 * Deno-only: compares T5 on this engine with a Hugging Face reference dump (`reference_io.safetensors`, and
 * optionally `reference_grads.safetensors`): logits, encoder output, loss, every parameter gradient, greedy and
 * 4-beam generations.
 * @module
 */
import { join } from "@std/path";
import { backward, scope, type Tensor, tensor } from "@hyperdecoders/core";
import { toInt32Array } from "../io/dtype.ts";
import { isFile, openCheckpoint } from "../io/open_checkpoint.ts";
import { beamSearch, greedySearch } from "./generate.ts";
import { loadT5 } from "./load_dir.ts";

/** Options of {@link t5Parity}. */
export interface ParityOptions {
  /** Reference inputs/outputs file (default `<dir>/reference_io.safetensors`). */
  reference?: string;
  /** Reference gradients file (default `<dir>/reference_grads.safetensors` when it exists; "" to skip). */
  grads?: string;
  /** Weights file inside `dir` to load instead of the default (e.g. `model.bf16.safetensors`). */
  weights?: string;
  /** Thresholds (defaults: logits/encoder 1e-4 relative, loss 1e-4 absolute, gradients 1e-3 relative L2). */
  tolerances?: { logits?: number; loss?: number; grads?: number };
}

/** The parity report (`deno task parity` prints it as one JSON line). */
export interface ParityReport {
  /** Model folder. */
  model: string;
  /** Max |logits − reference|. */
  logits_max_abs_err: number;
  /** Max abs error / max |reference| of the logits. */
  logits_rel_err: number;
  /** Same for the final encoder hidden states. */
  encoder_rel_err: number;
  /** |loss − reference|. */
  loss_abs_err: number;
  /** Worst ‖g − g_ref‖ / ‖g_ref‖ over parameters (null without gradients). */
  grads_max_rel_l2_err: number | null;
  /** The parameter with the worst gradient error. */
  grads_worst_param: string | null;
  /** Greedy ids identical to the reference. */
  greedy_match: boolean;
  /** 4-beam ids identical to the reference. */
  beam_match: boolean;
  /** Everything within tolerance. */
  ok: boolean;
}

function maxAbsErr(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return { abs, rel: abs / Math.max(ref, 1e-30) };
}

function rows(data: Int32Array, shape: number[]): number[][] {
  const [b, t] = shape;
  return Array.from({ length: b }, (_, i) => Array.from(data.subarray(i * t, (i + 1) * t)));
}

function sameRows(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((r, i) => r.length === b[i].length && r.every((v, j) => v === b[i][j]));
}

/** Runs the comparison. Expects the engine to be started. */
export async function t5Parity(dir: string, options: ParityOptions = {}): Promise<ParityReport> {
  const model = await loadT5(dir, { weights: options.weights });
  const refPath = options.reference ?? join(dir, "reference_io.safetensors");
  const gradsPath = options.grads ?? join(dir, "reference_grads.safetensors");
  const useGrads = options.grads !== "" && await isFile(gradsPath);
  const ref = await openCheckpoint(refPath);
  const tensors: Tensor[] = [];
  try {
    const read = async (name: string) => await ref.read(name);
    const ids = await read("input_ids");
    const maskRaw = await read("attention_mask");
    const labels = await read("labels");
    const [B, S] = ids.shape;
    const T = labels.shape[1];
    const inputIds = tensor(toInt32Array(ids.data, "input_ids"), [B, S], "i32");
    const mask = tensor(Float32Array.from(toInt32Array(maskRaw.data, "attention_mask")), [B, S]);
    tensors.push(inputIds, mask);
    if (useGrads) model.setTrainable(() => true);
    const labelData = toInt32Array(labels.data, "labels");
    const out = scope(() => {
      const o = model.forward({ inputIds, attentionMask: mask, labels: labelData, labelShape: [B, T] });
      if (useGrads) backward(o.loss);
      return { logits: o.logits, encoderOut: o.encoderOut, loss: o.loss };
    });
    tensors.push(out.logits, out.encoderOut, out.loss);
    const logits = maxAbsErr(await out.logits.data(), (await ref.readFloat32("logits")).data);
    const enc = maxAbsErr(await out.encoderOut.data(), (await ref.readFloat32("encoder_last_hidden_state")).data);
    const lossErr = Math.abs((await out.loss.item()) - (await ref.readFloat32("loss")).data[0]);
    let worst: number | null = null;
    let worstName: string | null = null;
    if (useGrads) {
      const gref = await openCheckpoint(gradsPath);
      try {
        worst = 0;
        for (const name of gref.names()) {
          const param = model.params.get(name);
          if (!param?.grad) throw new Error(`${gradsPath}: no gradient computed for "${name}"`);
          const g = await param.grad.data();
          const r = (await gref.readFloat32(name)).data;
          let num = 0;
          let den = 0;
          for (let i = 0; i < r.length; i++) {
            num += (g[i] - r[i]) ** 2;
            den += r[i] ** 2;
          }
          const err = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
          if (!(err <= worst)) [worst, worstName] = [Number.isNaN(err) ? Infinity : err, name];
        }
      } finally {
        gref.close();
      }
    }
    model.setTrainable(() => false);
    const greedyRef = await read("greedy_ids");
    const beamRef = await read("beam4_ids");
    const greedy = await greedySearch(model, inputIds, mask, { maxNewTokens: 12 });
    const beams = await beamSearch(model, inputIds, mask, { maxNewTokens: 12, numBeams: 4 });
    const tol = options.tolerances ?? {};
    const report: ParityReport = {
      model: dir,
      logits_max_abs_err: logits.abs,
      logits_rel_err: logits.rel,
      encoder_rel_err: enc.rel,
      loss_abs_err: lossErr,
      grads_max_rel_l2_err: worst,
      grads_worst_param: worstName,
      greedy_match: sameRows(greedy, rows(toInt32Array(greedyRef.data), greedyRef.shape)),
      beam_match: sameRows(beams, rows(toInt32Array(beamRef.data), beamRef.shape)),
      ok: false,
    };
    report.ok = report.logits_rel_err <= (tol.logits ?? 1e-4) && report.encoder_rel_err <= (tol.logits ?? 1e-4) &&
      report.loss_abs_err <= (tol.loss ?? 1e-4) && (worst === null || worst <= (tol.grads ?? 1e-3)) &&
      report.greedy_match && report.beam_match;
    return report;
  } finally {
    ref.close();
    for (const t of tensors) t.dispose();
    model.dispose();
  }
}

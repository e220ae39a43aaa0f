/**
 * Generation with a key/value cache, reproducing Hugging Face `generate()` token for token: greedy search and beam
 * search (transformers 5 vectorised algorithm: 2·beams candidates per step, length penalty, early stopping).
 * Cross-attention keys and values are computed once per input; each step reads back one row of log-probabilities
 * per sequence (WebGPU readbacks cost ~10 ms, so a step is one readback).
 * @module
 */
import { gatherRows, logSoftmax, noGrad, reshape, scope, type Tensor, tensor } from "@hyperdecoders/core";
import type { DecoderCache, EncoderDecoder, ForwardOptions } from "./model.ts";

/** Options of {@link greedySearch} and {@link beamSearch}. */
export interface GenerateOptions {
  /** Most new tokens after the decoder start token (default 20, as HF's max_length 20 minus the start). */
  maxNewTokens?: number;
  /** Fewest new tokens before EOS may be chosen (EOS log-prob forced to −∞ before that). */
  minNewTokens?: number;
  /** Adapter hooks and other forward options (evaluation mode is forced). */
  forward?: ForwardOptions;
  /**
   * Computes forward options once per input from the encoder output and mask (e.g. generated decoder adapters),
   * merged over `forward` for every decoding step. Beam search passes the rows expanded to the beams. Tensors it
   * creates must be kept out of scopes by it; `dispose` on the result is called when generation ends.
   */
  prepare?: (encoderOut: Tensor, mask: Tensor) => PreparedForward;
  /**
   * Also return each sequence's log-probability and length ({@link ScoredSequences}) instead of the bare token rows
   * (default false, so existing callers keep `number[][]`).
   */
  returnScores?: boolean;
}

/** Generated sequences with their scores (`returnScores: true`). */
export interface ScoredSequences {
  /** Per input: the decoder start token, the generated tokens, then padding after EOS (as without scores). */
  sequences: number[][];
  /**
   * Per input: the sum of the log-probabilities of its generated tokens, EOS included and padding excluded, under
   * the distribution decoding chose from. Greedy: where `minNewTokens` masks EOS, the rest of that step's
   * distribution is renormalised (the log-softmax of HF's processed scores, as the reference trainer's MRQA scoring
   * computes it). Beam search: the finished hypothesis's accumulated log-probability before the length penalty.
   */
  logProbs: number[];
  /** Per input: generated tokens, EOS included, padding excluded. */
  lengths: number[];
}

/** Result of {@link GenerateOptions.prepare}: forward options, and a function freeing what they hold. */
export interface PreparedForward extends ForwardOptions {
  /** Frees tensors the options hold (called once generation ends). */
  dispose?: () => void;
}

function prepareSteps(
  options: GenerateOptions,
  fwd: ForwardOptions,
  encoderOut: Tensor,
  mask: Tensor,
): PreparedForward {
  if (!options.prepare) return fwd;
  const prepare = options.prepare;
  return { ...fwd, ...noGrad(() => prepare(encoderOut, mask)) };
}

/** Options of {@link beamSearch}. */
export interface BeamOptions extends GenerateOptions {
  /** Beams per input (default 4). */
  numBeams?: number;
  /** Length penalty exponent (default 1). */
  lengthPenalty?: number;
  /** Stop a batch entry once `numBeams` hypotheses are finished (default true). */
  earlyStopping?: boolean;
}

function encodeOnce(model: EncoderDecoder, inputIds: Tensor, mask: Tensor, options: GenerateOptions) {
  const fwd = { ...options.forward, training: false };
  return { fwd, encoderOut: noGrad(() => scope(() => model.encode(inputIds, mask, fwd))) };
}

/** Runs one decoder step for `ids` (one token per row) and returns log-probabilities [rows, V] on the CPU. */
async function stepLogProbs(
  model: EncoderDecoder,
  ids: Int32Array,
  encoderOut: Tensor,
  mask: Tensor,
  cache: DecoderCache,
  fwd: ForwardOptions,
): Promise<Float32Array> {
  const logProbs = noGrad(() =>
    scope(() => {
      const input = tensor(ids, [ids.length, 1], "i32");
      const out = model.decode(input, encoderOut, mask, fwd, cache);
      return logSoftmax(reshape(model.logits(out), [ids.length, model.config.vocabSize]));
    })
  );
  const data = (await logProbs.data()) as Float32Array;
  logProbs.dispose();
  return data;
}

function freeCache(cache: DecoderCache): void {
  for (const layer of cache.layers) {
    for (const t of [layer.selfK, layer.selfV, layer.crossK, layer.crossV]) t?.dispose();
  }
}

/**
 * Greedy decoding: returns, per input, the decoder start token followed by the chosen tokens, padded with the pad id
 * after EOS, all rows as long as the longest (as HF returns them).
 */
export function greedySearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: GenerateOptions & { returnScores: true },
): Promise<ScoredSequences>;
/** Greedy decoding without scores: the token rows. */
export function greedySearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options?: GenerateOptions & { returnScores?: false },
): Promise<number[][]>;
/** Greedy decoding: token rows, or {@link ScoredSequences} when `options.returnScores` is true. */
export function greedySearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options?: GenerateOptions,
): Promise<number[][] | ScoredSequences>;
export async function greedySearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: GenerateOptions = {},
): Promise<number[][] | ScoredSequences> {
  const scored = await greedyScored(model, inputIds, attentionMask, options);
  return options.returnScores ? scored : scored.sequences;
}

async function greedyScored(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: GenerateOptions,
): Promise<ScoredSequences> {
  const c = model.config;
  const batch = inputIds.shape[0];
  const maxNew = options.maxNewTokens ?? 20;
  const minNew = options.minNewTokens ?? 0;
  const V = c.vocabSize;
  {
    const { fwd, encoderOut } = encodeOnce(model, inputIds, attentionMask, options);
    const stepFwd = prepareSteps(options, fwd, encoderOut, attentionMask);
    const cache: DecoderCache = {
      layers: noGrad(() => scope(() => model.crossKeyValues(encoderOut, stepFwd))),
      length: 0,
    };
    const sequences = Array.from({ length: batch }, () => [c.decoderStartTokenId]);
    const unfinished = new Array(batch).fill(true);
    const sums = new Array<number>(batch).fill(0);
    const lengths = new Array<number>(batch).fill(0);
    try {
      for (let step = 0; step < maxNew; step++) {
        const last = Int32Array.from(sequences, (s) => s[s.length - 1]);
        const logProbs = await stepLogProbs(model, last, encoderOut, attentionMask, cache, stepFwd);
        for (let b = 0; b < batch; b++) {
          let next = c.padTokenId;
          if (unfinished[b]) {
            let best = -Infinity;
            const eosMasked = step < minNew;
            for (let v = 0; v < V; v++) {
              const lp = eosMasked && v === c.eosTokenId ? -Infinity : logProbs[b * V + v];
              if (lp > best) [best, next] = [lp, v];
            }
            // Renormalise over the tokens left once EOS is masked: log p − log(1 − p_eos).
            sums[b] += eosMasked ? best - Math.log1p(-Math.exp(logProbs[b * V + c.eosTokenId])) : best;
            lengths[b]++;
          }
          sequences[b].push(next);
          if (next === c.eosTokenId) unfinished[b] = false;
        }
        if (!unfinished.some(Boolean)) break;
      }
    } finally {
      stepFwd.dispose?.();
      freeCache(cache);
      encoderOut.dispose();
    }
    return { sequences, logProbs: sums, lengths };
  }
}

interface Candidate {
  score: number;
  beam: number;
  token: number;
}

/** Indices of the `k` largest values, descending; ties keep the lower index first (as torch.topk on CPU). */
function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => (values[b] - values[a]) || (a - b));
  return idx.slice(0, k);
}

const f32 = Math.fround;
const NEG = -1e9;

/**
 * Beam search as transformers 5 implements it: per step the top 2·beams continuations of all beams; candidates ending
 * in EOS among the top `beams` enter the finished set (score = sum of log-probs / generated length^penalty); the best
 * `beams` unfinished continue. Returns the best finished sequence per input (start token first, pad after EOS),
 * all rows as long as the longest.
 */
export function beamSearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: BeamOptions & { returnScores: true },
): Promise<ScoredSequences>;
/** Beam search without scores: the token rows. */
export function beamSearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options?: BeamOptions & { returnScores?: false },
): Promise<number[][]>;
/** Beam search: token rows, or {@link ScoredSequences} when `options.returnScores` is true. */
export function beamSearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options?: BeamOptions,
): Promise<number[][] | ScoredSequences>;
export async function beamSearch(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: BeamOptions = {},
): Promise<number[][] | ScoredSequences> {
  const scored = await beamScored(model, inputIds, attentionMask, options);
  return options.returnScores ? scored : scored.sequences;
}

async function beamScored(
  model: EncoderDecoder,
  inputIds: Tensor,
  attentionMask: Tensor,
  options: BeamOptions,
): Promise<ScoredSequences> {
  const c = model.config;
  const batch = inputIds.shape[0];
  const nb = options.numBeams ?? 4;
  const maxNew = options.maxNewTokens ?? 20;
  const minNew = options.minNewTokens ?? 0;
  const penalty = options.lengthPenalty ?? 1;
  const early = options.earlyStopping ?? true;
  const V = c.vocabSize;
  const keepK = 2 * nb;
  const promptLen = 1;
  const maxLength = promptLen + maxNew;
  {
    const base = encodeOnce(model, inputIds, attentionMask, options);
    // Expand every input to nb rows (row b·nb + j), as HF's repeat_interleave.
    const expand = Int32Array.from({ length: batch * nb }, (_, i) => Math.floor(i / nb));
    const maskData = await attentionMask.data();
    const S = attentionMask.shape[1];
    const expandedMask = new Float32Array(batch * nb * S);
    for (let r = 0; r < batch * nb; r++) {
      for (let s = 0; s < S; s++) expandedMask[r * S + s] = maskData[expand[r] * S + s];
    }
    const mask = tensor(expandedMask, [batch * nb, S]);
    const encoderOut = noGrad(() => scope(() => gatherRows(base.encoderOut, tensor(expand, [expand.length], "i32"))));
    base.encoderOut.dispose();
    const stepFwd = prepareSteps(options, base.fwd, encoderOut, mask);
    const cache: DecoderCache = {
      layers: noGrad(() => scope(() => model.crossKeyValues(encoderOut, stepFwd))),
      length: 0,
    };
    let running: number[][] = Array.from({ length: batch * nb }, () => [c.decoderStartTokenId]);
    let runningScores: number[] = Array.from({ length: batch * nb }, (_, i) => (i % nb === 0 ? 0 : NEG));
    // `sum`: the hypothesis's accumulated log-probability (its score before the length penalty).
    const finished: { seq: number[]; score: number; sum: number; done: boolean }[][] = Array.from(
      { length: batch },
      () => Array.from({ length: nb }, () => ({ seq: [] as number[], score: NEG, sum: NEG, done: false })),
    );
    let heuristicOpen = new Array(batch).fill(true);
    try {
      for (let curLen = promptLen; curLen < maxLength; curLen++) {
        const last = Int32Array.from(running, (s) => s[s.length - 1]);
        const logProbs = await stepLogProbs(model, last, encoderOut, mask, cache, stepFwd);
        const nextRunning: number[][] = [];
        const nextScores: number[] = [];
        const reorder = new Int32Array(batch * nb);
        const hitsAll: boolean[] = [];
        for (let b = 0; b < batch; b++) {
          const acc = new Float32Array(nb * V);
          for (let j = 0; j < nb; j++) {
            const row = b * nb + j;
            for (let v = 0; v < V; v++) {
              const lp = curLen - promptLen < minNew && v === c.eosTokenId ? -Infinity : logProbs[row * V + v];
              acc[j * V + v] = f32(lp + runningScores[row]);
            }
          }
          const cands: Candidate[] = topK(acc, keepK).map((i) => ({
            score: acc[i],
            beam: Math.floor(i / V),
            token: i % V,
          }));
          const hits = cands.map((cd) => cd.token === c.eosTokenId || curLen + 1 >= maxLength);
          hitsAll.push(...hits);
          // Running beams for the next step: best nb candidates that did not stop.
          const runScores = cands.map((cd, i) => f32(cd.score + (hits[i] ? NEG : 0)));
          for (const i of topK(runScores, nb)) {
            const src = b * nb + cands[i].beam;
            reorder[nextRunning.length] = src;
            nextRunning.push([...running[src], cands[i].token]);
            nextScores.push(runScores[i]);
          }
          // Finished set: merge the previous finished with candidates that stopped among the top nb.
          const fin = finished[b];
          const full = fin.every((h) => h.done) && early;
          const genLen = curLen + 1 - promptLen;
          const merged = [
            ...fin.map((h) => ({ ...h })),
            ...cands.map((cd, i) => {
              let s = f32(cd.score / genLen ** penalty);
              if (full) s = f32(s + NEG);
              if (!heuristicOpen[b]) s = f32(s + NEG);
              const justFinished = hits[i] && i < nb;
              if (!justFinished) s = f32(s + NEG);
              return {
                seq: [...running[b * nb + cd.beam], cd.token],
                score: s,
                sum: cd.score,
                done: justFinished,
              };
            }),
          ];
          finished[b] = topK(merged.map((m) => m.score), nb).map((i) => merged[i]);
        }
        running = nextRunning;
        runningScores = nextScores;
        // Reorder the self-attention cache to the surviving beams.
        for (const layer of cache.layers) {
          const [k, v] = [layer.selfK!, layer.selfV!];
          const [nk, nv] = noGrad(() =>
            scope(() => {
              const rows = tensor(reorder, [reorder.length], "i32");
              return [gatherRows(k, rows), gatherRows(v, rows)];
            })
          );
          k.dispose();
          v.dispose();
          layer.selfK = nk;
          layer.selfV = nv;
        }
        // Early-stop heuristic and loop condition (after cur_len += 1).
        const nextLen = curLen + 1;
        heuristicOpen = heuristicOpen.map((open, b) => {
          const best = f32(runningScores[b * nb] / (nextLen - promptLen) ** penalty);
          const fin = finished[b];
          const worst = fin.every((h) => h.done) ? Math.min(...fin.map((h) => h.score)) : NEG;
          return open && best > worst;
        });
        const improvement = heuristicOpen.some(Boolean);
        const openBeam = !(finished.every((f) => f.every((h) => h.done)) && early);
        const valid = !hitsAll.every(Boolean);
        if (!(improvement && openBeam && valid)) break;
      }
    } finally {
      stepFwd.dispose?.();
      freeCache(cache);
      encoderOut.dispose();
      mask.dispose();
    }
    const best = finished.map((f) => f[0].seq);
    const length = Math.max(...best.map((s) => s.length));
    return {
      sequences: best.map((s) => [...s, ...new Array(length - s.length).fill(c.padTokenId)]),
      logProbs: finished.map((f) => f[0].sum),
      lengths: best.map((s) => s.length - promptLen),
    };
  }
}

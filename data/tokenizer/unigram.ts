import type { IdSink } from "./id_sink.ts";

/**
 * Unigram Viterbi segmentation (SentencePiece `EncodeOptimized`, Hugging Face `encode_optimized`) over UTF-16 code
 * units. Working on code units instead of UTF-8 bytes changes nothing in the result: pieces start and end on
 * character boundaries either way, and the lattice is walked one character at a time.
 */

/** Construction options of {@linkcode UnigramModel}. */
export interface UnigramOptions {
  /**
   * SentencePiece numerics: path scores are stored as float32 (`float best_path_score`) while a piece candidate
   * (`double score + float`) is compared in double before being stored; unknown candidates are float sums.
   * Otherwise float64 throughout, as Hugging Face `tokenizers`. The two can pick different paths on near-ties.
   */
  float32: boolean;
  /** Penalty below the minimum score given to an unknown character (10 in both libraries). */
  unkPenalty?: number;
  /**
   * Look fused `<unk>` runs up in the vocabulary and use that id if present (Hugging Face maps every token string
   * through `token_to_ids`); SentencePiece always keeps the unk id.
   */
  lookupFusedUnk?: boolean;
}

/**
 * Piece kinds of {@linkcode UnigramModel} entries: `Skip` (not matched: control, unknown, unused, and sentinels in
 * SentencePiece mode), `Normal` (own score), `UserDefined` (SentencePiece user-defined symbol, score
 * `length * max_score - 0.1`).
 */
export const Usage = { Skip: 0, Normal: 1, UserDefined: 2 } as const;

const EMPTY = -1;

/** A vocabulary trie over UTF-16 code units plus the Viterbi search. */
export class UnigramModel {
  /** Child of the root for each code unit (0 = none). */
  #root = new Int32Array(65536);
  // Open-addressing table of (node, code unit) → child for nodes below the root.
  #hNode: Int32Array;
  #hUnit: Uint16Array;
  #hChild: Int32Array;
  #hMask: number;
  /** Piece id ending at each node (-1 = none). */
  #nodeId: Int32Array;
  #nodeCount = 1;
  #score: Float64Array;
  #unkId: number;
  #unkScore: number;
  #f32: boolean;
  #pieces: readonly string[];
  #lookup: Map<string, number> | undefined;
  // Scratch buffers of the lattice, grown on demand.
  #best = new Float64Array(256);
  #start = new Int32Array(256);
  #id = new Int32Array(256);

  /**
   * @param pieces piece strings by id
   * @param scores scores by id
   * @param usage per id: {@linkcode Usage}
   * @param unkId id given to unknown characters
   * @param minScore minimum score the library uses for `unk_score = minScore - penalty`
   * @param opts numeric and unk options
   * @param pieceToId piece → id map, used when `opts.lookupFusedUnk`
   */
  constructor(
    pieces: readonly string[],
    scores: ArrayLike<number>,
    usage: Uint8Array,
    unkId: number,
    minScore: number,
    opts: UnigramOptions,
    pieceToId?: Map<string, number>,
  ) {
    this.#pieces = pieces;
    this.#unkId = unkId;
    this.#f32 = opts.float32;
    this.#lookup = opts.lookupFusedUnk ? pieceToId : undefined;
    const penalty = opts.unkPenalty ?? 10;
    this.#unkScore = this.#f32 ? Math.fround(Math.fround(minScore) - penalty) : minScore - penalty;
    let total = 0;
    for (let i = 0; i < pieces.length; i++) if (usage[i] !== Usage.Skip) total += pieces[i].length;
    let cap = 16;
    while (cap < total * 2 + 16) cap *= 2;
    this.#hNode = new Int32Array(cap).fill(EMPTY);
    this.#hUnit = new Uint16Array(cap);
    this.#hChild = new Int32Array(cap);
    this.#hMask = cap - 1;
    this.#nodeId = new Int32Array(total + 2).fill(-1);
    this.#score = new Float64Array(pieces.length);
    let maxScore = -Infinity;
    for (let i = 0; i < pieces.length; i++) if (usage[i] === Usage.Normal) maxScore = Math.max(maxScore, scores[i]);
    for (let i = 0; i < pieces.length; i++) {
      const u = usage[i];
      if (u === Usage.Skip) continue;
      const p = pieces[i];
      if (u === Usage.UserDefined) {
        // sentencepiece: `length * max_score_ - 0.1` with length in UTF-8 bytes (float product, double subtraction).
        this.#score[i] = Math.fround(Math.fround(utf8Length(p)) * Math.fround(maxScore)) - 0.1;
      } else {
        this.#score[i] = scores[i];
      }
      let node = 0;
      for (let k = 0; k < p.length; k++) node = this.#childOrAdd(node, p.charCodeAt(k));
      this.#nodeId[node] = i; // a later duplicate wins, as in Hugging Face's token_to_ids
    }
  }

  #childOrAdd(node: number, unit: number): number {
    if (node === 0) {
      let c = this.#root[unit];
      if (c === 0) {
        c = this.#nodeCount++;
        this.#root[unit] = c;
      }
      return c;
    }
    let h = hash(node, unit) & this.#hMask;
    while (this.#hNode[h] !== EMPTY) {
      if (this.#hNode[h] === node && this.#hUnit[h] === unit) return this.#hChild[h];
      h = (h + 1) & this.#hMask;
    }
    const c = this.#nodeCount++;
    this.#hNode[h] = node;
    this.#hUnit[h] = unit;
    this.#hChild[h] = c;
    return c;
  }

  #grow(n: number): void {
    let cap = this.#best.length;
    while (cap < n + 1) cap *= 2;
    this.#best = new Float64Array(cap);
    this.#start = new Int32Array(cap);
    this.#id = new Int32Array(cap);
  }

  /**
   * Segment `buf[0, n)` and append the ids to `out`. When `spans` is given, also append the `[start, end)` code-unit
   * range of each token (fused unknown runs as one range).
   */
  encode(buf: Uint16Array, n: number, out: IdSink, spans?: number[]): void {
    // (buf is indexed from 0; callers pass a subarray for a slice.)
    if (n === 0) return;
    if (this.#best.length < n + 1) this.#grow(n);
    const best = this.#best;
    const startAt = this.#start;
    const bestId = this.#id;
    const root = this.#root;
    const hNode = this.#hNode;
    const hUnit = this.#hUnit;
    const hChild = this.#hChild;
    const mask = this.#hMask;
    const nodeId = this.#nodeId;
    const score = this.#score;
    const f32 = this.#f32;
    const unkId = this.#unkId;
    const unkScore = this.#unkScore;
    startAt[0] = 0;
    best[0] = 0;
    for (let i = 1; i <= n; i++) startAt[i] = -1;
    let s = 0;
    while (s < n) {
      const base = best[s];
      const c0 = buf[s];
      const mblen = c0 >= 0xd800 && c0 < 0xdc00 && s + 1 < n && (buf[s + 1] & 0xfc00) === 0xdc00 ? 2 : 1;
      let hasSingle = false;
      let node = root[c0];
      let k = s + 1;
      while (node !== 0) {
        const id = nodeId[node];
        if (id >= 0) {
          // SentencePiece: `score` is a double (the user-defined branch of its ternary is double), so the sum is
          // compared in double against the stored float and only rounded when stored.
          const cand = base + score[id];
          if (startAt[k] === -1 || cand > best[k]) {
            best[k] = f32 ? Math.fround(cand) : cand;
            startAt[k] = s;
            bestId[k] = id;
          }
          if (k - s === mblen) hasSingle = true;
        }
        if (k >= n) break;
        const unit = buf[k];
        let h = hash(node, unit) & mask;
        let next = 0;
        for (;;) {
          const hn = hNode[h];
          if (hn === EMPTY) break;
          if (hn === node && hUnit[h] === unit) {
            next = hChild[h];
            break;
          }
          h = (h + 1) & mask;
        }
        node = next;
        k++;
      }
      if (!hasSingle) {
        const e = s + mblen;
        let cand = base + unkScore;
        if (f32) cand = Math.fround(cand);
        if (startAt[e] === -1 || cand > best[e]) {
          best[e] = cand;
          startAt[e] = s;
          bestId[e] = unkId;
        }
      }
      s += mblen;
    }
    // Backtrack, then emit in order. Consecutive unknowns fuse into one token.
    out.reserve(n);
    const ids = out.a;
    const first = out.n;
    let len = first;
    const firstSpan = spans ? spans.length : 0;
    let e = n;
    while (e > 0) {
      const st = startAt[e];
      const id = bestId[e];
      if (id === unkId) {
        let s2 = st;
        while (s2 > 0 && bestId[s2] === unkId) s2 = startAt[s2];
        let fid = unkId;
        if (this.#lookup !== undefined) {
          const found = this.#lookup.get(unitsToString(buf, s2, e));
          if (found !== undefined) fid = found;
        }
        ids[len++] = fid;
        if (spans) spans.push(e, s2);
        e = s2;
      } else {
        ids[len++] = id;
        if (spans) spans.push(e, st);
        e = st;
      }
    }
    out.n = len;
    for (let i = first, j = len - 1; i < j; i++, j--) {
      const t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    if (spans) reverseFrom(spans, firstSpan);
  }

  /** Piece string of an id. */
  piece(id: number): string {
    return this.#pieces[id];
  }
}

function hash(node: number, unit: number): number {
  return Math.imul(node, 0x9e3779b1) ^ Math.imul(unit, 0x85ebca6b);
}

function reverseFrom(a: number[], from: number): void {
  for (let i = from, j = a.length - 1; i < j; i++, j--) {
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * The string of UTF-16 code units `buf[start, end)`, built in bounded chunks: spreading a long run into
 * `String.fromCharCode` would overflow the call stack (a run of 150,000 unknown characters did).
 */
export function unitsToString(buf: Uint16Array, start: number, end: number): string {
  const CHUNK = 8192;
  if (end - start <= CHUNK) return String.fromCharCode(...buf.subarray(start, end));
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(String.fromCharCode(...buf.subarray(i, Math.min(end, i + CHUNK))));
  }
  return parts.join("");
}

/** Number of UTF-8 bytes of a well-formed string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

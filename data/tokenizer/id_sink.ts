/** A growable buffer of token ids (avoids growing JS arrays one push at a time on the hot path). */
export class IdSink {
  /** Storage; valid up to {@linkcode IdSink.n}. */
  a: Int32Array = new Int32Array(1024);
  /** Number of ids held. */
  n = 0;

  /** Make room for `k` more ids. */
  reserve(k: number): void {
    if (this.n + k > this.a.length) {
      let cap = this.a.length * 2;
      while (cap < this.n + k) cap *= 2;
      const b = new Int32Array(cap);
      b.set(this.a.subarray(0, this.n));
      this.a = b;
    }
  }

  /** The ids `[from, n)` as a plain array. */
  toArray(from = 0): number[] {
    const out = new Array<number>(this.n - from);
    for (let i = from; i < this.n; i++) out[i - from] = this.a[i];
    return out;
  }
}

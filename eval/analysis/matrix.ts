/**
 * A dense row-major float64 matrix, the input and output type of the analysis numerics (PCA, t-SNE, logistic
 * regression).
 * @module
 */

/** A dense row-major matrix of float64 values. */
export interface Matrix {
  /** Number of rows (points). */
  rows: number;
  /** Number of columns (features). */
  cols: number;
  /** Values, `data[i * cols + j]`. */
  data: Float64Array;
}

/** An all-zero `rows × cols` matrix. */
export function zerosMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Builds a matrix from equal-length rows; throws naming the first row whose length differs. */
export function matrixFromRows(rows: readonly ArrayLike<number>[]): Matrix {
  const cols = rows.length > 0 ? rows[0].length : 0;
  const m = zerosMatrix(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`matrixFromRows: row ${i} has ${r.length} values, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) m.data[i * cols + j] = r[j];
  });
  return m;
}

/** Row `i` of `m` as a copy. */
export function matrixRow(m: Matrix, i: number): Float64Array {
  return m.data.slice(i * m.cols, (i + 1) * m.cols);
}

/** The rows of `m` listed in `index`, in that order. */
export function selectRows(m: Matrix, index: ArrayLike<number>): Matrix {
  const out = zerosMatrix(index.length, m.cols);
  for (let r = 0; r < index.length; r++) {
    const i = index[r];
    if (!(i >= 0 && i < m.rows)) throw new Error(`selectRows: row ${i} is outside 0..${m.rows - 1}`);
    out.data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols);
  }
  return out;
}

/** Throws unless every value of `m` is finite; `what` names the matrix in the message. */
export function assertFinite(m: Matrix, what: string): void {
  for (let k = 0; k < m.data.length; k++) {
    if (!Number.isFinite(m.data[k])) {
      throw new Error(`${what}: value at row ${Math.floor(k / m.cols)}, column ${k % m.cols} is ${m.data[k]}`);
    }
  }
}

/** Squared Euclidean distances between all rows, [n × n] row-major, computed in float64. */
export function squaredDistances(m: Matrix): Float64Array {
  const { rows: n, cols: d, data } = m;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * d;
    for (let j = i + 1; j < n; j++) {
      const b = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = data[a + k] - data[b + k];
        s += t * t;
      }
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * Learning-rate schedules.
 * @module
 */

/** Options of {@link linearWarmupDecay}. */
export interface LinearWarmupDecayOptions {
  /** Steps of linear warmup from 0 to `peakLr`. */
  warmupSteps: number;
  /** Step at which the learning rate has decayed linearly to 0. */
  totalSteps: number;
  /** Learning rate at the end of warmup. */
  peakLr: number;
}

/**
 * transformers' `get_linear_schedule_with_warmup`: the learning rate for optimiser step `step` (0-based: the number of
 * scheduler steps taken before it) is `peakLr · step / warmupSteps` during warmup, then
 * `peakLr · max(0, (totalSteps − step) / (totalSteps − warmupSteps))`. As in the Trainer, the first step (0) uses 0
 * when there is warmup.
 */
export function linearWarmupDecay(options: LinearWarmupDecayOptions): (step: number) => number {
  const { warmupSteps, totalSteps, peakLr } = options;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`linearWarmupDecay: warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new Error(`linearWarmupDecay: totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  }
  if (!Number.isFinite(peakLr) || peakLr < 0) {
    throw new Error(`linearWarmupDecay: peakLr must be a finite number ≥ 0, got ${peakLr}`);
  }
  return (step: number): number => {
    if (!Number.isInteger(step) || step < 0) {
      throw new Error(`linearWarmupDecay: step must be an integer ≥ 0, got ${step}`);
    }
    if (step < warmupSteps) return peakLr * step / Math.max(1, warmupSteps);
    return peakLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

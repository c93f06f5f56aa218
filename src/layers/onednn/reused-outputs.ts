import { nativeOpsAvailable } from '../fused/native-ops';
import { ArrayPool } from './array-pool';

/*
 * The arrays the addon writes its large gradients into (`into`), reused step after step: a fresh ArrayBuffer of
 * several MB is zero-filled as it is allocated (3–10 ms at 26 MB on a 2-vCPU VM), and the medium model's ~60 MB
 * of them a step made V8 collect garbage two or three times a step. tfjs-node hands a tensor's array to
 * TensorFlow without copying it, so an array may be written again only once every tensor that reads it is
 * disposed: arrays are lent only inside `reusingOutputArrays`, whose caller disposes them all (the trainer's
 * step), and are free again when it returns. Only the native backend takes part: that is where the
 * allocations were measured and where test/train/trainer.test.ts checks training on reused arrays.
 */

/** Arrays free to be written. */
const spare = new ArrayPool((length) => new Float32Array(length), 16);
/** Arrays lent in the current scope; null outside one. */
let lent: Float32Array[] | null = null;

/**
 * Runs `step`, in which the addon's large gradients go into reused arrays. Every tensor made from those
 * gradients, or by an op from such a tensor, must be disposed by the time `step` returns (a `tf.tidy` inside
 * does it; what `step` keeps must not come from them: the trainer keeps only the forward's final state): the
 * arrays are written again in the next scope.
 */
export function reusingOutputArrays<T>(step: () => T): T {
  if (lent !== null) return step(); // nested: the outer scope recycles
  lent = [];
  try {
    return step();
  } finally {
    for (const array of lent) spare.give(array);
    lent = null;
  }
}

/** Arrays of the given lengths for `into` inside `reusingOutputArrays` on the native backend; else undefined. */
export function outputArrays<Name extends string>(lengths: Record<Name, number>): Record<Name, Float32Array> | undefined {
  if (lent === null || !nativeOpsAvailable()) return undefined;
  const arrays = Object.fromEntries(Object.entries<number>(lengths).map(([name, length]) => [name, spare.take(length)])) as Record<Name, Float32Array>;
  lent.push(...Object.values<Float32Array>(arrays));
  return arrays;
}

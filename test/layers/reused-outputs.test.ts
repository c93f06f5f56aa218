import { nativeAvailability } from '../../src/backend';
import { outputArrays, reusingOutputArrays } from '../../src/layers/onednn/reused-outputs';

/**
 * The addon's gradient arrays are lent only inside `reusingOutputArrays` on the native backend, and come back
 * for the next scope once it returns (the trainer's step; test/train/trainer.test.ts checks that training on
 * them follows the explicit kernels).
 */
const native = ['auto', 'tensorflow'].includes(process.env.RNNLM_BACKEND ?? 'auto') && nativeAvailability() === true;

test('outside a scope there are no arrays to reuse: the addon allocates its own', () => {
  expect(outputArrays({ dx: 6 })).toBeUndefined();
});

(native ? test : test.skip)('a scope lends arrays of the asked lengths, distinct within the scope, and the next scope gets them again', () => {
  const first = reusingOutputArrays(() => {
    const a = outputArrays({ dx: 6, dW: 24 })!;
    const b = outputArrays({ dx: 6, dW: 24 })!;
    expect([a.dx.length, a.dW.length]).toEqual([6, 24]);
    expect(new Set([a.dx, a.dW, b.dx, b.dW]).size).toBe(4);
    // Nested scopes lend from the outer one, which recycles at its end.
    const nested = reusingOutputArrays(() => outputArrays({ dx: 6 })!);
    return [a.dx, a.dW, b.dx, b.dW, nested.dx];
  });
  const second = reusingOutputArrays(() => [outputArrays({ dx: 6 })!.dx, outputArrays({ dW: 24 })!.dW]);
  expect(first).toContain(second[0]);
  expect(first).toContain(second[1]);
  expect(outputArrays({ dx: 6 })).toBeUndefined();
});

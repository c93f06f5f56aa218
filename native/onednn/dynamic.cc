// Dynamic evaluation's step on one weight tensor (src/eval/dynamic.ts; Krause et al. 2018, RMS with decay):
//
//   w ← keep ⊙ w + anchor + step ⊙ g     keep = 1 − λd, anchor = λd ⊙ w₀, step = −lr/(RMS + ε)
//
// in place, one pass that reads five arrays and writes one. As TensorFlow ops it is two products and a sum, each
// a pass that writes a new tensor, and the stepped weights then had to be copied back out for the next window's
// kernels, which read JavaScript arrays. No oneDNN primitive here: it lives in this addon as the other kernels'
// companion, on their OpenMP threads.
#include "common.h"

namespace rnnlm {

/**
 * dynamicStep({weights, keep, anchor, step, gradient}): Float32Arrays of one length; `weights` is updated in
 * place. The sum is taken in the order (keep·w + anchor) + step·g, that of the tfjs ops it replaces.
 */
napi_value DynamicStep(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    const size_t count = floatCount(env, args, "weights");
    float* w = floats(env, args, "weights", count);
    const float *keep = floats(env, args, "keep", count), *anchor = floats(env, args, "anchor", count);
    const float *step = floats(env, args, "step", count), *g = floats(env, args, "gradient", count);
#pragma omp parallel for simd schedule(static)
    for (long k = 0; k < long(count); k++) w[k] = (keep[k] * w[k] + anchor[k]) + step[k] * g[k];
    napi_value none;
    napi_get_undefined(env, &none);
    return none;
  });
}

}  // namespace rnnlm

// The speed of oneDNN's products at each precision, for `rnnlm info`: TensorFlow's matmul in its bf16 fpmath
// mode stays float32 on a CPU without AMX, so its figure cannot say whether `--precision bf16` pays, while the
// addon's kernels compute in bfloat16 wherever the CPU has AVX512-BF16 (and on an AVX512-BF16 core without
// AMX, bfloat16 dot products have float32 FMA's peak, so with the conversions they can be slower).
#include "common.h"

#include <chrono>

namespace rnnlm {

/**
 * productGflops({size, bf16, repeats}) → GFLOP/s of C = A·B for square size×size matrices as the addon's
 * kernels run them: A converted to the products' type, B converted and packed once, float32 accumulation and
 * result; after one warm-up product, the mean of `repeats`.
 */
napi_value ProductGflops(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    const int n = intProperty(env, args, "size"), repeats = intProperty(env, args, "repeats");
    const dt type = boolProperty(env, args, "bf16") ? dt::bf16 : dt::f32;
    std::vector<float> values(size_t(n) * n);
    for (size_t k = 0; k < values.size(); k++) values[k] = float(int(k % 17) - 8) / 8.f;
    memory::desc plain({n, n}, dt::f32, tag::ab), typed({n, n}, type, tag::ab), result({n, n}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(cpu(), typed, memory::desc({n, n}, type, tag::any), result);
    memory a = input(typed, plain, values.data()), b = input(pd.weights_desc(), plain, values.data()), c(result, cpu());
    dnnl::matmul product(pd);
    const Args run = {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}};
    product.execute(queue(), run);
    queue().wait();
    const auto started = std::chrono::steady_clock::now();
    for (int k = 0; k < repeats; k++) product.execute(queue(), run);
    queue().wait();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    napi_value out;
    napi_create_double(env, 2.0 * n * n * n * repeats / seconds / 1e9, &out);
    return out;
  });
}

}  // namespace rnnlm

// The addon's entry point: registers the recurrent windows (rnn.cc, lstm.cc), the output layer (output.cc),
// dynamic evaluation's weight step (dynamic.cc) and the products' speed probe (probe.cc).
#include "common.h"

extern "C" void omp_set_num_threads(int);  // libgomp, which libdnnl links

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME rnnlm_onednn
#endif

namespace rnnlm {

namespace {

/** version() → "3.2.0": the oneDNN library this addon runs on. */
napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

/**
 * cpuIsa() → "avx2", "avx512_core_bf16", …: the instruction set oneDNN dispatches its kernels to here, which
 * decides which of them is faster (src/layers/choose-window.ts). Each value of dnnl_cpu_isa_t contains the
 * bits of those it extends, so the first contained, from the widest, is the one in force.
 */
napi_value CpuIsa(napi_env env, napi_callback_info) {
  static const std::pair<dnnl_cpu_isa_t, const char*> kIsas[] = {
      {dnnl_cpu_isa_avx512_core_amx_fp16, "avx512_core_amx_fp16"}, {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"},
      {dnnl_cpu_isa_avx512_core_fp16, "avx512_core_fp16"}, {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
      {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"}, {dnnl_cpu_isa_avx512_core, "avx512_core"},
      {dnnl_cpu_isa_avx2_vnni_2, "avx2_vnni_2"}, {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"}, {dnnl_cpu_isa_avx2, "avx2"},
      {dnnl_cpu_isa_avx, "avx"}, {dnnl_cpu_isa_sse41, "sse41"}};
  const unsigned isa = dnnl_get_effective_cpu_isa();
  std::string text = "default";
  for (const auto& [bits, name] : kIsas) {
    if ((isa & bits) == static_cast<unsigned>(bits)) {
      text = name;
      break;
    }
  }
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

/** setThreads(n): oneDNN's OpenMP threads for calls from this (the JavaScript) thread. */
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    size_t count = 1;
    napi_value arg;
    check(napi_get_cb_info(env, info, &count, &arg, nullptr, nullptr), "reading the arguments");
    int32_t threads = 0;
    if (count < 1 || napi_get_value_int32(env, arg, &threads) != napi_ok || threads < 1) throw ArgumentError("setThreads takes a positive integer");
    omp_set_num_threads(threads);
    napi_value none;
    napi_get_undefined(env, &none);
    return none;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  // Every product computes in the types its memory descriptors name. A bf16 run sets ONEDNN_DEFAULT_FPMATH_MODE=BF16
  // for TensorFlow's matmuls (src/backend.ts), which this library (its own libdnnl) would read too and apply to our
  // float32 products; where bf16 is meant, the kernels say so in their types. Set before any primitive is made,
  // this default wins over the environment's.
  dnnl::set_default_fpmath_mode(dnnl::fpmath_mode::strict);
  napi_property_descriptor functions[] = {
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"cpuIsa", nullptr, CpuIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"forward", nullptr, RnnForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backward", nullptr, RnnBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"outputForward", nullptr, OutputForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"outputBackward", nullptr, OutputBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"productGflops", nullptr, ProductGflops, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"dynamicStep", nullptr, DynamicStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace

}  // namespace rnnlm

NAPI_MODULE(NODE_GYP_MODULE_NAME, rnnlm::Init)

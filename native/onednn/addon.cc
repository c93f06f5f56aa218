// The addon's entry point: registers the recurrent windows (rnn.cc, lstm.cc), the output layer (output.cc) and
// the products' speed probe (probe.cc).
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
  napi_property_descriptor functions[] = {
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"forward", nullptr, RnnForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backward", nullptr, RnnBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"outputForward", nullptr, OutputForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"outputBackward", nullptr, OutputBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"productGflops", nullptr, ProductGflops, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace

}  // namespace rnnlm

NAPI_MODULE(NODE_GYP_MODULE_NAME, rnnlm::Init)

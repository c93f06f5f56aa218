// The process addon: settings of the whole process that the native backend needs whatever kernels run, and the
// dropout masks' generator loop, kept apart from the oneDNN addon (native/onednn/) so that they hold without it too
// (RNNLM_NO_ONEDNN=1, no oneDNN wheel): it needs only a C++ compiler and Node's headers
// (scripts/provision-process.js).
#include <node_api.h>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <initializer_list>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME rnnlm_process
#endif

namespace rnnlm {

namespace {

/**
 * keepFreedMemory() → whether the C library took it: freed blocks of up to 32 MB stay in the heap for the next
 * allocation instead of going back to the system. By default glibc maps a block of more than its (adaptive)
 * threshold afresh and unmaps it when freed, and trims the heap's top: a training step of the medium model then
 * touched ~2,500–4,600 new pages (oneDNN's packed weights, TensorFlow's tensors, JavaScript's arrays), and each
 * first touch is a page fault costing ~4–7 µs on a VM. Kept: ~250–1,000 faults and a step 4–8% shorter (four
 * alternated pairs). The heap then stays at its peak size, which a training run reaches in its first steps.
 */
napi_value KeepFreedMemory(napi_env env, napi_callback_info) {
#ifdef __GLIBC__
  const bool kept = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
#else
  const bool kept = false;
#endif
  napi_value out;
  napi_get_boolean(env, kept, &out);
  return out;
}

/**
 * holdAsyncSignals() → whether they are held: blocks the asynchronous signals (SIGINT, SIGTERM, SIGHUP, SIGUSR1/2,
 * SIGCHLD, SIGPROF, …) on the calling thread for the rest of its life, and so on every thread it starts later
 * (TensorFlow's pools, libgomp's workers), which inherit its mask.
 *
 * Why: oneDNN's JIT sgemm (jit_avx512_common_gemm_f32, and its AVX2 twin; in TensorFlow's copy of oneDNN and in
 * ours, whose LSTM primitive runs it) points RSP into a heap workspace for part of its work, using it as its stack.
 * A signal handled on that thread meanwhile has the kernel write its frame (~3 KB with the AVX-512 state) below
 * RSP: over the heap block before the workspace. glibc then aborts at a later malloc or free ("corrupted size vs.
 * prev_size", "double free or corruption"); a Ctrl-C or SIGTERM meant to checkpoint a run could kill it instead
 * (2 of 19 SIGTERMs to fresh `awd-medium` runs; README, Long runs).
 * Held here, a signal goes to one of Node's own threads started before this call (libuv's pool, V8's platform
 * workers), which run no JIT code; libuv passes it on to the JavaScript listeners as before, and the children
 * Node spawns start with an empty mask (libuv resets it). The synchronous signals (faults, traps, abort) stay
 * deliverable: they belong to the instruction that raised them. The price: `kill -USR1` no longer opens Node's
 * inspector (start it with --inspect), and V8's sampling profiler gets no samples of this thread.
 */
napi_value HoldAsyncSignals(napi_env env, napi_callback_info) {
  sigset_t held;
  sigfillset(&held);
  for (int sync : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&held, sync);
  napi_value out;
  napi_get_boolean(env, pthread_sigmask(SIG_BLOCK, &held, nullptr) == 0, &out);
  return out;
}

/**
 * stderrToNull() → a descriptor that holds what fd 2 was, for restoreStderr, or −1 if it could not be done; fd 2
 * then points at /dev/null. TensorFlow's C library writes its start-up lines straight to fd 2 as it loads (absl,
 * before any log level applies). A duplicate shares the original's open file description, offset included, so
 * whatever fd 2 was (a terminal, a pipe, a socket, a file opened with or without O_APPEND) is put back exactly,
 * where reopening it through /proc gives a plain file an offset of its own (src/backend/quiet-stderr.ts).
 */
napi_value StderrToNull(napi_env env, napi_callback_info) {
  int saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
  if (saved >= 0) {
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    const bool pointed = null >= 0 && dup2(null, 2) == 2;
    if (null >= 0) close(null);
    if (!pointed) {
      close(saved);
      saved = -1;
    }
  }
  napi_value out;
  napi_create_int32(env, saved, &out);
  return out;
}

/** restoreStderr(saved) → whether fd 2 is again what stderrToNull found; `saved` is closed either way. */
napi_value RestoreStderr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t saved = -1;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) == napi_ok && argc == 1) napi_get_value_int32(env, arg, &saved);
  const bool restored = saved >= 0 && dup2(saved, 2) == 2;
  if (saved >= 0) close(saved);
  napi_value out;
  napi_get_boolean(env, restored, &out);
  return out;
}

/**
 * fillDropoutMask(values: Float32Array, c, s0, s1, s2, threshold, kept) → whether it filled them: values[i] is
 * `kept` where alea's i-th draw u (seedrandom's lib/alea.js, from the state c, s0, s1, s2) exceeds `threshold` in
 * float32, else 0: the loop of src/layers/dropout.ts, which stays the definition. alea's recurrence,
 * t = 2091639·s0 + c·2^−32, c' = ⌊t⌋, s' = t − c', is exact in doubles (every s is a multiple of 2^−32 and
 * t < 2^21), so it is the multiply-with-carry x' = (2091639·x0 + c) mod 2^32, c' = ⌊(2091639·x0 + c) / 2^32⌋ on
 * x = s·2^32: the same draws, one integer multiply-add on the loop's carried dependency instead of a floating
 * multiply, add and rounding (a 650 × 2,600 mask in ~3 against ~40 ms). A state that is not alea's (an s off the
 * 2^−32 grid, a carry out of range) is refused, and the caller runs its own loop.
 */
napi_value FillDropoutMask(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  bool filled = false;
  double number[6];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) == napi_ok && argc == 7 &&
      napi_get_typedarray_info(env, args[0], &type, &length, &data, nullptr, nullptr) == napi_ok && type == napi_float32_array) {
    bool numbers = true;
    for (int k = 0; k < 6; k++) numbers = numbers && napi_get_value_double(env, args[k + 1], &number[k]) == napi_ok;
    const double scale = 4294967296.0;  // 2^32
    const double c = number[0], s[3] = {number[1], number[2], number[3]};
    bool onGrid = numbers && c >= 0 && c < 2097152.0 && std::floor(c) == c;
    for (double v : s) onGrid = onGrid && v >= 0 && v < 1 && std::floor(v * scale) == v * scale;
    if (onGrid) {
      uint64_t carry = static_cast<uint64_t>(c);
      uint64_t x0 = static_cast<uint64_t>(s[0] * scale), x1 = static_cast<uint64_t>(s[1] * scale), x2 = static_cast<uint64_t>(s[2] * scale);
      const float threshold = static_cast<float>(number[4]), kept = static_cast<float>(number[5]);
      float* values = static_cast<float*>(data);
      for (size_t i = 0; i < length; i++) {
        const uint64_t t = 2091639ull * x0 + carry;
        carry = t >> 32;
        x0 = x1;
        x1 = x2;
        x2 = t & 0xffffffffull;
        values[i] = static_cast<float>(static_cast<double>(x2) / scale) > threshold ? kept : 0.0f;
      }
      filled = true;
    }
  }
  napi_value out;
  napi_get_boolean(env, filled, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"keepFreedMemory", nullptr, KeepFreedMemory, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"holdAsyncSignals", nullptr, HoldAsyncSignals, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stderrToNull", nullptr, StderrToNull, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"restoreStderr", nullptr, RestoreStderr, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"fillDropoutMask", nullptr, FillDropoutMask, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace

}  // namespace rnnlm

NAPI_MODULE(NODE_GYP_MODULE_NAME, rnnlm::Init)

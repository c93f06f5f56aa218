// Shared by the addon's sources: N-API argument reading and result building, the oneDNN engine and stream, and
// the conversions between the caller's float32 arrays and the layouts a primitive asks for.
#pragma once

#include <node_api.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rnnlm {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using Args = std::unordered_map<int, memory>;

inline dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

inline dnnl::stream& queue() {
  static dnnl::stream stream(cpu());
  return stream;
}

/** A caller's mistake (a missing or mis-sized argument): thrown to JavaScript as an Error with this message. */
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(napi_status status, const char* what) {
  if (status != napi_ok) throw ArgumentError(what);
}

inline napi_value property(napi_env env, napi_value object, const char* name) {
  napi_value value;
  check(napi_get_named_property(env, object, name, &value), name);
  return value;
}

/** Whether the optional property `name` is given (present, and neither undefined nor null). */
inline bool isGiven(napi_env env, napi_value object, const char* name) {
  bool present = false;
  napi_has_named_property(env, object, name, &present);
  if (!present) return false;
  napi_valuetype type;
  napi_typeof(env, property(env, object, name), &type);
  return type != napi_undefined && type != napi_null;
}

inline int intProperty(napi_env env, napi_value object, const char* name) {
  int32_t value;
  if (napi_get_value_int32(env, property(env, object, name), &value) != napi_ok || value <= 0) {
    throw ArgumentError(std::string(name) + " must be a positive integer");
  }
  return value;
}

inline bool boolProperty(napi_env env, napi_value object, const char* name) {
  bool value = false;
  if (napi_get_value_bool(env, property(env, object, name), &value) != napi_ok) {
    throw ArgumentError(std::string(name) + " must be a boolean");
  }
  return value;
}

inline std::string stringProperty(napi_env env, napi_value object, const char* name) {
  char text[32];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, property(env, object, name), text, sizeof text, &length) != napi_ok) {
    throw ArgumentError(std::string(name) + " must be a string");
  }
  return std::string(text, length);
}

/** Typed array `name` (of `type`): its data and length in elements. */
inline std::pair<void*, size_t> typedArrayOf(napi_env env, napi_value object, const char* name, napi_typedarray_type type) {
  napi_value value = property(env, object, name);
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type actual;
  size_t length;
  void* data;
  if (!isTyped || napi_get_typedarray_info(env, value, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type) {
    throw ArgumentError(std::string(name) + (type == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
  }
  return {data, length};
}

/** The data of typed array `name` (of `type`), which must hold `bytes` bytes (or at least that many). */
inline void* typedArray(napi_env env, napi_value object, const char* name, napi_typedarray_type type, size_t bytes, bool atLeast = false) {
  auto [data, length] = typedArrayOf(env, object, name, type);
  size_t have = length * 4;
  if (atLeast ? have < bytes : have != bytes) {
    throw ArgumentError(std::string(name) + " holds " + std::to_string(length) + " elements, expected " +
                        (atLeast ? "at least " : "") + std::to_string((bytes + 3) / 4));
  }
  return data;
}

/** The length of Float32Array `name`. */
inline size_t floatCount(napi_env env, napi_value object, const char* name) { return typedArrayOf(env, object, name, napi_float32_array).second; }

inline float* floats(napi_env env, napi_value object, const char* name, size_t count) {
  return static_cast<float*>(typedArray(env, object, name, napi_float32_array, count * sizeof(float)));
}

/** A new typed array of `count` 4-byte elements whose data oneDNN writes directly. */
inline napi_value newArray(napi_env env, napi_typedarray_type type, size_t count, void** data) {
  napi_value buffer, array;
  check(napi_create_arraybuffer(env, count * 4, data, &buffer), "allocating an output");
  check(napi_create_typedarray(env, type, count, buffer, 0, &array), "allocating an output");
  return array;
}

/** Round to nearest even, as oneDNN's own conversions do; a NaN stays a NaN. */
inline uint16_t bfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);
  return uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/** Bytes of one element of the products' type (float32 or bfloat16). */
inline size_t elementBytes(dt type) { return type == dt::f32 ? 4 : 2; }

/** to[k] = from[k] (⊙ mask[k]) for one row, in the products' type, by the calling thread (inside a parallel loop). */
inline void storeRow(const float* from, const float* mask, void* to, size_t count, dt type) {
  if (type == dt::f32) {
    auto* out = static_cast<float*>(to);
    if (mask) {
      for (size_t k = 0; k < count; k++) out[k] = from[k] * mask[k];
    } else {
      std::memcpy(out, from, count * sizeof(float));
    }
  } else {
    auto* out = static_cast<uint16_t*>(to);
    if (mask) {
      for (size_t k = 0; k < count; k++) out[k] = bfloat16(from[k] * mask[k]);
    } else {
      for (size_t k = 0; k < count; k++) out[k] = bfloat16(from[k]);
    }
  }
}

/** to[k] = from[k] (⊙ mask[k]) in the products' type, in blocks of 4,096 across the threads. */
inline void store(const float* from, void* to, size_t count, dt type, const float* mask = nullptr) {
  constexpr size_t kBlock = 4096;
  const size_t bytes = elementBytes(type);
#pragma omp parallel for
  for (long block = 0; block < long((count + kBlock - 1) / kBlock); block++) {
    const size_t first = size_t(block) * kBlock;
    storeRow(from + first, mask ? mask + first : nullptr, static_cast<char*>(to) + first * bytes, std::min(kBlock, count - first), type);
  }
}

/**
 * Row r of `to` (`toStride` elements apart) = row r of `from` (`fromStride` apart) (⊙ row r of mask, `cols` apart),
 * `rows` rows of `cols` elements, in the products' type: one time step's rows of a batch-major sequence.
 */
inline void storeRows(const float* from, size_t fromStride, void* to, size_t toStride, size_t rows, size_t cols, dt type,
                      const float* mask = nullptr) {
  const size_t bytes = elementBytes(type);
#pragma omp parallel for
  for (long r = 0; r < long(rows); r++) {
    storeRow(from + r * fromStride, mask ? mask + r * cols : nullptr, static_cast<char*>(to) + r * toStride * bytes, cols, type);
  }
}

/** [outer, inner, width] → [inner, outer, width]: between batch-major and time-major sequences. */
inline void swapLeadingAxes(const float* from, float* to, int outer, int inner, int width) {
#pragma omp parallel for
  for (int i = 0; i < inner; i++) {
    for (int o = 0; o < outer; o++) std::memcpy(to + (size_t(i) * outer + o) * width, from + (size_t(o) * inner + i) * width, width * sizeof(float));
  }
}

/** The buffers kept from call to call by `scratch`, one per use. */
enum class Scratch { Logits, DoubledRecurrentWeights, GateGradients, InputGradients };

/**
 * A buffer of at least `count` elements that lives from call to call: a block of several MB allocated
 * afresh each call is mapped page by page each time, and those page faults cost ~4–7 µs each on a VM (a fresh
 * 28 MB logits block cost `small` ~6,400 faults, ~30 ms of system time, a step). Each `use` is one buffer per
 * JavaScript thread (worker threads get their own), valid until that thread's next call that asks for it.
 */
template <Scratch use, typename Element = float>
Element* scratch(size_t count) {
  thread_local std::vector<Element> buffer;
  if (buffer.size() < count) buffer.resize(count);
  return buffer.data();
}

/** A recurrent layer's window: T steps of B sequences, `inputs` features in, `units` out, in bf16 or float32. */
struct WindowSizes {
  int time, batch, inputs, units;
  bool bf16;

  WindowSizes(napi_env env, napi_value args)
      : time(intProperty(env, args, "time")),
        batch(intProperty(env, args, "batch")),
        inputs(intProperty(env, args, "inputs")),
        units(intProperty(env, args, "units")),
        bf16(boolProperty(env, args, "bf16")) {}

  dt data() const { return bf16 ? dt::bf16 : dt::f32; }
  /** T·B: the rows of a time-major sequence. */
  size_t rows() const { return size_t(time) * batch; }
  size_t sequence(int width) const { return rows() * width; }
  size_t state() const { return size_t(batch) * units; }
};

/** User data (float32, plain layout) as the primitive wants it: the same memory, or a converted copy. */
inline memory input(const memory::desc& wanted, const memory::desc& plain, const void* data) {
  memory user(plain, cpu(), const_cast<void*>(data));
  if (wanted == plain) return user;
  memory converted(wanted, cpu());
  dnnl::reorder(user, converted).execute(queue(), user, converted);
  return converted;
}

/** An output the primitive writes in its layout, copied to the caller's float32 array by `finish`. */
struct Output {
  memory primitive, user;

  Output(const memory::desc& wanted, const memory::desc& plain, void* data) : user(plain, cpu(), data) {
    primitive = wanted == plain ? user : memory(wanted, cpu());
  }
  void zero() { std::memset(primitive.get_data_handle(), 0, primitive.get_desc().get_size()); }
  void finish() {
    if (primitive.get_data_handle() != user.get_data_handle()) dnnl::reorder(primitive, user).execute(queue(), primitive, user);
  }
};

struct JsOutput {
  napi_value array;
  void* data;
};

inline JsOutput newFloats(napi_env env, size_t count) {
  JsOutput out;
  out.array = newArray(env, napi_float32_array, count, &out.data);
  return out;
}

/**
 * A large output the caller may supply as `into.name`, a Float32Array of exactly `count` elements, all of which
 * the call writes: reused step after step (src/layers/onednn/reused-outputs.ts), it spares a fresh zero-filled
 * ArrayBuffer of several MB (3–10 ms to allocate at 26 MB on a 2-vCPU VM) and the garbage collections those
 * trigger. Without it, a new array.
 */
inline JsOutput outputFloats(napi_env env, napi_value args, const char* name, size_t count) {
  if (isGiven(env, args, "into")) {
    napi_value into = property(env, args, "into");
    if (isGiven(env, into, name)) return {property(env, into, name), floats(env, into, name, count)};
  }
  return newFloats(env, count);
}

/** A result object: the named values (a nullptr value is left out). */
inline napi_value result(napi_env env, std::initializer_list<std::pair<const char*, napi_value>> fields) {
  napi_value object;
  check(napi_create_object(env, &object), "allocating the result");
  for (const auto& [name, value] : fields) {
    if (value) check(napi_set_named_property(env, object, name, value), name);
  }
  return object;
}

/** The one argument object of every call. */
inline napi_value soleArgument(napi_env env, napi_callback_info info) {
  size_t count = 1;
  napi_value arg;
  check(napi_get_cb_info(env, info, &count, &arg, nullptr, nullptr), "reading the arguments");
  napi_valuetype type;
  if (count < 1 || napi_typeof(env, arg, &type) != napi_ok || type != napi_object) throw ArgumentError("expected one object argument");
  return arg;
}

/** Runs `body`, turning C++ exceptions into JavaScript errors. */
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  try {
    return body();
  } catch (const ArgumentError& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN addon: ") + e.what()).c_str());
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN addon: ") + e.what() + " (status " + std::to_string(e.status) + ")").c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN addon: ") + e.what()).c_str());
  }
  return nullptr;
}

// The functions each source exports (registered by addon.cc).
napi_value RnnForward(napi_env env, napi_callback_info info);
napi_value RnnBackward(napi_env env, napi_callback_info info);
napi_value LstmForward(napi_env env, napi_callback_info info);
napi_value LstmBackward(napi_env env, napi_callback_info info);
napi_value OutputForward(napi_env env, napi_callback_info info);
napi_value OutputBackward(napi_env env, napi_callback_info info);
napi_value ProductGflops(napi_env env, napi_callback_info info);
napi_value DynamicStep(napi_env env, napi_callback_info info);

}  // namespace rnnlm

// oneDNN's LSTM primitive over one window, for Node (N-API).
//
// The same equations as src/cells/lstm.ts (Hochreiter & Schmidhuber 1997 with Gers et al.'s forget gate):
//   [i f g o] = x·W_x + h·W_h + b;  c' = σ(f)⊙c + σ(i)⊙tanh(g);  h' = σ(o)⊙tanh(c')
// oneDNN's vanilla_lstm orders the gates i, f, c̃, o, as we do, and its ldigo weight layout [in][gate][unit] is
// our [in, 4u] matrix, so weights and biases pass through unpermuted.
//
// Why: TensorFlow runs a window as ~15 eager ops a step, and each per-step h·W_h reads W_h in float32 and
// repacks it; oneDNN's primitive packs the weights once per window (in bf16 for the AMX units when asked) and
// runs the whole time loop natively.
//
// Tensors cross as Float32Arrays in our layouts (time-major [T, B, ·], float32); in bf16 mode the primitive
// computes in bfloat16 with float32 cell state, and its gradients are float32 (what oneDNN supports).
#include <node_api.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>

extern "C" void omp_set_num_threads(int);  // libgomp, which libdnnl links

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME rnnlm_onednn
#endif

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using Args = std::unordered_map<int, memory>;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& queue() {
  static dnnl::stream stream(cpu());
  return stream;
}

/** A caller's mistake (a missing or mis-sized argument): thrown to JavaScript as an Error with this message. */
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_status status, const char* what) {
  if (status != napi_ok) throw ArgumentError(what);
}

napi_value property(napi_env env, napi_value object, const char* name) {
  napi_value value;
  check(napi_get_named_property(env, object, name, &value), name);
  return value;
}

int intProperty(napi_env env, napi_value object, const char* name) {
  int32_t value;
  if (napi_get_value_int32(env, property(env, object, name), &value) != napi_ok || value <= 0) {
    throw ArgumentError(std::string(name) + " must be a positive integer");
  }
  return value;
}

bool boolProperty(napi_env env, napi_value object, const char* name) {
  bool value = false;
  if (napi_get_value_bool(env, property(env, object, name), &value) != napi_ok) {
    throw ArgumentError(std::string(name) + " must be a boolean");
  }
  return value;
}

/** The data of typed array `name` (of `type`), which must hold `bytes` bytes (or at least that many). */
void* typedArray(napi_env env, napi_value object, const char* name, napi_typedarray_type type, size_t bytes, bool atLeast = false) {
  napi_value value = property(env, object, name);
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type actual;
  size_t length;
  void* data;
  if (!isTyped || napi_get_typedarray_info(env, value, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type) {
    throw ArgumentError(std::string(name) + (type == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
  }
  size_t have = length * 4;
  if (atLeast ? have < bytes : have != bytes) {
    throw ArgumentError(std::string(name) + " holds " + std::to_string(length) + " elements, expected " +
                        (atLeast ? "at least " : "") + std::to_string((bytes + 3) / 4));
  }
  return data;
}

float* floats(napi_env env, napi_value object, const char* name, size_t count) {
  return static_cast<float*>(typedArray(env, object, name, napi_float32_array, count * sizeof(float)));
}

/** A new typed array of `count` 4-byte elements whose data oneDNN writes directly. */
napi_value newArray(napi_env env, napi_typedarray_type type, size_t count, void** data) {
  napi_value buffer, array;
  check(napi_create_arraybuffer(env, count * 4, data, &buffer), "allocating an output");
  check(napi_create_typedarray(env, type, count, buffer, 0, &array), "allocating an output");
  return array;
}

/** One LSTM layer over one window: its sizes and the memory descriptors of its arguments. */
struct Window {
  int time, batch, inputs, units;
  bool bf16;

  Window(napi_env env, napi_value args)
      : time(intProperty(env, args, "time")),
        batch(intProperty(env, args, "batch")),
        inputs(intProperty(env, args, "inputs")),
        units(intProperty(env, args, "units")),
        bf16(boolProperty(env, args, "bf16")) {}

  dt data() const { return bf16 ? dt::bf16 : dt::f32; }
  size_t sequence(int width) const { return size_t(time) * batch * width; }
  size_t state() const { return size_t(batch) * units; }
  size_t weights(int rows) const { return size_t(rows) * 4 * units; }

  memory::desc sequenceDesc(int width, dt type) const { return {{time, batch, width}, type, tag::tnc}; }
  memory::desc stateDesc(dt type) const { return {{1, 1, batch, units}, type, tag::ldnc}; }
  memory::desc weightsDesc(int rows, dt type, tag format) const { return {{1, 1, rows, 4, units}, type, format}; }
  memory::desc biasDesc() const { return {{1, 1, 4, units}, dt::f32, tag::ldgo}; }

  /** Weights in `any` layout: oneDNN packs them for its kernels (AMX tiles in bf16). */
  dnnl::lstm_forward::primitive_desc forward(dnnl::prop_kind kind) const {
    return {cpu(), kind, dnnl::rnn_direction::unidirectional_left2right,
            sequenceDesc(inputs, data()), stateDesc(data()), stateDesc(dt::f32),
            weightsDesc(inputs, data(), tag::any), weightsDesc(units, data(), tag::any), biasDesc(),
            sequenceDesc(units, data()), stateDesc(data()), stateDesc(dt::f32)};
  }

  /** Gradients are float32 in both modes (oneDNN's bf16 backward takes bf16 data and float32 diffs). */
  dnnl::lstm_backward::primitive_desc backward(const dnnl::lstm_forward::primitive_desc& hint) const {
    return {cpu(), dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right,
            sequenceDesc(inputs, data()), stateDesc(data()), stateDesc(dt::f32),
            weightsDesc(inputs, data(), tag::any), weightsDesc(units, data(), tag::any), biasDesc(),
            sequenceDesc(units, data()), stateDesc(data()), stateDesc(dt::f32),
            sequenceDesc(inputs, dt::f32), stateDesc(dt::f32), stateDesc(dt::f32),
            weightsDesc(inputs, dt::f32, tag::any), weightsDesc(units, dt::f32, tag::any), biasDesc(),
            sequenceDesc(units, dt::f32), stateDesc(dt::f32), stateDesc(dt::f32), hint};
  }
};

/** User data (float32, plain layout) as the primitive wants it: the same memory, or a reordered copy. */
memory input(const memory::desc& wanted, const memory::desc& plain, void* data) {
  memory user(plain, cpu(), data);
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

JsOutput newFloats(napi_env env, size_t count) {
  JsOutput out;
  out.array = newArray(env, napi_float32_array, count, &out.data);
  return out;
}

napi_value result(napi_env env, std::initializer_list<std::pair<const char*, napi_value>> fields) {
  napi_value object;
  check(napi_create_object(env, &object), "allocating the result");
  for (const auto& [name, value] : fields) check(napi_set_named_property(env, object, name, value), name);
  return object;
}

/** The one argument object of every call. */
napi_value soleArgument(napi_env env, napi_callback_info info) {
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
    napi_throw_error(env, nullptr, (std::string("oneDNN LSTM: ") + e.what()).c_str());
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN LSTM: ") + e.what() + " (status " + std::to_string(e.status) + ")").c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN LSTM: ") + e.what()).c_str());
  }
  return nullptr;
}

/**
 * lstmForward({time, batch, inputs, units, bf16, training, x, h0, c0, wx, wh, b})
 *   → {outputs [T·B·u], h [B·u], c [B·u], workspace (Int32Array, training only)}
 * The workspace holds what the backward pass needs (gates and states of every step), in oneDNN's layout.
 */
napi_value LstmForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    Window w(env, args);
    bool training = boolProperty(env, args, "training");
    auto pd = w.forward(training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference);
    JsOutput outputs = newFloats(env, w.sequence(w.units)), h = newFloats(env, w.state()), c = newFloats(env, w.state());
    Output y(pd.dst_layer_desc(), w.sequenceDesc(w.units, dt::f32), outputs.data);
    Output hT(pd.dst_iter_desc(), w.stateDesc(dt::f32), h.data), cT(pd.dst_iter_c_desc(), w.stateDesc(dt::f32), c.data);
    Args run = {
        {DNNL_ARG_SRC_LAYER, input(pd.src_layer_desc(), w.sequenceDesc(w.inputs, dt::f32), floats(env, args, "x", w.sequence(w.inputs)))},
        {DNNL_ARG_SRC_ITER, input(pd.src_iter_desc(), w.stateDesc(dt::f32), floats(env, args, "h0", w.state()))},
        {DNNL_ARG_SRC_ITER_C, input(pd.src_iter_c_desc(), w.stateDesc(dt::f32), floats(env, args, "c0", w.state()))},
        {DNNL_ARG_WEIGHTS_LAYER, input(pd.weights_layer_desc(), w.weightsDesc(w.inputs, dt::f32, tag::ldigo), floats(env, args, "wx", w.weights(w.inputs)))},
        {DNNL_ARG_WEIGHTS_ITER, input(pd.weights_iter_desc(), w.weightsDesc(w.units, dt::f32, tag::ldigo), floats(env, args, "wh", w.weights(w.units)))},
        {DNNL_ARG_BIAS, input(pd.bias_desc(), w.biasDesc(), floats(env, args, "b", 4 * size_t(w.units)))},
        {DNNL_ARG_DST_LAYER, y.primitive}, {DNNL_ARG_DST_ITER, hT.primitive}, {DNNL_ARG_DST_ITER_C, cT.primitive},
    };
    napi_value workspace = nullptr;
    if (training) {
      void* data;
      workspace = newArray(env, napi_int32_array, (pd.workspace_desc().get_size() + 3) / 4, &data);
      run[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), cpu(), data);
    }
    dnnl::lstm_forward(pd).execute(queue(), run);
    y.finish();
    hT.finish();
    cT.finish();
    queue().wait();
    napi_value none;
    napi_get_null(env, &none);
    return result(env, {{"outputs", outputs.array}, {"h", h.array}, {"c", c.array}, {"workspace", training ? workspace : none}});
  });
}

/**
 * lstmBackward({time, batch, inputs, units, bf16, x, h0, c0, wx, wh, b, outputs, h, c, workspace, dOutputs, dh, dc})
 *   → {dx, dh0, dc0, dWx, dWh, dB}
 * The forward's inputs and outputs come back as the forward took and gave them; `dh`/`dc` are the gradients
 * of the final state.
 */
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    Window w(env, args);
    auto pd = w.backward(w.forward(dnnl::prop_kind::forward_training));
    auto f32 = [&](int width) { return w.sequenceDesc(width, dt::f32); };
    auto plainState = w.stateDesc(dt::f32);
    auto arg = [&](const char* name, size_t count) { return floats(env, args, name, count); };
    void* workspace = typedArray(env, args, "workspace", napi_int32_array, pd.workspace_desc().get_size(), true);
    JsOutput dx = newFloats(env, w.sequence(w.inputs)), dh0 = newFloats(env, w.state()), dc0 = newFloats(env, w.state());
    JsOutput dWx = newFloats(env, w.weights(w.inputs)), dWh = newFloats(env, w.weights(w.units)), dB = newFloats(env, 4 * size_t(w.units));
    Output diffX(pd.diff_src_layer_desc(), f32(w.inputs), dx.data);
    Output diffH0(pd.diff_src_iter_desc(), plainState, dh0.data), diffC0(pd.diff_src_iter_c_desc(), plainState, dc0.data);
    Output diffWx(pd.diff_weights_layer_desc(), w.weightsDesc(w.inputs, dt::f32, tag::ldigo), dWx.data);
    Output diffWh(pd.diff_weights_iter_desc(), w.weightsDesc(w.units, dt::f32, tag::ldigo), dWh.data);
    Output diffB(pd.diff_bias_desc(), w.biasDesc(), dB.data);
    // oneDNN adds the weight gradients into these arguments.
    diffWx.zero();
    diffWh.zero();
    diffB.zero();
    Args run = {
        {DNNL_ARG_SRC_LAYER, input(pd.src_layer_desc(), f32(w.inputs), arg("x", w.sequence(w.inputs)))},
        {DNNL_ARG_SRC_ITER, input(pd.src_iter_desc(), plainState, arg("h0", w.state()))},
        {DNNL_ARG_SRC_ITER_C, input(pd.src_iter_c_desc(), plainState, arg("c0", w.state()))},
        {DNNL_ARG_WEIGHTS_LAYER, input(pd.weights_layer_desc(), w.weightsDesc(w.inputs, dt::f32, tag::ldigo), arg("wx", w.weights(w.inputs)))},
        {DNNL_ARG_WEIGHTS_ITER, input(pd.weights_iter_desc(), w.weightsDesc(w.units, dt::f32, tag::ldigo), arg("wh", w.weights(w.units)))},
        {DNNL_ARG_BIAS, input(pd.bias_desc(), w.biasDesc(), arg("b", 4 * size_t(w.units)))},
        {DNNL_ARG_DST_LAYER, input(pd.dst_layer_desc(), f32(w.units), arg("outputs", w.sequence(w.units)))},
        {DNNL_ARG_DST_ITER, input(pd.dst_iter_desc(), plainState, arg("h", w.state()))},
        {DNNL_ARG_DST_ITER_C, input(pd.dst_iter_c_desc(), plainState, arg("c", w.state()))},
        {DNNL_ARG_WORKSPACE, memory(pd.workspace_desc(), cpu(), workspace)},
        {DNNL_ARG_DIFF_DST_LAYER, input(pd.diff_dst_layer_desc(), f32(w.units), arg("dOutputs", w.sequence(w.units)))},
        {DNNL_ARG_DIFF_DST_ITER, input(pd.diff_dst_iter_desc(), plainState, arg("dh", w.state()))},
        {DNNL_ARG_DIFF_DST_ITER_C, input(pd.diff_dst_iter_c_desc(), plainState, arg("dc", w.state()))},
        {DNNL_ARG_DIFF_SRC_LAYER, diffX.primitive}, {DNNL_ARG_DIFF_SRC_ITER, diffH0.primitive}, {DNNL_ARG_DIFF_SRC_ITER_C, diffC0.primitive},
        {DNNL_ARG_DIFF_WEIGHTS_LAYER, diffWx.primitive}, {DNNL_ARG_DIFF_WEIGHTS_ITER, diffWh.primitive}, {DNNL_ARG_DIFF_BIAS, diffB.primitive},
    };
    dnnl::lstm_backward(pd).execute(queue(), run);
    for (Output* out : {&diffX, &diffH0, &diffC0, &diffWx, &diffWh, &diffB}) out->finish();
    queue().wait();
    return result(env, {{"dx", dx.array}, {"dh0", dh0.array}, {"dc0", dc0.array}, {"dWx", dWx.array}, {"dWh", dWh.array}, {"dB", dB.array}});
  });
}

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
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

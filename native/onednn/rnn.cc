// oneDNN's recurrent primitives over one window, for Node (N-API): the time loops of src/cells/, forward and
// back-propagation through time, one call each.
//
// The cells' equations are oneDNN's (its RNN developer guide), so tests can hold the two to 1e-5:
//   lstm      [i f g o] = x·W_x + h·W_h + b;  c' = σ(f)⊙c + σ(i)⊙tanh(g);  h' = σ(o)⊙tanh(c')
//   peephole  the same with p_i⊙c and p_f⊙c inside i and f, and p_o⊙c' inside o (Gers & Schmidhuber 2000)
//   gru       r, z = σ(x·W_x + h·W_h + b);  g = tanh(x·W_xg + (r⊙h)·W_hg + b_g);  h' = z⊙h + (1−z)⊙g
//   rnn       h' = tanh(x·W_x + h·W_h + b)
// oneDNN's ldigo weight layout [in][gate][unit] is our [in, G·u] matrix. Its LSTM gates are ordered i, f, g, o
// and its peepholes i, f, o, as ours; its GRU orders z, r, g where we order r, z, g, so those two gate blocks
// are swapped on the way in and on the way out.
//
// Why: TensorFlow runs a window as ~15 eager ops a step, and each per-step h·W_h reads W_h in float32 and
// repacks it; oneDNN packs the weights once per window (in bf16 for the AMX units when asked) and runs the
// whole time loop natively.
//
// Tensors cross as Float32Arrays in our layouts (sequences time-major [T, B, ·], or batch-major [B, T, ·] with
// `batchMajor`). In bf16 mode the primitives compute in bfloat16 with float32 cell state, and their gradients
// are float32 (what oneDNN's bf16 backward supports).
#include "common.h"

namespace rnnlm {

namespace {

enum class Cell { lstm, peephole, gru, rnn };

Cell parseCell(const std::string& name) {
  if (name == "lstm") return Cell::lstm;
  if (name == "peephole") return Cell::peephole;
  if (name == "gru") return Cell::gru;
  if (name == "rnn") return Cell::rnn;
  throw ArgumentError("cell must be lstm, peephole, gru or rnn, not \"" + name + "\"");
}

/** The cell of a window, parsed before its sizes (so a bad cell name is the error reported first). */
struct CellOf {
  Cell cell;
  CellOf(napi_env env, napi_value args) : cell(parseCell(stringProperty(env, args, "cell"))) {}
};

/** One recurrent layer over one window: its cell, sizes and the memory descriptors of its arguments. */
struct Window : CellOf, WindowSizes {
  /** The caller's sequences (x, outputs and their gradients) are [B, T, ·] rather than [T, B, ·]. */
  bool batchMajor;

  Window(napi_env env, napi_value args) : CellOf(env, args), WindowSizes(env, args), batchMajor(boolProperty(env, args, "batchMajor")) {}

  bool lstm() const { return cell == Cell::lstm || cell == Cell::peephole; }
  int gates() const { return lstm() ? 4 : cell == Cell::gru ? 3 : 1; }
  size_t weights(int rows) const { return size_t(rows) * gates() * units; }

  /** A sequence as the primitive reads or writes it: time-major. */
  memory::desc sequenceDesc(int width, dt type) const { return {{time, batch, width}, type, tag::tnc}; }
  memory::desc stateDesc(dt type) const { return {{1, 1, batch, units}, type, tag::ldnc}; }
  /** The cell state c: LSTMs only (a zero descriptor tells oneDNN there is none). */
  memory::desc cellStateDesc() const { return lstm() ? stateDesc(dt::f32) : memory::desc(); }
  memory::desc weightsDesc(int rows, dt type, tag format) const { return {{1, 1, rows, gates(), units}, type, format}; }
  memory::desc peepholeDesc() const { return cell == Cell::peephole ? memory::desc({1, 1, 3, units}, dt::f32, tag::ldgo) : memory::desc(); }
  memory::desc biasDesc() const { return {{1, 1, gates(), units}, dt::f32, tag::ldgo}; }

  dnnl::rnn_direction direction() const { return dnnl::rnn_direction::unidirectional_left2right; }
  // Weights in `any` layout: oneDNN packs them for its kernels (AMX tiles in bf16).
  memory::desc anyWeights(int rows) const { return weightsDesc(rows, data(), tag::any); }

  dnnl::lstm_forward::primitive_desc lstmForward(dnnl::prop_kind kind) const {
    auto h = stateDesc(data());
    return {cpu(), kind, direction(), sequenceDesc(inputs, data()), h, cellStateDesc(), anyWeights(inputs), anyWeights(units),
            peepholeDesc(), biasDesc(), sequenceDesc(units, data()), h, cellStateDesc()};
  }
  dnnl::gru_forward::primitive_desc gruForward(dnnl::prop_kind kind) const {
    auto h = stateDesc(data());
    return {cpu(), kind, direction(), sequenceDesc(inputs, data()), h, anyWeights(inputs), anyWeights(units), biasDesc(), sequenceDesc(units, data()), h};
  }
  dnnl::vanilla_rnn_forward::primitive_desc rnnForward(dnnl::prop_kind kind) const {
    auto h = stateDesc(data());
    return {cpu(), kind, dnnl::algorithm::eltwise_tanh, direction(), sequenceDesc(inputs, data()), h, anyWeights(inputs), anyWeights(units),
            biasDesc(), sequenceDesc(units, data()), h};
  }

  dnnl::rnn_primitive_desc_base forward(dnnl::prop_kind kind) const {
    if (lstm()) return lstmForward(kind);
    if (cell == Cell::gru) return gruForward(kind);
    return rnnForward(kind);
  }

  /** Gradients are float32 in both modes (oneDNN's bf16 backward takes bf16 data and float32 diffs). */
  dnnl::rnn_primitive_desc_base backward() const {
    auto kind = dnnl::prop_kind::backward;
    auto training = dnnl::prop_kind::forward_training;
    auto src = sequenceDesc(inputs, data()), h = stateDesc(data()), dst = sequenceDesc(units, data());
    auto dSrc = sequenceDesc(inputs, dt::f32), dH = stateDesc(dt::f32), dDst = sequenceDesc(units, dt::f32);
    auto dWx = weightsDesc(inputs, dt::f32, tag::any), dWh = weightsDesc(units, dt::f32, tag::any);
    if (lstm()) {
      return dnnl::lstm_backward::primitive_desc(
          cpu(), kind, direction(), src, h, cellStateDesc(), anyWeights(inputs), anyWeights(units), peepholeDesc(), biasDesc(), dst, h,
          cellStateDesc(), dSrc, dH, cellStateDesc(), dWx, dWh, peepholeDesc(), biasDesc(), dDst, dH, cellStateDesc(), lstmForward(training));
    }
    if (cell == Cell::gru) {
      return dnnl::gru_backward::primitive_desc(cpu(), kind, direction(), src, h, anyWeights(inputs), anyWeights(units), biasDesc(), dst, h,
                                                dSrc, dH, dWx, dWh, biasDesc(), dDst, dH, gruForward(training));
    }
    return dnnl::vanilla_rnn_backward::primitive_desc(cpu(), kind, dnnl::algorithm::eltwise_tanh, direction(), src, h, anyWeights(inputs),
                                                      anyWeights(units), biasDesc(), dst, h, dSrc, dH, dWx, dWh, biasDesc(), dDst, dH,
                                                      rnnForward(training));
  }

  /**
   * The gate blocks of a [rows, G·u] matrix in the other order: our GRU's r, z, g are oneDNN's z, r, g (the swap
   * is its own inverse). Other cells share oneDNN's order and pass through.
   */
  const float* gateOrder(const float* ours, size_t rows, std::vector<float>& scratch) const {
    if (cell != Cell::gru) return ours;
    size_t u = units;
    scratch.resize(rows * 3 * u);
    for (size_t row = 0; row < rows; row++) {
      const float* from = ours + row * 3 * u;
      float* to = scratch.data() + row * 3 * u;
      std::memcpy(to, from + u, u * sizeof(float));
      std::memcpy(to + u, from, u * sizeof(float));
      std::memcpy(to + 2 * u, from + 2 * u, u * sizeof(float));
    }
    return scratch.data();
  }
};

// The primitive always sees sequences time-major. A batch-major caller's are transposed by the loop above, which
// spares the model TensorFlow's transposes around the window (8 ops a step for 2 layers); given batch-major (ntc)
// layers directly, or asked to reorder them, oneDNN took 20–140 ms longer a step at 650 units in float32.

/** A caller's sequence argument, time-major: its own data, or a transposed copy in `copy`. */
const float* timeMajorInput(const Window& w, const float* data, int width, std::vector<float>& copy) {
  if (!w.batchMajor) return data;
  copy.resize(w.sequence(width));
  swapLeadingAxes(data, copy.data(), w.batch, w.time, width);
  return copy.data();
}

/** Where the primitive writes a sequence result: the caller's array, or `copy` when `toCaller` must transpose it there. */
float* timeMajorOutput(const Window& w, void* data, int width, std::vector<float>& copy) {
  if (!w.batchMajor) return static_cast<float*>(data);
  copy.resize(w.sequence(width));
  return copy.data();
}

void toCaller(const Window& w, const std::vector<float>& copy, void* data, int width) {
  if (w.batchMajor) swapLeadingAxes(copy.data(), static_cast<float*>(data), w.time, w.batch, width);
}

/** The arguments every call takes: the window's input, initial state and weights. */
struct Inputs {
  // Declared first, so they exist when the initializers below fill them (members initialize in this order).
  std::vector<float> xScratch, wxScratch, whScratch, bScratch;
  const float *x, *h0, *c0 = nullptr, *wx, *wh, *b, *peephole = nullptr;

  Inputs(napi_env env, napi_value args, const Window& w)
      : x(timeMajorInput(w, floats(env, args, "x", w.sequence(w.inputs)), w.inputs, xScratch)),
        h0(floats(env, args, "h0", w.state())),
        wx(w.gateOrder(floats(env, args, "wx", w.weights(w.inputs)), w.inputs, wxScratch)),
        wh(w.gateOrder(floats(env, args, "wh", w.weights(w.units)), w.units, whScratch)),
        b(w.gateOrder(floats(env, args, "b", size_t(w.gates()) * w.units), 1, bScratch)) {
    if (w.lstm()) c0 = floats(env, args, "c0", w.state());
    if (w.cell == Cell::peephole) peephole = floats(env, args, "peephole", 3 * size_t(w.units));
  }

  /** The primitive's arguments for these inputs, converted to the layouts `pd` asks for. */
  void add(Args& run, const dnnl::rnn_primitive_desc_base& pd, const Window& w) const {
    auto plainState = w.stateDesc(dt::f32);
    run[DNNL_ARG_SRC_LAYER] = input(pd.src_layer_desc(), w.sequenceDesc(w.inputs, dt::f32), x);
    run[DNNL_ARG_SRC_ITER] = input(pd.src_iter_desc(), plainState, h0);
    run[DNNL_ARG_WEIGHTS_LAYER] = input(pd.weights_layer_desc(), w.weightsDesc(w.inputs, dt::f32, tag::ldigo), wx);
    run[DNNL_ARG_WEIGHTS_ITER] = input(pd.weights_iter_desc(), w.weightsDesc(w.units, dt::f32, tag::ldigo), wh);
    run[DNNL_ARG_BIAS] = input(pd.bias_desc(), w.biasDesc(), b);
    if (c0) run[DNNL_ARG_SRC_ITER_C] = input(pd.src_iter_c_desc(), plainState, c0);
    if (peephole) run[DNNL_ARG_WEIGHTS_PEEPHOLE] = input(pd.weights_peephole_desc(), w.peepholeDesc(), peephole);
  }
};

}  // namespace

/**
 * forward({cell, time, batch, inputs, units, bf16, batchMajor, training, x, h0, c0?, wx, wh, b, peephole?})
 *   → {outputs [T·B·u] (in x's layout), h [B·u], c? [B·u], workspace? (Int32Array, training only)}
 * c0/c for the LSTMs, peephole [p_i, p_f, p_o] for the peephole LSTM. The workspace holds what the backward
 * pass needs (gates and states of every step), in oneDNN's layout.
 */
napi_value RnnForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    Window w(env, args);
    bool training = boolProperty(env, args, "training");
    Inputs in(env, args, w);
    auto pd = w.forward(training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference);
    auto plainState = w.stateDesc(dt::f32);
    JsOutput outputs = newFloats(env, w.sequence(w.units)), h = newFloats(env, w.state());
    std::vector<float> yScratch;
    Output y(pd.dst_layer_desc(), w.sequenceDesc(w.units, dt::f32), timeMajorOutput(w, outputs.data, w.units, yScratch));
    Output hT(pd.dst_iter_desc(), plainState, h.data);
    Args run = {{DNNL_ARG_DST_LAYER, y.primitive}, {DNNL_ARG_DST_ITER, hT.primitive}};
    in.add(run, pd, w);
    JsOutput c{nullptr, nullptr};
    std::vector<Output> cT;
    if (w.lstm()) {
      c = newFloats(env, w.state());
      cT.emplace_back(pd.dst_iter_c_desc(), plainState, c.data);
      run[DNNL_ARG_DST_ITER_C] = cT[0].primitive;
    }
    napi_value workspace = nullptr;
    if (training) {
      void* data;
      workspace = newArray(env, napi_int32_array, (pd.workspace_desc().get_size() + 3) / 4, &data);
      run[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), cpu(), data);
    }
    dnnl::primitive(pd).execute(queue(), run);
    y.finish();
    hT.finish();
    for (Output& out : cT) out.finish();
    queue().wait();
    toCaller(w, yScratch, outputs.data, w.units);
    return result(env, {{"outputs", outputs.array}, {"h", h.array}, {"c", c.array}, {"workspace", workspace}});
  });
}

/**
 * backward({cell, time, batch, inputs, units, bf16, batchMajor, x, h0, c0?, wx, wh, b, peephole?, outputs, h, c?, workspace,
 *           dOutputs, dh, dc?, into? {dx, dWx, dWh}: arrays to write those into})
 *   → {dx, dh0, dc0?, dWx, dWh, dB, dPeephole?}
 * The forward's inputs and outputs come back as the forward took and gave them; `dh`/`dc` are the gradients
 * of the final state.
 */
napi_value RnnBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    Window w(env, args);
    Inputs in(env, args, w);
    auto pd = w.backward();
    auto plainState = w.stateDesc(dt::f32);
    auto arg = [&](const char* name, size_t count) { return floats(env, args, name, count); };
    size_t biasSize = size_t(w.gates()) * w.units;
    JsOutput dx = outputFloats(env, args, "dx", w.sequence(w.inputs)), dh0 = newFloats(env, w.state());
    JsOutput dWx = outputFloats(env, args, "dWx", w.weights(w.inputs)), dWh = outputFloats(env, args, "dWh", w.weights(w.units));
    JsOutput dB = newFloats(env, biasSize);
    // The GRU's weight gradients come out in oneDNN's gate order, into scratch, and are swapped back below.
    std::vector<float> dWxOrder(w.cell == Cell::gru ? w.weights(w.inputs) : 0), dWhOrder(dWxOrder.empty() ? 0 : w.weights(w.units)), dBOrder(dWxOrder.empty() ? 0 : biasSize);
    auto target = [](std::vector<float>& scratch, void* js) { return scratch.empty() ? js : static_cast<void*>(scratch.data()); };
    std::vector<Output> outs;
    outs.reserve(7);
    std::vector<float> dxScratch, outputsScratch, dOutputsScratch;
    outs.emplace_back(pd.diff_src_layer_desc(), w.sequenceDesc(w.inputs, dt::f32), timeMajorOutput(w, dx.data, w.inputs, dxScratch));
    outs.emplace_back(pd.diff_src_iter_desc(), plainState, dh0.data);
    outs.emplace_back(pd.diff_weights_layer_desc(), w.weightsDesc(w.inputs, dt::f32, tag::ldigo), target(dWxOrder, dWx.data));
    outs.emplace_back(pd.diff_weights_iter_desc(), w.weightsDesc(w.units, dt::f32, tag::ldigo), target(dWhOrder, dWh.data));
    outs.emplace_back(pd.diff_bias_desc(), w.biasDesc(), target(dBOrder, dB.data));
    Args run = {
        {DNNL_ARG_DST_LAYER, input(pd.dst_layer_desc(), w.sequenceDesc(w.units, dt::f32),
                                   timeMajorInput(w, arg("outputs", w.sequence(w.units)), w.units, outputsScratch))},
        {DNNL_ARG_DST_ITER, input(pd.dst_iter_desc(), plainState, arg("h", w.state()))},
        {DNNL_ARG_WORKSPACE, memory(pd.workspace_desc(), cpu(), typedArray(env, args, "workspace", napi_int32_array, pd.workspace_desc().get_size(), true))},
        {DNNL_ARG_DIFF_DST_LAYER, input(pd.diff_dst_layer_desc(), w.sequenceDesc(w.units, dt::f32),
                                        timeMajorInput(w, arg("dOutputs", w.sequence(w.units)), w.units, dOutputsScratch))},
        {DNNL_ARG_DIFF_DST_ITER, input(pd.diff_dst_iter_desc(), plainState, arg("dh", w.state()))},
        {DNNL_ARG_DIFF_SRC_LAYER, outs[0].primitive}, {DNNL_ARG_DIFF_SRC_ITER, outs[1].primitive},
        {DNNL_ARG_DIFF_WEIGHTS_LAYER, outs[2].primitive}, {DNNL_ARG_DIFF_WEIGHTS_ITER, outs[3].primitive}, {DNNL_ARG_DIFF_BIAS, outs[4].primitive},
    };
    in.add(run, pd, w);
    JsOutput dc0{nullptr, nullptr}, dPeephole{nullptr, nullptr};
    if (w.lstm()) {
      dc0 = newFloats(env, w.state());
      outs.emplace_back(pd.diff_src_iter_c_desc(), plainState, dc0.data);
      run[DNNL_ARG_DIFF_SRC_ITER_C] = outs.back().primitive;
      run[DNNL_ARG_DST_ITER_C] = input(pd.dst_iter_c_desc(), plainState, arg("c", w.state()));
      run[DNNL_ARG_DIFF_DST_ITER_C] = input(pd.diff_dst_iter_c_desc(), plainState, arg("dc", w.state()));
    }
    if (w.cell == Cell::peephole) {
      dPeephole = newFloats(env, 3 * size_t(w.units));
      outs.emplace_back(pd.diff_weights_peephole_desc(), w.peepholeDesc(), dPeephole.data);
      outs.back().zero();  // accumulated, like the other weight gradients
      run[DNNL_ARG_DIFF_WEIGHTS_PEEPHOLE] = outs.back().primitive;
    }
    // oneDNN adds the weight gradients into these arguments.
    for (size_t k = 2; k <= 4; k++) outs[k].zero();
    dnnl::primitive(pd).execute(queue(), run);
    for (Output& out : outs) out.finish();
    queue().wait();
    toCaller(w, dxScratch, dx.data, w.inputs);
    if (w.cell == Cell::gru) {
      std::vector<float> unused;
      std::memcpy(dWx.data, w.gateOrder(dWxOrder.data(), w.inputs, unused), dWxOrder.size() * sizeof(float));
      std::memcpy(dWh.data, w.gateOrder(dWhOrder.data(), w.units, unused), dWhOrder.size() * sizeof(float));
      std::memcpy(dB.data, w.gateOrder(dBOrder.data(), 1, unused), dBOrder.size() * sizeof(float));
    }
    return result(env, {{"dx", dx.array}, {"dh0", dh0.array}, {"dc0", dc0.array}, {"dWx", dWx.array}, {"dWh", dWh.array},
                        {"dB", dB.array}, {"dPeephole", dPeephole.array}});
  });
}

}  // namespace rnnlm

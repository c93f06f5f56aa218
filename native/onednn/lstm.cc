// The LSTM's time loop for training, composed of oneDNN matmuls with our own per-step element-wise code: the
// equations of src/cells/lstm.ts (and of rnn.cc's primitive), forward and back-propagation through time.
//
//   [i f g o] = x·W_x + (h ⊙ m)·W_h + b     (m: the step's recurrent-dropout mask, or 1)
//   c' = σ(f)⊙c + σ(i)⊙tanh(g);  h' = σ(o)⊙tanh(c')
//
// Why not oneDNN's LSTM primitive (rnn.cc) here: on an AVX512-BF16 CPU without AMX its bf16 backward took
// 50–72 ms a layer at 650 units (batch 20, 35 steps) while the same products as plain bf16 matmuls take
// ~27 ms: the window's weight gradients and input gradient as three large products over all T·B rows, only
// dG_t·W_hᵀ left in the loop. And the primitive has no per-step hook on h, so it cannot take the recurrent
// masks of variational dropout (Gal & Ghahramani 2016), which this loop applies where h enters the matmul.
//
// Layout: our [in, 4u] weights with gate columns i, f, g, o. Each step's recurrent product is one matmul over
// all 4u columns that adds the step's x·W_x + b already in the destination and applies σ as a post-op; the
// candidate comes out of the same σ through tanh(g) = 2σ(2g) − 1, its columns' pre-activations doubled (W_h's
// g columns, and x·W_x + b's, times 2: exact in float32 and bfloat16). One product instead of three column
// blocks with their own activations: the per-step products alone took 5.6 against 10.5 ms a window at 650
// units, the whole forward 3.3 against 4.0 ms at 200 units and the same within the noise at 650; the identity
// costs ~1e-7 of absolute precision in g. The workspace keeps, per step, σ(i), σ(f), tanh(g), σ(o), c' and
// tanh(c') in float32 for the backward pass.
//
// The caller's sequences (x, the outputs and their gradients) are batch-major [B, T, ·], the model's own layout,
// so that no TensorFlow transpose runs around the window (8 a step for two layers, ~8 ms at 650 units). Inside,
// everything is time-major, each step's B rows contiguous: the passes that read or write the caller's sequences
// anyway (x's conversion to the products' type, the step's output loop, the backward's per-step loop) take
// batch-major rows, and ∂x is transposed by one copy. Per-step products over rows T apart instead (oneDNN takes
// the stride) made a 650-unit bf16 window 6 ms slower forward and 7 ms backward.
#include "common.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace rnnlm {

namespace {

/** One LSTM layer over one window: its sizes and the products' data type. */
struct LstmWindow : WindowSizes {
  using WindowSizes::WindowSizes;
  /** Floats of the workspace: σ(i), σ(f), tanh(g), σ(o) [T, B, 4u]; c', tanh(c') [T, B, u] each. */
  size_t workspace() const { return rows() * 6 * units; }
};

/** A rows×cols matrix view of a row-major buffer whose rows are `stride` apart; `transposed`: of its transpose. */
memory::desc matrix(int rows, int cols, dt type, int stride, bool transposed = false) {
  return transposed ? memory::desc({rows, cols}, type, {1, stride}) : memory::desc({rows, cols}, type, {stride, 1});
}

/**
 * Fewer rows than this in a window (T·B) and the backward pass reads W_xᵀ and W_hᵀ as they are, in float32:
 * packing a transposed W is a strided pass over all of it each window, which pays back only over many rows.
 * AMD EPYC family 25 model 1 (AVX2), float32, one thread, backward medians of 21 windows (2026-12-05), packed
 * against plain: 25 against 9–13 ms at 650 units, batch 1, 5 steps (dynamic evaluation's windows); 45 against
 * 27–32 at batch 1, 35 steps (test's); 96–119 against 88–92 at batch 5 (175 rows); 143–146 against 143–146 at
 * batch 10 (350 rows) and 265–304 against 257–261 at batch 20 (700); at 400 units 55–57 against 60–61 at batch
 * 10 and 103 against 109–111 at batch 20, 37–38 against 35–36 at batch 5.
 */
constexpr size_t kPackedWeightsMinRows = 256;

/** A buffer in the products' type (oneDNN allocates it). */
struct Typed {
  memory mem;
  size_t bytesPerElement;
  Typed(size_t count, dt type) : mem(memory::desc({memory::dim(count)}, type, tag::a), cpu()), bytesPerElement(elementBytes(type)) {}
  void* at(size_t offset) const { return static_cast<char*>(mem.get_data_handle()) + offset * bytesPerElement; }
};

/**
 * C = A·B (+ bias) on oneDNN's matmul, its B operand converted and packed once (it is reused every step), or
 * with `plainWeights` read where it is (it must then be in A's type). `accumulate` adds the product to C's
 * values; `activation` (σ or tanh) is then applied to the sum.
 */
struct Product {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
  memory b;
  memory::desc a, c;
  const float* bias;

  Product(const memory::desc& aView, const memory::desc& bView, const void* bData, const memory::desc& cView, const float* biasData = nullptr,
          bool accumulate = false, dnnl::algorithm activation = dnnl::algorithm::undef, bool plainWeights = false)
      : a(aView), c(cView), bias(biasData) {
    dnnl::post_ops ops;
    if (accumulate) ops.append_sum(1.f);
    if (activation != dnnl::algorithm::undef) ops.append_eltwise(activation, 0.f, 0.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    memory::desc packed = plainWeights ? bView : memory::desc(bView.get_dims(), aView.get_data_type(), tag::any);
    memory::desc biasDesc = bias ? memory::desc({1, cView.get_dims()[1]}, dt::f32, tag::ab) : memory::desc();
    pd = dnnl::matmul::primitive_desc(cpu(), aView, packed, biasDesc, cView, attr);
    primitive = dnnl::matmul(pd);
    b = input(pd.weights_desc(), bView, bData);
  }

  void run(const void* aData, float* cData) const {
    Args args = {{DNNL_ARG_SRC, memory(a, cpu(), const_cast<void*>(aData))}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, memory(c, cpu(), cData)}};
    if (bias) args[DNNL_ARG_BIAS] = memory(memory::desc({1, c.get_dims()[1]}, dt::f32, tag::ab), cpu(), const_cast<float*>(bias));
    primitive.execute(queue(), args);
  }
};

/** The arguments both passes take: the window's input [B, T, in], initial state, weights and optional masks [T, B, u]. */
struct LstmInputs {
  const float *x, *h0, *c0, *wx, *wh, *masks = nullptr;

  LstmInputs(napi_env env, napi_value args, const LstmWindow& w)
      : x(floats(env, args, "x", w.rows() * w.inputs)),
        h0(floats(env, args, "h0", w.state())),
        c0(floats(env, args, "c0", w.state())),
        wx(floats(env, args, "wx", size_t(w.inputs) * 4 * w.units)),
        wh(floats(env, args, "wh", size_t(w.units) * 4 * w.units)) {
    if (isGiven(env, args, "masks")) masks = floats(env, args, "masks", w.rows() * w.units);
  }

  /** h_{t−1} as it enters step t's recurrent product: its first row, and the distance between its rows. */
  std::pair<const float*, size_t> previous(const float* outputs, int t, const LstmWindow& w) const {
    if (t == 0) return {h0, size_t(w.units)};
    return {outputs + size_t(t - 1) * w.units, size_t(w.time) * w.units};
  }
  const float* mask(int t, const LstmWindow& w) const { return masks ? masks + t * w.state() : nullptr; }

  /** The window's input in the products' type, time-major: [T·B, in]. */
  Typed typedInput(const LstmWindow& w) const {
    Typed out(w.rows() * w.inputs, w.data());
    for (int t = 0; t < w.time; t++) {
      storeRows(x + size_t(t) * w.inputs, size_t(w.time) * w.inputs, out.at(size_t(t) * w.batch * w.inputs), w.inputs, w.batch, w.inputs, w.data());
    }
    return out;
  }

  /** Every step's h_{t−1} ⊙ m_t in the products' type, time-major: [T·B, u]. */
  Typed fed(const float* outputs, const LstmWindow& w) const {
    Typed out(w.rows() * w.units, w.data());
    for (int t = 0; t < w.time; t++) {
      auto [from, stride] = previous(outputs, t, w);
      storeRows(from, stride, out.at(t * w.state()), w.units, w.batch, w.units, w.data(), mask(t, w));
    }
    return out;
  }
};

/** Pointers into the workspace: the activated gates [T, B, 4u] (σ(i), σ(f), tanh(g), σ(o)), then c', tanh(c') [T, B, u]. */
struct Workspace {
  float *gates, *cell, *cellTanh;
  Workspace(float* base, const LstmWindow& w) : gates(base), cell(base + w.rows() * 4 * w.units), cellTanh(cell + w.rows() * w.units) {}
};

/** The candidate's columns (g, the third block of each row of [rows, 4u]) times 2, for tanh(g) = 2σ(2g) − 1. */
void doubleCandidate(float* gates, size_t rows, int u) {
#pragma omp parallel for
  for (long r = 0; r < long(rows); r++) {
    for (int j = 2 * u; j < 3 * u; j++) gates[size_t(r) * 4 * u + j] *= 2.f;
  }
}

}  // namespace

/**
 * lstmForward({time, batch, inputs, units, bf16, x [B·T·in], h0, c0, wx, wh, b, masks? [T·B·u], workspace [T·B·6u] (filled for the backward pass)})
 *   → {outputs [B·T·u], h, c [B·u]}
 */
napi_value LstmForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    LstmWindow w(env, args);
    LstmInputs in(env, args, w);
    const float* bias = floats(env, args, "b", 4 * size_t(w.units));
    const int u = w.units, B = w.batch, T = w.time, rows = int(w.rows()), width = 4 * u;
    const dt type = w.data();
    JsOutput outputs = newFloats(env, w.rows() * u), h = newFloats(env, w.state()), c = newFloats(env, w.state());
    Workspace ws(floats(env, args, "workspace", w.workspace()), w);
    auto* y = static_cast<float*>(outputs.data);

    // Every step's x·W_x + b at once, then the recurrent product adds (h ⊙ m)·W_h and applies σ to all four gates.
    Typed x = in.typedInput(w);
    Product(matrix(rows, w.inputs, type, w.inputs), matrix(w.inputs, width, dt::f32, width), in.wx, matrix(rows, width, dt::f32, width), bias)
        .run(x.at(0), ws.gates);
    doubleCandidate(ws.gates, w.rows(), u);
    float* whDoubled = scratch<Scratch::DoubledRecurrentWeights>(size_t(u) * width);
    std::copy(in.wh, in.wh + size_t(u) * width, whDoubled);
    doubleCandidate(whDoubled, u, u);
    Product step(matrix(B, u, type, u), matrix(u, width, dt::f32, width), whDoubled, matrix(B, width, dt::f32, width), nullptr, true,
                 dnnl::algorithm::eltwise_logistic);
    memory::desc stateDesc = matrix(B, u, dt::f32, u);
    dnnl::eltwise_forward tanh(dnnl::eltwise_forward::primitive_desc(cpu(), dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_tanh,
                                                                     stateDesc, stateDesc, 0.f, 0.f));
    // h_{t−1} ⊙ m_t in the products' type: h0's here, each later step's written by the step before as it ends.
    Typed fed(w.state(), type);
    storeRows(in.h0, u, fed.at(0), u, B, u, type, in.mask(0, w));
    for (int t = 0; t < T; t++) {
      float* gates = ws.gates + size_t(t) * B * width;
      step.run(fed.at(0), gates);
      const float* cPrevious = t == 0 ? in.c0 : ws.cell + (t - 1) * w.state();
      float* cell = ws.cell + t * w.state();
      // The element-wise steps run on oneDNN's OpenMP threads too, which keeps them awake for the next product.
#pragma omp parallel for
      for (int n = 0; n < B; n++) {
        float* row = gates + size_t(n) * width;
        for (int j = 0; j < u; j++) {
          const float g = 2.f * row[2 * u + j] - 1.f;  // tanh(g) from σ(2g)
          row[2 * u + j] = g;
          cell[n * u + j] = row[u + j] * cPrevious[n * u + j] + row[j] * g;
        }
      }
      float* cellTanh = ws.cellTanh + t * w.state();
      tanh.execute(queue(), {{DNNL_ARG_SRC, memory(stateDesc, cpu(), cell)}, {DNNL_ARG_DST, memory(stateDesc, cpu(), cellTanh)}});
      const bool feedsNext = t + 1 < T;
      const float* nextMask = feedsNext ? in.mask(t + 1, w) : nullptr;
#pragma omp parallel for
      for (int n = 0; n < B; n++) {
        const float* o = gates + size_t(n) * width + 3 * u;
        float* out = y + (size_t(n) * T + t) * u;  // batch-major
        for (int j = 0; j < u; j++) out[j] = o[j] * cellTanh[n * u + j];
        if (feedsNext) storeRow(out, nextMask ? nextMask + n * u : nullptr, fed.at(size_t(n) * u), u, type);
      }
    }
    for (int n = 0; n < B; n++) std::memcpy(static_cast<float*>(h.data) + size_t(n) * u, y + (size_t(n) * T + T - 1) * u, u * sizeof(float));
    std::memcpy(c.data, ws.cell + (T - 1) * w.state(), w.state() * sizeof(float));
    return result(env, {{"outputs", outputs.array}, {"h", h.array}, {"c", c.array}});
  });
}

/**
 * lstmBackward({time, batch, inputs, units, bf16, x, h0, c0, wx, wh, masks?, outputs, workspace, dOutputs [B·T·u], dh, dc,
 *               into? {dx, dWx, dWh}: arrays to write those into})
 *   → {dx [B·T·in], dh0, dc0, dWx, dWh, dB}
 * From the forward's inputs, outputs and workspace, and the gradients of the outputs and of the final state.
 */
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    LstmWindow w(env, args);
    LstmInputs in(env, args, w);
    const int u = w.units, B = w.batch, T = w.time, rows = int(w.rows()), width = 4 * u;
    const dt type = w.data();
    const float* y = floats(env, args, "outputs", w.rows() * u);
    Workspace ws(floats(env, args, "workspace", w.workspace()), w);
    const float* dOutputs = floats(env, args, "dOutputs", w.rows() * u);
    // ∂L/∂c carried backwards from step to step, starting from the final state's; ∂L/∂h likewise, below.
    const float *dhFinal = floats(env, args, "dh", w.state()), *dcFinal = floats(env, args, "dc", w.state());
    std::vector<float> dc(dcFinal, dcFinal + w.state());
    JsOutput dx = outputFloats(env, args, "dx", w.rows() * w.inputs), dh0 = newFloats(env, w.state()), dc0 = newFloats(env, w.state());
    JsOutput dWx = outputFloats(env, args, "dWx", size_t(w.inputs) * width), dWh = outputFloats(env, args, "dWh", size_t(u) * width);
    JsOutput dB = newFloats(env, width);

    // ∂L/∂[i f g o] before the activations, every step: [T·B, 4u] in float32 (for ∂b), and a bfloat16 copy for
    // the products in bf16 mode, each row converted as it is computed.
    float* dGates = scratch<Scratch::GateGradients>(w.rows() * width);
    std::optional<Typed> dGatesBf16;
    if (type == dt::bf16) dGatesBf16.emplace(w.rows() * width, type);
    auto typedGates = [&](size_t offset) -> void* { return dGatesBf16 ? dGatesBf16->at(offset) : dGates + offset; };
    // ∂L/∂h_{t−1} through the recurrent product: dG_t·W_hᵀ (W_h read transposed).
    const bool plainWeights = type == dt::f32 && w.rows() < kPackedWeightsMinRows;
    Product recurrent(matrix(B, width, type, width), matrix(width, u, dt::f32, width, true), in.wh, matrix(B, u, dt::f32, u), nullptr, false,
                      dnnl::algorithm::undef, plainWeights);
    // ∂L/∂h_t as it enters step t from later: the final state's, then dFed ⊙ m_{t+1} from step t + 1's product,
    // the mask applied where it is read.
    std::vector<float> dFed(w.state());
    const float *dhCarried = dhFinal, *dhMask = nullptr;
    for (int t = T - 1; t >= 0; t--) {
      const size_t s = t * w.state();
      const float* cPrevious = t == 0 ? in.c0 : ws.cell + s - w.state();
#pragma omp parallel for
      for (int n = 0; n < B; n++) {
        const float* gates = ws.gates + (size_t(t) * B + n) * width;
        float* dG = dGates + (size_t(t) * B + n) * width;
        const float* dOutput = dOutputs + (size_t(n) * T + t) * u;  // batch-major
        for (int j = 0; j < u; j++) {
          const size_t at = size_t(n) * u + j;
          const float i = gates[j], f = gates[u + j], g = gates[2 * u + j], o = gates[3 * u + j], cellTanh = ws.cellTanh[s + at];
          const float dHidden = dOutput[j] + (dhMask ? dhCarried[at] * dhMask[at] : dhCarried[at]);
          const float dCell = dc[at] + dHidden * o * (1.f - cellTanh * cellTanh);
          dG[j] = dCell * g * i * (1.f - i);
          dG[u + j] = dCell * cPrevious[at] * f * (1.f - f);
          dG[2 * u + j] = dCell * i * (1.f - g * g);
          dG[3 * u + j] = dHidden * cellTanh * o * (1.f - o);
          dc[at] = dCell * f;
        }
        if (dGatesBf16) storeRow(dG, nullptr, typedGates((size_t(t) * B + n) * width), width, type);
      }
      recurrent.run(typedGates(size_t(t) * B * width), dFed.data());
      dhCarried = dFed.data();
      dhMask = in.mask(t, w);
    }
    // ∂b: the column sums of dG, 64 columns at a time so that every row is read along its length (a column
    // at a time strode 4u floats per read: 0.85 against 0.15 ms at 650 units); each column still adds its
    // rows in order.
    auto* bias = static_cast<float*>(dB.data);
    constexpr int kColumns = 64;
#pragma omp parallel for
    for (int from = 0; from < width; from += kColumns) {
      const int to = std::min(width, from + kColumns);
      float sums[kColumns] = {};
      for (size_t r = 0; r < w.rows(); r++) {
        for (int j = from; j < to; j++) sums[j - from] += dGates[r * width + j];
      }
      std::copy(sums, sums + (to - from), bias + from);
    }
    // The three window-wide products: ∂x = dG·W_xᵀ, ∂W_x = xᵀ·dG, ∂W_h = (h_{t−1} ⊙ m_t)ᵀ·dG.
    float* dxTimeMajor = scratch<Scratch::InputGradients>(w.rows() * w.inputs);
    Product(matrix(rows, width, type, width), matrix(width, w.inputs, dt::f32, width, true), in.wx, matrix(rows, w.inputs, dt::f32, w.inputs),
            nullptr, false, dnnl::algorithm::undef, plainWeights)
        .run(typedGates(0), dxTimeMajor);
    Typed x = in.typedInput(w);
    memory::desc dGatesView = matrix(rows, width, type, width);
    Product(matrix(w.inputs, rows, type, w.inputs, true), dGatesView, typedGates(0), matrix(w.inputs, width, dt::f32, width))
        .run(x.at(0), static_cast<float*>(dWx.data));
    Typed fed = in.fed(y, w);
    Product(matrix(u, rows, type, u, true), dGatesView, typedGates(0), matrix(u, width, dt::f32, width)).run(fed.at(0), static_cast<float*>(dWh.data));
    queue().wait();
    swapLeadingAxes(dxTimeMajor, static_cast<float*>(dx.data), T, B, w.inputs);
    auto* dhInitial = static_cast<float*>(dh0.data);
    for (size_t k = 0; k < w.state(); k++) dhInitial[k] = dhMask ? dFed[k] * dhMask[k] : dFed[k];
    std::memcpy(dc0.data, dc.data(), w.state() * sizeof(float));
    return result(env, {{"dx", dx.array}, {"dh0", dh0.array}, {"dc0", dc0.array}, {"dWx", dWx.array}, {"dWh", dWh.array}, {"dB", dB.array}});
  });
}

}  // namespace rnnlm

// The output layer of a language model and its softmax cross-entropy, forward and backward, on oneDNN's matmul,
// softmax and (in bf16 mode) bfloat16 products: src/model/loss.ts's equations, without the [N, V] tensors ever
// crossing into TensorFlow.
//
//   logits = h·W + b  (W is [H, V]; a tied model passes its [V, H] embedding, read transposed)
//   nll_n  = −log softmax(logits_n)[t_n]
//   P      = softmax(logits), kept for the backward pass (bfloat16 in bf16 mode)
// and, with c_n = ∂L/∂nll_n (the caller's per-row scale),
//   ∂L/∂h = c ⊙ (P·Wᵀ − W[:, t])     ∂L/∂W = hᵀ·(c ⊙ P) − scatter(c ⊙ h → columns t)     ∂L/∂b = Pᵀ·c − scatter(c)
//
// Why: a word-level model spends most of its step in these [N, V] products (the medium model: 27 GFLOP a step,
// three products of 700 × 650 × 10,000). oneDNN runs them with bfloat16 inputs and float32 accumulation where the
// CPU has AVX512-BF16 or AMX (1.5–1.9× float32 on an AMD EPYC with AVX512-BF16), where TensorFlow's bf16 fpmath
// mode left its matmul at float32 speed on that CPU.
#include "common.h"

#include <algorithm>
#include <cmath>

namespace rnnlm {

namespace {

/** The sizes and mode of one call: N rows of H features, V words. */
struct OutputLayer {
  int rows, hidden, vocab;
  bool bf16;
  /** W is the [V, H] embedding (tied) rather than an [H, V] projection. */
  bool vocabRows;

  OutputLayer(napi_env env, napi_value args)
      : rows(intProperty(env, args, "rows")),
        hidden(intProperty(env, args, "hidden")),
        vocab(intProperty(env, args, "vocab")),
        bf16(boolProperty(env, args, "bf16")),
        vocabRows(boolProperty(env, args, "vocabRows")) {}

  dt data() const { return bf16 ? dt::bf16 : dt::f32; }
  size_t cells() const { return size_t(rows) * vocab; }
  size_t weightCount() const { return size_t(hidden) * vocab; }
  /** Bytes of P as kept between the passes. */
  size_t probabilityBytes() const { return cells() * elementBytes(data()); }

  memory::desc rowsBy(int columns, dt type) const { return {{rows, columns}, type, tag::ab}; }
  /** The caller's W (or its copy converted to `type`) as the [H, V] matrix of the product h·W. */
  memory::desc weightAsHiddenByVocab(dt type = dt::f32) const { return {{hidden, vocab}, type, vocabRows ? tag::ba : tag::ab}; }
  /** The caller's W (or its copy converted to `type`) as the [V, H] matrix of the product P·Wᵀ. */
  memory::desc weightAsVocabByHidden(dt type = dt::f32) const { return {{vocab, hidden}, type, vocabRows ? tag::ab : tag::ba}; }
  /**
   * Whether the float32 products read W packed into oneDNN's blocked layout rather than as the caller's array.
   * Packing is a pass over all of W each call; it pays back only over many rows: at 650 × 10,000 the plain W took
   * 6.4 against 10.6 ms at 1 row (sampling), 15 against 23 ms at 35 (dynamic evaluation's windows), the same at
   * 350 (batch 10), and packed was as fast or faster at 700 (a training step's 20 × 35).
   */
  bool packWeights() const { return rows >= 512; }
  /** Element (v, j) of W in the caller's layout. */
  size_t weightIndex(size_t v, size_t j) const { return vocabRows ? v * hidden + j : j * vocab + v; }
};

/** The targets, each checked to be a word of the vocabulary. */
const int32_t* targetsOf(napi_env env, napi_value args, const OutputLayer& o) {
  auto* targets = static_cast<const int32_t*>(typedArray(env, args, "targets", napi_int32_array, size_t(o.rows) * 4));
  for (int n = 0; n < o.rows; n++) {
    if (targets[n] < 0 || targets[n] >= o.vocab) {
      throw ArgumentError("targets[" + std::to_string(n) + "] is " + std::to_string(targets[n]) + ", outside the vocabulary of " +
                          std::to_string(o.vocab));
    }
  }
  return targets;
}

/**
 * dst = src·weights (+ bias) on oneDNN's matmul, converting float32 operands to the primitive's type and layout.
 * A source already in the product's type (P, kept as bf16) is used as it is; so are the weights with
 * `plainWeights` (which then must be in that type), where packing them would cost more than the product gains.
 */
void product(const memory::desc& src, const void* srcData, const memory::desc& weights, const void* weightsData, const memory::desc& dst,
             void* dstData, dt type, const float* bias = nullptr, bool plainWeights = false) {
  auto wanted = [&](const memory::desc& plain) { return memory::desc(plain.get_dims(), type, tag::any); };
  memory::desc biasDesc = bias ? memory::desc({1, dst.get_dims()[1]}, dt::f32, tag::ab) : memory::desc();
  memory::desc srcWanted = src.get_data_type() == type ? src : wanted(src);
  dnnl::matmul::primitive_desc pd(cpu(), srcWanted, plainWeights ? weights : wanted(weights), biasDesc, dst);
  Args run = {{DNNL_ARG_SRC, input(pd.src_desc(), src, srcData)}, {DNNL_ARG_WEIGHTS, input(pd.weights_desc(), weights, weightsData)},
              {DNNL_ARG_DST, memory(dst, cpu(), dstData)}};
  if (bias) run[DNNL_ARG_BIAS] = memory(biasDesc, cpu(), const_cast<float*>(bias));
  dnnl::matmul(pd).execute(queue(), run);
}

/** dst = softmax (or log-softmax) of each row of src, on oneDNN's softmax. */
void softmax(const memory::desc& src, void* srcData, const memory::desc& dst, void* dstData, dnnl::algorithm kind) {
  dnnl::softmax_forward::primitive_desc pd(cpu(), dnnl::prop_kind::forward_inference, kind, src, dst, 1);
  dnnl::softmax_forward(pd).execute(queue(), {{DNNL_ARG_SRC, memory(src, cpu(), srcData)}, {DNNL_ARG_DST, memory(dst, cpu(), dstData)}});
}

/** −log softmax(row)[target], summed in double: for the rare row whose P[target] is below float32's normal range. */
float rowNll(const float* row, int columns, int target) {
  const float largest = *std::max_element(row, row + columns);
  double sum = 0;
  for (int v = 0; v < columns; v++) sum += std::exp(double(row[v]) - largest);
  return float(std::log(sum) + largest - row[target]);
}

/** A P element as a float (bfloat16 is the high half of a float32). */
inline float toFloat(float value) { return value; }
inline float toFloat(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof result);
  return result;
}

/**
 * db[v] = Σ_n c_n·P[n, v] in float32, adding P's rows in order; 256 columns per block so that each row is read
 * along its length, and one loop per element type so that it vectorises (a per-element type test did not:
 * 5 ms a `medium` step).
 */
template <typename Element>
void weightedColumnSums(const Element* p, const float* c, size_t rows, size_t columns, float* db) {
#pragma omp parallel for schedule(static)
  for (long block = 0; block < long((columns + 255) / 256); block++) {
    const size_t from = size_t(block) * 256, to = std::min(columns, from + 256);
    std::fill(db + from, db + to, 0.f);
    for (size_t n = 0; n < rows; n++) {
      const Element* row = p + n * columns;
      for (size_t v = from; v < to; v++) db[v] += c[n] * toFloat(row[v]);
    }
  }
}

}  // namespace

/**
 * outputForward({rows, hidden, vocab, bf16, vocabRows, training, h [N·H], w, b [V], targets (Int32Array [N]),
 *                probabilities (training: an Int32Array of at least P's bytes, which receives P, bfloat16 in bf16 mode),
 *                weights16 (bf16 mode: an Int32Array of at least W's bytes in bfloat16, which receives them),
 *                weights16Ready (optional: weights16 already holds this W, as the caller kept it)})
 *   → {nll [N]}
 */
napi_value OutputForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    OutputLayer o(env, args);
    bool training = boolProperty(env, args, "training");
    const float* h = floats(env, args, "h", size_t(o.rows) * o.hidden);
    const float* w = floats(env, args, "w", o.weightCount());
    const float* b = floats(env, args, "b", o.vocab);
    const int32_t* targets = targetsOf(env, args, o);
    float* logits = scratch<Scratch::Logits>(o.cells());
    if (o.bf16) {
      // W converted by one pass of our own and used unpacked: oneDNN's reorder of the float32 W into its packed
      // bf16 layout took longer than the product gains from it (~38 against 3.6 + 24–29 ms at 650 × 10,000 in a C++
      // loop). The copy goes to the caller's `weights16`: in training for the backward pass to use as it is; in
      // inference the caller keeps it while W is unchanged and says so with `weights16Ready`.
      auto* w16 = static_cast<uint16_t*>(typedArray(env, args, "weights16", napi_int32_array, o.weightCount() * 2, true));
      if (!(isGiven(env, args, "weights16Ready") && boolProperty(env, args, "weights16Ready"))) store(w, w16, o.weightCount(), dt::bf16);
      product(o.rowsBy(o.hidden, dt::f32), h, o.weightAsHiddenByVocab(dt::bf16), w16, o.rowsBy(o.vocab, dt::f32), logits, dt::bf16, b, true);
    } else {
      product(o.rowsBy(o.hidden, dt::f32), h, o.weightAsHiddenByVocab(), w, o.rowsBy(o.vocab, dt::f32), logits, dt::f32, b, !o.packWeights());
    }
    JsOutput nll = newFloats(env, o.rows);
    auto* out = static_cast<float*>(nll.data);
    if (training) {
      void* p = typedArray(env, args, "probabilities", napi_int32_array, o.probabilityBytes(), true);
      softmax(o.rowsBy(o.vocab, dt::f32), logits, o.rowsBy(o.vocab, o.data()), p, dnnl::algorithm::softmax_accurate);
      if (!o.bf16) {
        // float32: nll_n = −log P[n, t_n], read from P instead of a log-softmax pass over all [N, V] (~4 ms a step);
        // a P[n, t_n] too small to keep float32's relative precision takes the exact row sum instead.
        queue().wait();
        const auto* probabilities = static_cast<const float*>(p);
        for (int n = 0; n < o.rows; n++) {
          const float pt = probabilities[size_t(n) * o.vocab + targets[n]];
          out[n] = pt >= 1e-30f ? float(-std::log(double(pt))) : rowNll(logits + size_t(n) * o.vocab, o.vocab, targets[n]);
        }
        return result(env, {{"nll", nll.array}});
      }
    }
    // Log-probabilities in place: nll_n is exact in float32 whatever the mode (no log of a bfloat16 P).
    softmax(o.rowsBy(o.vocab, dt::f32), logits, o.rowsBy(o.vocab, dt::f32), logits, dnnl::algorithm::softmax_log);
    queue().wait();
    for (int n = 0; n < o.rows; n++) out[n] = -logits[size_t(n) * o.vocab + targets[n]];
    return result(env, {{"nll", nll.array}});
  });
}

/**
 * outputBackward({rows, hidden, vocab, bf16, vocabRows, h, w, targets, scale [N] (c_n = ∂L/∂nll_n), probabilities,
 *                 weights16 (bf16 mode), into? {dHidden, dWeight}: arrays to write those into}), with P and W's bf16 copy as
 *                 the forward left them
 *   → {dHidden [N·H], dWeight (W's layout), dBias [V]}
 */
napi_value OutputBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    napi_value args = soleArgument(env, info);
    OutputLayer o(env, args);
    const float* h = floats(env, args, "h", size_t(o.rows) * o.hidden);
    const float* w = floats(env, args, "w", o.weightCount());
    const float* c = floats(env, args, "scale", o.rows);
    const int32_t* targets = targetsOf(env, args, o);
    const void* p = typedArray(env, args, "probabilities", napi_int32_array, o.probabilityBytes(), true);
    JsOutput dHidden = outputFloats(env, args, "dHidden", size_t(o.rows) * o.hidden), dWeight = outputFloats(env, args, "dWeight", o.weightCount());
    JsOutput dBias = newFloats(env, o.vocab);
    auto* dh = static_cast<float*>(dHidden.data);
    auto* dw = static_cast<float*>(dWeight.data);
    auto* db = static_cast<float*>(dBias.data);
    const size_t H = o.hidden, V = o.vocab, N = o.rows;

    // ∂L/∂h = c ⊙ (P·Wᵀ − W[:, t]), in bf16 mode with the forward's unpacked bf16 copy of W.
    if (o.bf16) {
      const void* w16 = typedArray(env, args, "weights16", napi_int32_array, o.weightCount() * 2, true);
      product(o.rowsBy(o.vocab, dt::bf16), p, o.weightAsVocabByHidden(dt::bf16), w16, o.rowsBy(o.hidden, dt::f32), dh, dt::bf16, nullptr, true);
    } else {
      product(o.rowsBy(o.vocab, dt::f32), p, o.weightAsVocabByHidden(), w, o.rowsBy(o.hidden, dt::f32), dh, dt::f32, nullptr, !o.packWeights());
    }
    // c ⊙ h: the other operand of ∂L/∂W, and what the one-hot term below scatters into its target columns
    std::vector<float> scaledHidden(N * H);
    for (size_t n = 0; n < N; n++) {
      for (size_t j = 0; j < H; j++) scaledHidden[n * H + j] = c[n] * h[n * H + j];
    }
    // ∂L/∂W = hᵀ·(c ⊙ P) = (c ⊙ h)ᵀ·P, in W's layout: [V, H] = Pᵀ·(c ⊙ h) for the tied embedding, [H, V] otherwise.
    memory::desc pTransposed({o.vocab, o.rows}, o.data(), tag::ba), pPlain = o.rowsBy(o.vocab, o.data());
    memory::desc scaled = o.rowsBy(o.hidden, dt::f32), scaledTransposed({o.hidden, o.rows}, dt::f32, tag::ba);
    if (o.vocabRows) product(pTransposed, p, scaled, scaledHidden.data(), {{o.vocab, o.hidden}, dt::f32, tag::ab}, dw, o.data());
    else product(scaledTransposed, scaledHidden.data(), pPlain, p, {{o.hidden, o.vocab}, dt::f32, tag::ab}, dw, o.data());
    queue().wait();
    // ∂L/∂b = Pᵀ·c, accumulated in float32 over P's rows.
    if (o.bf16) weightedColumnSums(static_cast<const uint16_t*>(p), c, N, V, db);
    else weightedColumnSums(static_cast<const float*>(p), c, N, V, db);
    // The one-hot terms: − W[:, t_n] in ∂L/∂h, − c_n·h_n in column t_n of ∂L/∂W, − c_n in ∂L/∂b.
    for (size_t n = 0; n < N; n++) {
      size_t t = size_t(targets[n]);
      for (size_t j = 0; j < H; j++) {
        dh[n * H + j] = c[n] * dh[n * H + j] - c[n] * w[o.weightIndex(t, j)];
        dw[o.weightIndex(t, j)] -= scaledHidden[n * H + j];
      }
      db[t] -= c[n];
    }
    return result(env, {{"dHidden", dHidden.array}, {"dWeight", dWeight.array}, {"dBias", dBias.array}});
  });
}

}  // namespace rnnlm

// Training kernels: the whole AdamW update in one call, and softmax cross-entropy with its
// gradient in one pass. Each replaces dozens of small tfjs kernel calls per step, whose
// bookkeeping (10-20 µs each) costs more than their arithmetic.
#include <cmath>

#include "math.h"
#include "napi.h"

namespace trm {
namespace {

// adamw(params[], grads[], m[], v[], outP[], outM[], outV[], decay, hyper): one call for every
// parameter. decay[i] is 1 − lr·λ (or 1); hyper = [lr, β₁, 1−β₁, β₂, 1−β₂, ε, 1−β₁ᵗ, 1−β₂ᵗ].
// The arithmetic is engine/train/adamw.ts's, op by op in float32, so both paths agree:
//   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p·decay − lr · (m/bc₁) / (√(v/bc₂) + ε)
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* decay = arr<float>(env, a.v[7]);
  const float* h = arr<float>(env, a.v[8]);
  const float lr = h[0], b1 = h[1], c1 = h[2], b2 = h[3], c2 = h[4], eps = h[5], bc1 = h[6],
              bc2 = h[7];
  uint32_t count = 0;
  napi_get_array_length(env, a.v[0], &count);
  for (uint32_t k = 0; k < count; k++) {
    size_t n;
    const float* __restrict p = arrAt<float>(env, a.v[0], k, &n);
    const float* __restrict g = arrAt<float>(env, a.v[1], k);
    const float* __restrict m = arrAt<float>(env, a.v[2], k);
    const float* __restrict v = arrAt<float>(env, a.v[3], k);
    float* __restrict po = arrAt<float>(env, a.v[4], k);
    float* __restrict mo = arrAt<float>(env, a.v[5], k);
    float* __restrict vo = arrAt<float>(env, a.v[6], k);
    const float d = decay[k];
    for (size_t i = 0; i < n; i++) {
      const float gi = g[i];
      const float m1 = m[i] * b1 + gi * c1;
      const float v1 = v[i] * b2 + (gi * gi) * c2;
      const float denom = __builtin_sqrtf(v1 / bc2) + eps;
      const float update = ((m1 / bc1) / denom) * lr;
      mo[i] = m1;
      vo[i] = v1;
      po[i] = (d == 1.f ? p[i] : p[i] * d) - update;
    }
  }
  return undef(env);
}

// softmaxCrossEntropy(logits, targets, loss, dlogits): P = [rows, cols]. Rows whose target is
// negative (IGNORE) are not scored. loss[0] = −Σ log softmax(x)[t] / max(1, scored) and
// dlogits = (softmax(x) − onehot(t)) / max(1, scored) on scored rows, 0 elsewhere: the
// gradient of the loss, which the backward pass only scales.
napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  const int32_t* t = arr<int32_t>(env, a.v[1]);
  float* loss = arr<float>(env, a.v[2]);
  float* D = arr<float>(env, a.v[3]);
  const int64_t rows = P[0], cols = P[1];
  int64_t scored = 0;
  for (int64_t r = 0; r < rows; r++) scored += t[r] >= 0 && t[r] < cols;
  const float w = 1.f / static_cast<float>(scored > 0 ? scored : 1);
  double total = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    float* d = D + r * cols;
    const int32_t target = t[r];
    if (target < 0 || target >= cols) {
      for (int64_t i = 0; i < cols; i++) d[i] = 0.f;
      continue;
    }
    float m = x[0];
    for (int64_t i = 1; i < cols; i++) m = x[i] > m ? x[i] : m;
    for (int64_t i = 0; i < cols; i++) d[i] = fast_exp(x[i] - m);
    float s = 0;
    for (int64_t i = 0; i < cols; i++) s += d[i];
    // log p[t] = x[t] − m − log Σ e^(x − m)
    total -= static_cast<double>(x[target] - m - std::log(s));
    const float k = w / s;
    for (int64_t i = 0; i < cols; i++) d[i] *= k;
    d[target] -= w;
  }
  loss[0] = static_cast<float>(total / static_cast<double>(scored > 0 ? scored : 1));
  return undef(env);
}

}  // namespace

void registerTrainKernels(napi_env env, napi_value exports) {
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"adamw", AdamW}, {"softmaxCrossEntropy", SoftmaxCrossEntropy}};
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
}

}  // namespace trm

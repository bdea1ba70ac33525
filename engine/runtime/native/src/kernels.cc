// TRM Studio native kernels: a plain N-API addon (node_api.h only, ABI-stable across Node and
// Electron versions). Every function works on typed arrays the JS side allocated; sizes and
// shapes travel through one shared Int32Array (`P`, registered once by `init`) so a call costs
// one N-API transition and no argument objects.
#include <node_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "math.h"
#include "napi.h"

extern "C" {
// The CBLAS prototype is declared here instead of including a header: Debian, Homebrew and
// Accelerate put cblas.h in different places, but the symbol and ABI are the same.
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);
// OpenBLAS only (weak: Accelerate and other BLAS builds have no such call).
void openblas_set_num_threads(int n) __attribute__((weak));
}

namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
constexpr int kMaxRank = 8;

using trm::Args;
using trm::args;
using trm::arr;
using trm::i32;
using trm::P;
using trm::P_ref;
using trm::undef;

// ---------------------------------------------------------------------------------------------
napi_value Init(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  P = arr<int32_t>(env, a.v[0]);
  if (P_ref) napi_delete_reference(env, P_ref);
  napi_create_reference(env, a.v[0], 1, &P_ref);
  return undef(env);
}

// gemm(a, b, c): P = [batch, M, N, K, transA, transB, strideA, strideB]
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* A = arr<float>(env, a.v[0]);
  const float* B = arr<float>(env, a.v[1]);
  float* C = arr<float>(env, a.v[2]);
  int batch = P[0], M = P[1], N = P[2], K = P[3], tA = P[4], tB = P[5];
  int64_t sA = P[6], sB = P[7];
  int lda = tA ? M : K, ldb = tB ? K : N;
  if (batch > 1 && sB == 0 && !tA) {
    // A shared right operand: the batch folds into M, one big product.
    cblas_sgemm(kRowMajor, kNoTrans, tB ? kTrans : kNoTrans, batch * M, N, K, 1.f, A, lda, B,
                ldb, 0.f, C, N);
    return undef(env);
  }
  for (int i = 0; i < batch; i++) {
    cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, M, N, K, 1.f,
                A + i * sA, lda, B + i * sB, ldb, 0.f, C + int64_t(i) * M * N, N);
  }
  return undef(env);
}

// setThreads(n): BLAS threads. Returns false when the BLAS cannot be told.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  bool ok = openblas_set_num_threads != nullptr;
  if (ok) openblas_set_num_threads(i32(env, a.v[0]));
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary ops with numpy broadcasting.
enum BinOp { ADD, SUB, MUL, DIV, MAX, MIN, SQDIFF, POW };

template <int OP>
inline float bin(float x, float y) {
  if constexpr (OP == ADD) return x + y;
  if constexpr (OP == SUB) return x - y;
  if constexpr (OP == MUL) return x * y;
  if constexpr (OP == DIV) return x / y;
  if constexpr (OP == MAX) return x > y ? x : (x != x ? x : y);
  if constexpr (OP == MIN) return x < y ? x : (x != x ? x : y);
  if constexpr (OP == SQDIFF) return (x - y) * (x - y);
  if constexpr (OP == POW) return __builtin_powf(x, y);
  return 0;
}

template <int OP>
void binInner(const float* __restrict a, int sa, const float* __restrict b, int sb,
              float* __restrict o, int64_t n) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], b[i]);
  } else if (sa) {
    const float y = b[0];
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(a[i], y);
  } else if (sb) {
    const float x = a[0];
    for (int64_t i = 0; i < n; i++) o[i] = bin<OP>(x, b[i]);
  } else {
    const float v = bin<OP>(a[0], b[0]);
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
}

template <int OP>
void binRun(const float* A, const float* B, float* O, int r, const int64_t* os, const int* fa,
            const int* fb) {
  // Contiguous strides of the (broadcast-flagged) operands.
  int64_t sa[kMaxRank], sb[kMaxRank];
  int64_t acc_a = 1, acc_b = 1;
  for (int d = r - 1; d >= 0; d--) {
    sa[d] = fa[d] ? acc_a : 0;
    sb[d] = fb[d] ? acc_b : 0;
    if (fa[d]) acc_a *= os[d];
    if (fb[d]) acc_b *= os[d];
  }
  const int64_t inner = os[r - 1];
  int64_t outer = 1;
  for (int d = 0; d < r - 1; d++) outer *= os[d];
  int64_t idx[kMaxRank] = {0};
  int64_t offA = 0, offB = 0;
  for (int64_t it = 0; it < outer; it++) {
    binInner<OP>(A + offA, fa[r - 1], B + offB, fb[r - 1], O + it * inner, inner);
    for (int d = r - 2; d >= 0; d--) {
      idx[d]++;
      offA += sa[d];
      offB += sb[d];
      if (idx[d] < os[d]) break;
      offA -= sa[d] * os[d];
      offB -= sb[d] * os[d];
      idx[d] = 0;
    }
  }
}

// binary(op, a, b, out): P = [rank, outShape[rank], aShape[rank], bShape[rank]] (same rank).
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  int op = i32(env, a.v[0]);
  const float* A = arr<float>(env, a.v[1]);
  const float* B = arr<float>(env, a.v[2]);
  float* O = arr<float>(env, a.v[3]);
  int rank = P[0];
  // Drop size-1 output dims, then merge neighbours with the same broadcast pattern.
  int64_t os[kMaxRank];
  int fa[kMaxRank], fb[kMaxRank];
  int r = 0;
  for (int d = 0; d < rank; d++) {
    int o = P[1 + d], x = P[1 + rank + d], y = P[1 + 2 * rank + d];
    if (o == 1) continue;
    int ffa = x != 1, ffb = y != 1;
    if (r > 0 && fa[r - 1] == ffa && fb[r - 1] == ffb) {
      os[r - 1] *= o;
    } else {
      os[r] = o;
      fa[r] = ffa;
      fb[r] = ffb;
      r++;
    }
  }
  if (r == 0) {
    os[0] = 1;
    fa[0] = fb[0] = 1;
    r = 1;
  }
  switch (op) {
    case ADD: binRun<ADD>(A, B, O, r, os, fa, fb); break;
    case SUB: binRun<SUB>(A, B, O, r, os, fa, fb); break;
    case MUL: binRun<MUL>(A, B, O, r, os, fa, fb); break;
    case DIV: binRun<DIV>(A, B, O, r, os, fa, fb); break;
    case MAX: binRun<MAX>(A, B, O, r, os, fa, fb); break;
    case MIN: binRun<MIN>(A, B, O, r, os, fa, fb); break;
    case SQDIFF: binRun<SQDIFF>(A, B, O, r, os, fa, fb); break;
    case POW: binRun<POW>(A, B, O, r, os, fa, fb); break;
  }
  return undef(env);
}

// ---------------------------------------------------------------------------------------------
enum UnOp { NEG, EXP, LOG, TANH, SQRT, RSQRT, SQUARE, RELU, SIGMOID, ABS, RECIP, ERF, STEP };

template <int OP>
void unRun(const float* __restrict x, float* __restrict o, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    if constexpr (OP == NEG) o[i] = -v;
    if constexpr (OP == EXP) o[i] = fast_exp(v);
    if constexpr (OP == LOG) o[i] = __builtin_logf(v);
    if constexpr (OP == TANH) o[i] = fast_tanh(v);
    if constexpr (OP == SQRT) o[i] = __builtin_sqrtf(v);
    if constexpr (OP == RSQRT) o[i] = 1.f / __builtin_sqrtf(v);
    if constexpr (OP == SQUARE) o[i] = v * v;
    if constexpr (OP == RELU) o[i] = v > 0 ? v : (v != v ? v : 0.f);
    if constexpr (OP == SIGMOID) o[i] = 1.f / (1.f + fast_exp(-v));
    if constexpr (OP == ABS) o[i] = v < 0 ? -v : v;
    if constexpr (OP == RECIP) o[i] = 1.f / v;
    if constexpr (OP == ERF) o[i] = fast_erf(v);
    if constexpr (OP == STEP) o[i] = v > 0 ? 1.f : (v != v ? v : alpha);
  }
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  int op = i32(env, a.v[0]);
  size_t n;
  const float* X = arr<float>(env, a.v[1], &n);
  float* O = arr<float>(env, a.v[2]);
  double alpha = 0;
  if (a.n > 3) napi_get_value_double(env, a.v[3], &alpha);
  float al = static_cast<float>(alpha);
  switch (op) {
    case NEG: unRun<NEG>(X, O, n, al); break;
    case EXP: unRun<EXP>(X, O, n, al); break;
    case LOG: unRun<LOG>(X, O, n, al); break;
    case TANH: unRun<TANH>(X, O, n, al); break;
    case SQRT: unRun<SQRT>(X, O, n, al); break;
    case RSQRT: unRun<RSQRT>(X, O, n, al); break;
    case SQUARE: unRun<SQUARE>(X, O, n, al); break;
    case RELU: unRun<RELU>(X, O, n, al); break;
    case SIGMOID: unRun<SIGMOID>(X, O, n, al); break;
    case ABS: unRun<ABS>(X, O, n, al); break;
    case RECIP: unRun<RECIP>(X, O, n, al); break;
    case ERF: unRun<ERF>(X, O, n, al); break;
    case STEP: unRun<STEP>(X, O, n, al); break;
  }
  return undef(env);
}

// ---------------------------------------------------------------------------------------------
enum RedOp { RSUM, RMAX, RMIN, RMEAN };

// reduce(op, x, out): P = [outer, red, inner]; x is [outer, red, inner], out [outer, inner].
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  int op = i32(env, a.v[0]);
  const float* X = arr<float>(env, a.v[1]);
  float* O = arr<float>(env, a.v[2]);
  int64_t outer = P[0], red = P[1], inner = P[2];
  for (int64_t o = 0; o < outer; o++) {
    const float* x = X + o * red * inner;
    float* y = O + o * inner;
    if (inner == 1) {
      if (op == RSUM || op == RMEAN) {
        // Eight partial sums: vectorises without -ffast-math and is more accurate.
        float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= red; i += 8)
          for (int k = 0; k < 8; k++) s[k] += x[i + k];
        float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; i < red; i++) t += x[i];
        y[0] = op == RMEAN ? t / red : t;
      } else {
        float m = x[0];
        for (int64_t i = 1; i < red; i++) {
          float v = x[i];
          m = op == RMAX ? (v > m || v != v ? v : m) : (v < m || v != v ? v : m);
        }
        y[0] = m;
      }
      continue;
    }
    std::memcpy(y, x, inner * sizeof(float));
    for (int64_t r = 1; r < red; r++) {
      const float* xr = x + r * inner;
      if (op == RSUM || op == RMEAN) {
        for (int64_t i = 0; i < inner; i++) y[i] += xr[i];
      } else if (op == RMAX) {
        for (int64_t i = 0; i < inner; i++) y[i] = xr[i] > y[i] || xr[i] != xr[i] ? xr[i] : y[i];
      } else {
        for (int64_t i = 0; i < inner; i++) y[i] = xr[i] < y[i] || xr[i] != xr[i] ? xr[i] : y[i];
      }
    }
    if (op == RMEAN)
      for (int64_t i = 0; i < inner; i++) y[i] /= red;
  }
  return undef(env);
}

// softmax(x, out): P = [rows, cols], over the last axis.
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  float* O = arr<float>(env, a.v[1]);
  int64_t rows = P[0], cols = P[1];
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    float* y = O + r * cols;
    float m = x[0];
    for (int64_t i = 1; i < cols; i++) m = x[i] > m ? x[i] : m;
    // Separate passes so each vectorises: exp, then a sum with eight partial accumulators.
    for (int64_t i = 0; i < cols; i++) y[i] = fast_exp(x[i] - m);
    float p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= cols; i += 8)
      for (int k = 0; k < 8; k++) p[k] += y[i + k];
    float s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    for (; i < cols; i++) s += y[i];
    const float inv = 1.f / s;
    for (int64_t i = 0; i < cols; i++) y[i] *= inv;
  }
  return undef(env);
}

// transpose(x, out): P = [rank, shape[rank], perm[rank]]
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  float* O = arr<float>(env, a.v[1]);
  int rank = P[0];
  int64_t shape[kMaxRank], inStride[kMaxRank], os[kMaxRank], st[kMaxRank];
  int64_t acc = 1;
  for (int d = rank - 1; d >= 0; d--) {
    shape[d] = P[1 + d];
    inStride[d] = acc;
    acc *= shape[d];
  }
  for (int d = 0; d < rank; d++) {
    int p = P[1 + rank + d];
    os[d] = shape[p];
    st[d] = inStride[p];
  }
  const int64_t inner = os[rank - 1], sIn = st[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= os[d];
  int64_t idx[kMaxRank] = {0};
  int64_t off = 0;
  float* o = O;
  for (int64_t it = 0; it < outer; it++) {
    const float* x = X + off;
    if (sIn == 1) {
      std::memcpy(o, x, inner * sizeof(float));
    } else {
      for (int64_t i = 0; i < inner; i++) o[i] = x[i * sIn];
    }
    o += inner;
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < os[d]) break;
      off -= st[d] * os[d];
      idx[d] = 0;
    }
  }
  return undef(env);
}

// gather(x, indices, out): P = [outer, axisSize, inner, nIdx]; out is [outer, nIdx, inner].
napi_value Gather(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  const int32_t* I = arr<int32_t>(env, a.v[1]);
  float* O = arr<float>(env, a.v[2]);
  int64_t outer = P[0], axis = P[1], inner = P[2], n = P[3];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < n; j++) {
      int64_t k = I[j];
      float* dst = O + (o * n + j) * inner;
      if (k < 0 || k >= axis) {
        std::memset(dst, 0, inner * sizeof(float));
      } else {
        std::memcpy(dst, X + (o * axis + k) * inner, inner * sizeof(float));
      }
    }
  return undef(env);
}

// segmentSum(x, ids, out): P = [rows, inner, numSegments]; out is zeroed here.
napi_value SegmentSum(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  const int32_t* I = arr<int32_t>(env, a.v[1]);
  float* O = arr<float>(env, a.v[2]);
  int64_t rows = P[0], inner = P[1], segs = P[2];
  std::memset(O, 0, segs * inner * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    int64_t s = I[r];
    if (s < 0 || s >= segs) continue;
    float* y = O + s * inner;
    const float* x = X + r * inner;
    for (int64_t i = 0; i < inner; i++) y[i] += x[i];
  }
  return undef(env);
}

// slice(x, out): P = [rank, shape[rank], begin[rank], size[rank]]
napi_value Slice(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  float* O = arr<float>(env, a.v[1]);
  int rank = P[0];
  int64_t st[kMaxRank], size[kMaxRank];
  int64_t acc = 1, off = 0;
  for (int d = rank - 1; d >= 0; d--) {
    st[d] = acc;
    acc *= P[1 + d];
  }
  for (int d = 0; d < rank; d++) {
    off += P[1 + rank + d] * st[d];
    size[d] = P[1 + 2 * rank + d];
  }
  const int64_t inner = size[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= size[d];
  int64_t idx[kMaxRank] = {0};
  float* o = O;
  for (int64_t it = 0; it < outer; it++) {
    std::memcpy(o, X + off, inner * sizeof(float));
    o += inner;
    for (int d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < size[d]) break;
      off -= st[d] * size[d];
      idx[d] = 0;
    }
  }
  return undef(env);
}

// concat(out, x0, x1, ...): P = [outer, n, inner_0 .. inner_{n-1}]; each input is
// [outer, inner_i] and the output [outer, Σ inner_i].
napi_value Concat(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  float* O = arr<float>(env, a.v[0]);
  int64_t outer = P[0];
  int n = P[1];
  int64_t row = 0;
  for (int k = 0; k < n; k++) row += P[2 + k];
  int64_t col = 0;
  for (int k = 0; k < n; k++) {
    const float* X = arr<float>(env, a.v[1 + k]);
    int64_t w = P[2 + k];
    for (int64_t o = 0; o < outer; o++) std::memcpy(O + o * row + col, X + o * w, w * sizeof(float));
    col += w;
  }
  return undef(env);
}

// select(cond u8, a, b, out): all the same size.
napi_value Select(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  size_t n;
  const uint8_t* C = arr<uint8_t>(env, a.v[0]);
  const float* A = arr<float>(env, a.v[1]);
  const float* B = arr<float>(env, a.v[2]);
  float* O = arr<float>(env, a.v[3], &n);
  for (size_t i = 0; i < n; i++) O[i] = C[i] ? A[i] : B[i];
  return undef(env);
}

// addN(out, x0, x1, ...)
napi_value AddN(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  size_t n;
  float* O = arr<float>(env, a.v[0], &n);
  const float* X0 = arr<float>(env, a.v[1]);
  std::memcpy(O, X0, n * sizeof(float));
  for (size_t k = 2; k < a.n; k++) {
    const float* X = arr<float>(env, a.v[k]);
    for (size_t i = 0; i < n; i++) O[i] += X[i];
  }
  return undef(env);
}

// ---------------------------------------------------------------------------------------------
// Fused ops. GELU: approximate = 0 (erf) or 1 (tanh).
constexpr float kSqrt2Inv = 0.70710678118654752f, kSqrt2PiInv = 0.39894228040143268f;
constexpr float kTanhC = 0.79788456080286536f, kTanhK = 0.044715f;

// The tanh of the GELU approximation, exactly ±1 past fast_tanh's limit. fast_tanh stops at
// ±0.99999976 there, and in the gradient that 1 − t² ≈ 5e-7 is multiplied by x·(1 + 3k·x²):
// an error growing as |x|³ (2e-4 at x = −30) where the derivative is 0 to float precision.
static inline float gelu_tanh(float x) {
  float u = kTanhC * (x + kTanhK * x * x * x);
  return u <= -kFastTanhLimit ? -1.f : (u >= kFastTanhLimit ? 1.f : fast_tanh(u));
}

// gelu(x, out, approximate)
napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  size_t n;
  const float* __restrict X = arr<float>(env, a.v[0], &n);
  float* __restrict O = arr<float>(env, a.v[1]);
  if (i32(env, a.v[2])) {
    for (size_t i = 0; i < n; i++) {
      float x = X[i];
      O[i] = 0.5f * x * (1.f + gelu_tanh(x));
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      float x = X[i];
      O[i] = 0.5f * x * (1.f + fast_erf(x * kSqrt2Inv));
    }
  }
  return undef(env);
}

// geluGrad(x, dy, dx, approximate)
napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  size_t n;
  const float* __restrict X = arr<float>(env, a.v[0], &n);
  const float* __restrict D = arr<float>(env, a.v[1]);
  float* __restrict O = arr<float>(env, a.v[2]);
  if (i32(env, a.v[3])) {
    for (size_t i = 0; i < n; i++) {
      float x = X[i];
      float t = gelu_tanh(x);
      float dt = (1.f - t * t) * kTanhC * (1.f + 3.f * kTanhK * x * x);
      O[i] = D[i] * (0.5f * (1.f + t) + 0.5f * x * dt);
    }
  } else {
    // Two passes: GCC does not vectorise exp and erf in one loop body.
    for (size_t i = 0; i < n; i++) O[i] = fast_exp(-0.5f * X[i] * X[i]);
    for (size_t i = 0; i < n; i++) {
      float x = X[i];
      float cdf = 0.5f * (1.f + fast_erf(x * kSqrt2Inv));
      O[i] = D[i] * (cdf + x * kSqrt2PiInv * O[i]);
    }
  }
  return undef(env);
}

// rmsNorm(x, scale|null, out, invRms): P = [rows, cols], eps as a double argument.
napi_value RmsNorm(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  napi_valuetype t;
  napi_typeof(env, a.v[1], &t);
  const float* S = t == napi_object ? arr<float>(env, a.v[1]) : nullptr;
  float* O = arr<float>(env, a.v[2]);
  float* R = arr<float>(env, a.v[3]);
  double eps;
  napi_get_value_double(env, a.v[4], &eps);
  int64_t rows = P[0], cols = P[1];
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    float* y = O + r * cols;
    float s = 0;
    for (int64_t i = 0; i < cols; i++) s += x[i] * x[i];
    float inv = 1.f / __builtin_sqrtf(s / cols + static_cast<float>(eps));
    R[r] = inv;
    if (S) {
      for (int64_t i = 0; i < cols; i++) y[i] = x[i] * inv * S[i];
    } else {
      for (int64_t i = 0; i < cols; i++) y[i] = x[i] * inv;
    }
  }
  return undef(env);
}

// rmsNormGrad(x, scale|null, invRms, dy, dx, dscale|null): P = [rows, cols]
napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  napi_valuetype t;
  napi_typeof(env, a.v[1], &t);
  const float* S = t == napi_object ? arr<float>(env, a.v[1]) : nullptr;
  const float* R = arr<float>(env, a.v[2]);
  const float* D = arr<float>(env, a.v[3]);
  float* DX = arr<float>(env, a.v[4]);
  napi_typeof(env, a.v[5], &t);
  float* DS = t == napi_object ? arr<float>(env, a.v[5]) : nullptr;
  int64_t rows = P[0], cols = P[1];
  if (DS) std::memset(DS, 0, cols * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    const float* d = D + r * cols;
    float* dx = DX + r * cols;
    const float inv = R[r];
    // y = x * inv * s; dx = inv * (g - x * inv^2 * mean(g * x)), g = dy * s.
    float dot = 0;
    for (int64_t i = 0; i < cols; i++) dot += (S ? d[i] * S[i] : d[i]) * x[i];
    const float c = inv * inv * inv * dot / cols;
    for (int64_t i = 0; i < cols; i++) dx[i] = (S ? d[i] * S[i] : d[i]) * inv - x[i] * c;
    if (DS)
      for (int64_t i = 0; i < cols; i++) DS[i] += d[i] * x[i] * inv;
  }
  return undef(env);
}

// layerNorm(x, scale|null, bias|null, out, mean, invStd, eps): P = [rows, cols].
// y = (x − μ) · inv · scale + bias with inv = 1/√(var + eps), over the last axis.
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  napi_valuetype t;
  napi_typeof(env, a.v[1], &t);
  const float* S = t == napi_object ? arr<float>(env, a.v[1]) : nullptr;
  napi_typeof(env, a.v[2], &t);
  const float* Bi = t == napi_object ? arr<float>(env, a.v[2]) : nullptr;
  float* O = arr<float>(env, a.v[3]);
  float* Mu = arr<float>(env, a.v[4]);
  float* R = arr<float>(env, a.v[5]);
  double eps;
  napi_get_value_double(env, a.v[6], &eps);
  const int64_t rows = P[0], cols = P[1];
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    float* y = O + r * cols;
    float s = 0;
    for (int64_t i = 0; i < cols; i++) s += x[i];
    const float mu = s / cols;
    float v = 0;
    for (int64_t i = 0; i < cols; i++) v += (x[i] - mu) * (x[i] - mu);
    const float inv = 1.f / __builtin_sqrtf(v / cols + static_cast<float>(eps));
    Mu[r] = mu;
    R[r] = inv;
    for (int64_t i = 0; i < cols; i++) {
      float h = (x[i] - mu) * inv;
      if (S) h *= S[i];
      y[i] = Bi ? h + Bi[i] : h;
    }
  }
  return undef(env);
}

// layerNormGrad(x, scale|null, mean, invStd, dy, dx, dscale|null, dbias|null): P = [rows, cols].
// With x̂ = (x − μ)·inv and g = dy·scale: dx = inv · (g − mean(g) − x̂ · mean(g·x̂)).
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* X = arr<float>(env, a.v[0]);
  napi_valuetype t;
  napi_typeof(env, a.v[1], &t);
  const float* S = t == napi_object ? arr<float>(env, a.v[1]) : nullptr;
  const float* Mu = arr<float>(env, a.v[2]);
  const float* R = arr<float>(env, a.v[3]);
  const float* D = arr<float>(env, a.v[4]);
  float* DX = arr<float>(env, a.v[5]);
  napi_typeof(env, a.v[6], &t);
  float* DS = t == napi_object ? arr<float>(env, a.v[6]) : nullptr;
  napi_typeof(env, a.v[7], &t);
  float* DB = t == napi_object ? arr<float>(env, a.v[7]) : nullptr;
  const int64_t rows = P[0], cols = P[1];
  if (DS) std::memset(DS, 0, cols * sizeof(float));
  if (DB) std::memset(DB, 0, cols * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float* x = X + r * cols;
    const float* d = D + r * cols;
    float* dx = DX + r * cols;
    const float mu = Mu[r], inv = R[r];
    float sg = 0, sgx = 0;
    for (int64_t i = 0; i < cols; i++) {
      const float g = S ? d[i] * S[i] : d[i];
      sg += g;
      sgx += g * (x[i] - mu) * inv;
    }
    const float mg = sg / cols, mgx = sgx / cols;
    for (int64_t i = 0; i < cols; i++) {
      const float xh = (x[i] - mu) * inv;
      const float g = S ? d[i] * S[i] : d[i];
      dx[i] = inv * (g - mg - xh * mgx);
      if (DS) DS[i] += d[i] * xh;
      if (DB) DB[i] += d[i];
    }
  }
  return undef(env);
}

// ---------------------------------------------------------------------------------------------
// Fused multi-head attention on packed heads: q, k, v, out are [B, T, H·Dh]; probs [B, H, T, T].
// Per (b, h) the head is a strided [T, Dh] block (leading dimension H·Dh), so no transposes.

// attention(q, k, v, out, probs): P = [B, T, H, Dh, causal]
napi_value Attention(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* Q = arr<float>(env, a.v[0]);
  const float* K = arr<float>(env, a.v[1]);
  const float* V = arr<float>(env, a.v[2]);
  float* O = arr<float>(env, a.v[3]);
  float* PR = arr<float>(env, a.v[4]);
  const int B = P[0], T = P[1], H = P[2], Dh = P[3], causal = P[4];
  const int ld = H * Dh;
  const float scale = 1.f / __builtin_sqrtf(static_cast<float>(Dh));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const int64_t off = int64_t(b) * T * ld + int64_t(h) * Dh;
      float* S = PR + (int64_t(b) * H + h) * T * T;
      cblas_sgemm(kRowMajor, kNoTrans, kTrans, T, T, Dh, scale, Q + off, ld, K + off, ld, 0.f, S,
                  T);
      for (int i = 0; i < T; i++) {
        float* row = S + int64_t(i) * T;
        const int n = causal ? i + 1 : T;
        float m = row[0];
        for (int j = 1; j < n; j++) m = row[j] > m ? row[j] : m;
        for (int j = 0; j < n; j++) row[j] = fast_exp(row[j] - m);
        float sum = 0;
        for (int j = 0; j < n; j++) sum += row[j];
        const float inv = 1.f / sum;
        for (int j = 0; j < n; j++) row[j] *= inv;
        for (int j = n; j < T; j++) row[j] = 0.f;
      }
      cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, T, Dh, T, 1.f, S, T, V + off, ld, 0.f, O + off,
                  ld);
    }
  return undef(env);
}

// attentionGrad(q, k, v, probs, dOut, dq, dk, dv): P = [B, T, H, Dh]
napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  Args a;
  args(env, info, a);
  const float* Q = arr<float>(env, a.v[0]);
  const float* K = arr<float>(env, a.v[1]);
  const float* V = arr<float>(env, a.v[2]);
  const float* PR = arr<float>(env, a.v[3]);
  const float* DO = arr<float>(env, a.v[4]);
  float* DQ = arr<float>(env, a.v[5]);
  float* DK = arr<float>(env, a.v[6]);
  float* DV = arr<float>(env, a.v[7]);
  const int B = P[0], T = P[1], H = P[2], Dh = P[3];
  const int ld = H * Dh;
  const float scale = 1.f / __builtin_sqrtf(static_cast<float>(Dh));
  static thread_local std::vector<float> dP;
  dP.resize(size_t(T) * T);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const int64_t off = int64_t(b) * T * ld + int64_t(h) * Dh;
      const float* S = PR + (int64_t(b) * H + h) * T * T;
      // dV = Pᵀ·dO ; dP = dO·Vᵀ
      cblas_sgemm(kRowMajor, kTrans, kNoTrans, T, Dh, T, 1.f, S, T, DO + off, ld, 0.f, DV + off,
                  ld);
      cblas_sgemm(kRowMajor, kNoTrans, kTrans, T, T, Dh, 1.f, DO + off, ld, V + off, ld, 0.f,
                  dP.data(), T);
      // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale (masked entries have P = 0).
      for (int i = 0; i < T; i++) {
        const float* p = S + int64_t(i) * T;
        float* d = dP.data() + int64_t(i) * T;
        float dot = 0;
        for (int j = 0; j < T; j++) dot += d[j] * p[j];
        for (int j = 0; j < T; j++) d[j] = p[j] * (d[j] - dot) * scale;
      }
      // dQ = dS·K ; dK = dSᵀ·Q
      cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, T, Dh, T, 1.f, dP.data(), T, K + off, ld, 0.f,
                  DQ + off, ld);
      cblas_sgemm(kRowMajor, kTrans, kNoTrans, T, Dh, T, 1.f, dP.data(), T, Q + off, ld, 0.f,
                  DK + off, ld);
    }
  return undef(env);
}

napi_value ModuleInit(napi_env env, napi_value exports) {
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"init", Init},         {"gemm", Gemm},       {"binary", Binary},
             {"unary", Unary},       {"reduce", Reduce},   {"softmax", Softmax},
             {"transpose", Transpose}, {"gather", Gather}, {"segmentSum", SegmentSum},
             {"slice", Slice},       {"select", Select},   {"addN", AddN},
             {"gelu", Gelu},         {"geluGrad", GeluGrad}, {"rmsNorm", RmsNorm},
             {"rmsNormGrad", RmsNormGrad}, {"setThreads", SetThreads}, {"concat", Concat},
             {"attention", Attention}, {"attentionGrad", AttentionGrad},
             {"layerNorm", LayerNorm}, {"layerNormGrad", LayerNormGrad}};
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  trm::registerTrainKernels(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)

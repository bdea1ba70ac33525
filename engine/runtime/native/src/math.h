// Branch-free float math that GCC vectorises at -O3 (no -ffast-math needed, so inf and NaN keep
// their IEEE meaning elsewhere). Accuracy: a few ulp, well inside the 1e-5 parity tolerance.
#pragma once
#include <cstdint>
#include <cstring>

static inline float bits_to_float(int32_t i) { return __builtin_bit_cast(float, i); }

/** e^x, Cephes-style: clamp, split x = n ln2 + r (|r| ≤ ln2/2), degree-6 polynomial, scale by 2^n. */
static inline float fast_exp(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.7f ? 88.7f : x;
  // Round to nearest by adding and removing 1.5·2^23 (floorf would block vectorisation).
  float n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = (static_cast<int32_t>(n) + 127) << 23;
  return p * bits_to_float(e);
}

/** Where fast_tanh stops: past ±c it returns ±0.99999976, not ±1. */
constexpr float kFastTanhLimit = 7.99881172180175781f;

/** tanh as a 13/6 rational polynomial (Eigen's float kernel), exact to a few ulp. */
static inline float fast_tanh(float x) {
  const float c = kFastTanhLimit;
  float ax = x < -c ? -c : (x > c ? c : x);
  float x2 = ax * ax;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * ax;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  float t = p / q;
  float a = x < 0 ? -x : x;
  return a < 0.0004f ? x : t;
}

/** erf as a 13/8 rational polynomial (Eigen's float kernel). */
static inline float fast_erf(float x) {
  float ax = x < -4.f ? -4.f : (x > 4.f ? 4.f : x);
  float x2 = ax * ax;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * ax;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

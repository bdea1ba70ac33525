// Shared N-API plumbing of the native kernels (kernels.cc, train.cc): argument unpacking and
// the shared parameter block `P` through which shapes and sizes travel.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace trm {

// The shared parameter block, one per JS thread: the main thread and a training worker may
// both load the addon, each with its own block (registered by `init`).
inline thread_local int32_t* P = nullptr;
inline thread_local napi_ref P_ref = nullptr;

struct Args {
  napi_value v[12];
  size_t n = 12;
};

inline bool args(napi_env env, napi_callback_info info, Args& a) {
  return napi_get_cb_info(env, info, &a.n, a.v, nullptr, nullptr) == napi_ok;
}

template <typename T>
T* arr(napi_env env, napi_value v, size_t* len = nullptr) {
  napi_typedarray_type type;
  size_t n = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off);
  if (len) *len = n;
  return static_cast<T*>(data);
}

/** Element `i` of a JS array of typed arrays. */
template <typename T>
T* arrAt(napi_env env, napi_value list, uint32_t i, size_t* len = nullptr) {
  napi_value v;
  napi_get_element(env, list, i, &v);
  return arr<T>(env, v, len);
}

inline int32_t i32(napi_env env, napi_value v) {
  int32_t r = 0;
  napi_get_value_int32(env, v, &r);
  return r;
}

inline napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/** The training kernels of train.cc, added to the module's exports. */
void registerTrainKernels(napi_env env, napi_value exports);

}  // namespace trm

/* interop/tensor: ONNX TensorProto <-> float arrays, and reading model and
 * tensor files through the protoc-c generated code. */
#include <stdlib.h>
#include <string.h>

#include "interop_internal.h"

static int dims_count(const Onnx__TensorProto *t, const char *file, const char *nm, size_t *n, pp_err *e) {
  size_t k = 1;
  if (t->n_dims > 8) return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': rank %zu (at most 8)", nm, t->n_dims);
  for (size_t d = 0; d < t->n_dims; d++) {
    if (t->dims[d] < 0 || t->dims[d] > ((int64_t)1 << 31))
      return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': dimension %zu is %lld", nm, d, (long long)t->dims[d]);
    k *= (size_t)t->dims[d];
    if (k > ((size_t)1 << 31)) return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s' is too large", nm);
  }
  *n = k;
  return PP_OK;
}

int io_tensor_to_const(const Onnx__TensorProto *t, const char *file, io_const *c, pp_err *e) {
  memset(c, 0, sizeof *c);
  const char *nm = t->name ? t->name : "";
  c->name = nm;
  size_t n = 0;
  int st = dims_count(t, file, nm, &n, e);
  if (st) return st;
  c->ndims = (int)t->n_dims;
  for (size_t d = 0; d < t->n_dims; d++) c->dims[d] = t->dims[d];
  c->n = n;
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return pp_err_set(e, PP_EINVAL, file, 0, "tensor '%s': external data files are not supported", nm);
  int dt = t->has_data_type ? t->data_type : 0;
  int raw = t->has_raw_data && t->raw_data.len > 0;
  if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    c->f = malloc(sizeof(float) * (n ? n : 1));
    if (!c->f) return pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    if (raw) {
      if (t->raw_data.len != 4 * n)
        return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': %zu raw bytes for %zu floats", nm, t->raw_data.len, n);
      for (size_t k = 0; k < n; k++) { /* little-endian on the wire */
        const uint8_t *p = t->raw_data.data + 4 * k;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&c->f[k], &u, 4);
      }
    } else {
      if (t->n_float_data != n)
        return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': %zu values for %zu elements", nm, t->n_float_data, n);
      if (n) memcpy(c->f, t->float_data, sizeof(float) * n);
    }
    return PP_OK;
  }
  if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    c->i = malloc(sizeof(int64_t) * (n ? n : 1));
    if (!c->i) return pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    if (raw) {
      if (t->raw_data.len != 8 * n)
        return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': %zu raw bytes for %zu int64", nm, t->raw_data.len, n);
      for (size_t k = 0; k < n; k++) {
        uint64_t u = 0;
        for (int b = 7; b >= 0; b--) u = u << 8 | t->raw_data.data[8 * k + (size_t)b];
        c->i[k] = (int64_t)u;
      }
    } else {
      if (t->n_int64_data != n)
        return pp_err_set(e, PP_EPARSE, file, 0, "tensor '%s': %zu values for %zu elements", nm, t->n_int64_data, n);
      if (n) memcpy(c->i, t->int64_data, sizeof(int64_t) * n);
    }
    return PP_OK;
  }
  return pp_err_set(e, PP_EINVAL, file, 0, "tensor '%s': element type %d is not supported (float32 and int64 only)",
                    nm, dt);
}

void io_const_free(io_const *c) {
  free(c->f);
  free(c->i);
  c->f = NULL, c->i = NULL;
}

int io_read_model(const char *path, Onnx__ModelProto **out, pp_err *e) {
  *out = NULL;
  char *raw;
  size_t len;
  int st = pp_read_file(path, &raw, &len, e);
  if (st) return st;
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, (const uint8_t *)raw);
  free(raw);
  if (!mp) return pp_err_set(e, PP_EPARSE, path, 0, "not an ONNX model (the protobuf ModelProto does not parse)");
  if (!mp->graph) {
    onnx__model_proto__free_unpacked(mp, NULL);
    return pp_err_set(e, PP_EPARSE, path, 0, "ONNX model without a graph");
  }
  *out = mp;
  return PP_OK;
}

int pp_interop_tensor_read(const char *path, pp_interop_tensor *t, pp_err *e) {
  memset(t, 0, sizeof *t);
  char *raw;
  size_t len;
  int st = pp_read_file(path, &raw, &len, e);
  if (st) return st;
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, (const uint8_t *)raw);
  free(raw);
  if (!tp) return pp_err_set(e, PP_EPARSE, path, 0, "not a serialized ONNX TensorProto");
  io_const c;
  st = io_tensor_to_const(tp, path, &c, e);
  if (!st) {
    snprintf(t->name, sizeof t->name, "%s", tp->name ? tp->name : "");
    t->ndims = c.ndims;
    memcpy(t->dims, c.dims, sizeof t->dims);
    t->n = c.n;
    t->data = c.f;
    t->i64 = c.i;
    c.f = NULL, c.i = NULL;
  }
  io_const_free(&c);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}

void pp_interop_tensor_free(pp_interop_tensor *t) {
  free(t->data);
  free(t->i64);
  t->data = NULL, t->i64 = NULL;
}

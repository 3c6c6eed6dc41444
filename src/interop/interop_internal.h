/* interop internals: the generated ONNX protobuf types and the helpers the
 * importer and exporter share. Not a public API. */
#ifndef PP_INTEROP_INTERNAL_H
#define PP_INTEROP_INTERNAL_H

#include "onnx.pb-c.h"
#include "pp/interop.h"

/* Opsets the importer accepts (default domain). */
#define IO_OPSET_MIN 9
#define IO_OPSET_MAX 17
/* The opset the exporter writes (per-axis DequantizeLinear needs 13). */
#define IO_OPSET_EXPORT 13

/* A constant: float data, or int64 data (shapes, axes). */
typedef struct io_const {
  const char *name;
  int ndims;
  int64_t dims[8];
  size_t n;
  float *f;   /* when float */
  int64_t *i; /* when int64 */
} io_const;

/* Converts a TensorProto (float32 or int64, inline or raw data). what names
 * the tensor in errors. */
int io_tensor_to_const(const Onnx__TensorProto *t, const char *file, io_const *c, pp_err *e);
void io_const_free(io_const *c);
/* Reads and unpacks an ONNX file (PP_EPARSE if it is not one). */
int io_read_model(const char *path, Onnx__ModelProto **out, pp_err *e);

#endif

/* interop: ONNX models in and out of powerprune.
 *
 * Import maps an ONNX graph (opsets 9..17; float32 initializers) onto nn's
 * layer list (pp_nn_model_graph): Conv (groups, depthwise, strides,
 * symmetric pads), Gemm, MatMul (+ a bias Add), Add (residual), Relu,
 * Clip (ReLU6), MaxPool, AveragePool, GlobalAveragePool,
 * BatchNormalization, Flatten, Reshape (of a flatten), Softmax, Identity,
 * Dropout; Constant nodes as constants. After every Relu/ReLU6 an activation
 * quantizer is inserted (for the int8 path). Node names become layer names.
 * Anything outside that set is one PP_EINVAL error naming the node, its op
 * type and the supported set.
 *
 * Export writes a model as ONNX (opset 13): the float network as plain ONNX,
 * or (int8) the integer network as QDQ: QuantizeLinear/DequantizeLinear
 * around every activation, weights and biases as integer initializers
 * (int8 levels after restriction, int32 biases) behind DequantizeLinear.
 *
 * The protobuf code is generated at build time by protoc-c from Debian's
 * onnx.proto; nothing of it shows in this header. */
#ifndef PP_INTEROP_H
#define PP_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "pp/nn.h"
#include "pp/util.h"

/* A tensor read from a serialized ONNX TensorProto (.pb). */
typedef struct pp_interop_tensor {
  char name[128];
  int ndims;
  int64_t dims[8];
  size_t n;     /* element count */
  float *data;  /* n floats (float32 tensors), else NULL */
  int64_t *i64; /* n values (int64 tensors: shapes), else NULL */
} pp_interop_tensor;
/* Reads one TensorProto file (float32 or int64). */
int pp_interop_tensor_read(const char *path, pp_interop_tensor *t, pp_err *e);
void pp_interop_tensor_free(pp_interop_tensor *t);

/* What the importer saw, for callers that run the graph on their own data. */
typedef struct pp_interop_info {
  int opset;
  char input_name[128], output_name[128];
  int in_rank, out_rank; /* ranks of the graph's data input and output (batch included) */
  int nnodes;
  char producer[64];
} pp_interop_info;

/* Imports path into a new "graph" model. bind (nbind, may be 0) gives
 * values for the graph inputs after the first data input, by position (the
 * ONNX node tests pass weights as inputs). info may be NULL. */
int pp_interop_import(const char *path, const pp_interop_tensor *bind, int nbind, pp_nn_model **out,
                      pp_interop_info *info, pp_err *e);

enum { PP_INTEROP_FLOAT = 0, PP_INTEROP_QDQ = 1 };
/* Exports m to path (written through pp_outfile). PP_INTEROP_QDQ needs
 * calibrated activation ranges (pp_nn_calibrated). */
int pp_interop_export(const pp_nn_model *m, int mode, const char *path, pp_err *e);

/* Images the loader calibrates an imported model's quantizers on. */
#define PP_INTEROP_CALIB_IMAGES 1000

/* The one model loader every command uses: a powerprune .ppnn file, or an
 * ONNX file (name ending in .onnx, or any file that is not a .ppnn), which
 * is imported. When data is not NULL, the model input must match its image
 * shape (an imported model exactly: its size comes from the graph), and a
 * model whose activation quantizers have no range yet is calibrated on its
 * first PP_INTEROP_CALIB_IMAGES images (pass training data). */
int pp_interop_model_load(const char *path, const pp_nn_data *data, pp_nn_model **out, pp_err *e);

#endif

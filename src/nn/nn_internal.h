/* nn internals shared by the module's sources and its tests: the layer
 * kernels (forward and backward side by side, fast and naive reference),
 * the quantization helpers and the per-model work space. Not a public API. */
#ifndef PP_NN_INTERNAL_H
#define PP_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pp/nn.h"

/* ---- layer kernels (layout C x B x H x W) -------------------------------- */
typedef struct nn_conv_shape {
  int B, C, H, W;   /* input */
  int M, Ho, Wo;    /* output channels and size */
  int k, stride, pad, groups;
} nn_conv_shape;
void nn_conv_out_size(int H, int W, int k, int stride, int pad, int *Ho, int *Wo);
/* col: (C/groups*k*k) x (nb*Ho*Wo) for group g and images [b0, b0+nb). */
void nn_im2col(const nn_conv_shape *s, const float *x, int g, int b0, int nb, float *col);
void nn_col2im_add(const nn_conv_shape *s, const float *col, int g, int b0, int nb, float *dx);
/* Naive element-by-element references of both (tests). */
void nn_im2col_ref(const nn_conv_shape *s, const float *x, int g, int b0, int nb, float *col);
void nn_col2im_add_ref(const nn_conv_shape *s, const float *col, int g, int b0, int nb, float *dx);
/* Floats of scratch the conv kernels need with nt threads. */
size_t nn_conv_scratch(const nn_conv_shape *s, int nt);
/* Threads a batch kernel uses: OpenMP's current count, at most nt (when > 0)
 * and at most one per image. */
int nn_threads_for(int B, int nt);
/* Keeps OpenBLAS on the calling thread (nn parallelizes with OpenMP itself). */
void nn_blas_serial(void);
/* Deterministic, vectorizable double-precision sum. */
double nn_sum(const float *x, size_t n);
/* y = conv(x, w) + b (b may be NULL), the batch split over up to nt threads.
 * Results are bit-identical for a given thread count. */
void nn_conv_forward(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                     float *y, float *scratch, int nt);
/* dx (may be NULL) += conv^T(dy) (dx_acc) or = (!dx_acc); dw += ...;
 * db += ... (db may be NULL). */
void nn_conv_backward(const nn_conv_shape *s, const float *x, const float *w, const float *dy,
                      float *dx, float *dw, float *db, float *scratch, int nt, int dx_acc);
/* Naive direct convolution, forward and backward (references for tests). */
void nn_conv_forward_ref(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y);
void nn_conv_backward_ref(const nn_conv_shape *s, const float *x, const float *w, const float *dy,
                          float *dx, float *dw, float *db);

/* Fully connected: x is F features per image stored C x B x (H*W) with F = C*H*W. */
void nn_fc_forward(int B, int C, int HW, int O, const float *x, const float *w, const float *b,
                   float *y, float *xt);
void nn_fc_backward(int B, int C, int HW, int O, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, float *xt, float *dxt);

/* Batch norm over channels; train: batch statistics (saved in mean/invstd),
 * running stats updated with momentum. */
void nn_bn_forward_train(int C, int n, const float *x, const float *g, const float *beta, float *y,
                         float *mean, float *invstd, float *run_mean, float *run_var, float momentum,
                         float eps);
void nn_bn_forward_eval(int C, int n, const float *x, const float *g, const float *beta, float *y,
                        const float *run_mean, const float *run_var, float eps);
/* dx += (acc) or = (!acc) the input gradient; dg, dbeta accumulate. */
void nn_bn_backward(int C, int n, const float *x, const float *g, const float *mean,
                    const float *invstd, const float *dy, float *dx, float *dg, float *dbeta, int acc);

void nn_relu_forward(size_t n, const float *x, float *y, float cap); /* cap 0: plain ReLU */
/* dx += (acc) or = (!acc) dy where the unit passes. */
void nn_relu_backward(size_t n, const float *x, const float *dy, float *dx, float cap, int acc);
void nn_relu_forward_ref(size_t n, const float *x, float *y, float cap);
void nn_relu_backward_ref(size_t n, const float *x, const float *dy, float *dx, float cap);

/* Pooling over planes (planes = C*B) of H x W; k x k windows, stride s, no padding. */
void nn_maxpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y,
                        int32_t *arg);
void nn_maxpool_backward(int planes, int H, int W, int k, int s, const float *dy,
                         const int32_t *arg, float *dx);
void nn_avgpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y);
void nn_avgpool_backward(int planes, int H, int W, int k, int s, const float *dy, float *dx);

/* Residual add: y = a + shortcut(b); b is C2 x B x H2 x W2 with H2 = H*st;
 * channels of b are placed at offset (C-C2)/2, the rest are zero. */
void nn_add_forward(int C, int B, int H, int W, const float *a, int C2, int H2, int W2,
                    const float *b, float *y);
/* da += (da_acc) or = dy; db (shortcut) always accumulates. */
void nn_add_backward(int C, int B, int H, int W, const float *dy, int C2, int H2, int W2,
                     float *da, float *db, int da_acc);

/* Softmax of tensors C x B x HW: whole = 0 normalizes over the C channels at
 * each position, whole = 1 over all C*HW values of an image. Backward:
 * dx += (acc) or = (!acc) y * (dy - sum(dy * y)) over the same groups. */
void nn_softmax_forward(int whole, int C, int B, int HW, const float *x, float *y);
void nn_softmax_backward(int whole, int C, int B, int HW, const float *y, const float *dy, float *dx, int acc);

/* Mean softmax cross-entropy over B images of logits K x B; dlogits may be NULL.
 * Returns the loss; correct (may be NULL) counts argmax hits. */
double nn_softmax_xent(int K, int B, const float *logits, const uint8_t *labels, float *dlogits,
                       int *correct);

/* ---- quantization helpers ------------------------------------------------- */
/* Fake-quantize a conv/fc weight tensor of M rows x K: levels (may be NULL),
 * per-row scales; wq = level*scale. */
void nn_quant_weights(const float *w, int M, int K, int per_channel, const uint8_t *w_allowed,
                      float *wq, int8_t *levels, float *scale);
/* The quantization scale of tensor t (0 when it is not a uint8 tensor). */
float nn_tensor_scale(const pp_nn_model *m, int t);
/* Fills w_eff (nw) and b_eff (out channels) of conv/fc layer li as the
 * quantized forward uses them: BN folded with its running statistics (when
 * the layer has one), weights fake-quantized (levels/scales returned when not
 * NULL), bias rounded to the accumulator grid (scale * input scale). fold (M)
 * receives the BN factor gamma/sigma (1 without BN). */
void nn_effective_weights(const pp_nn_model *m, int li, float *w_eff, float *b_eff, int8_t *levels,
                          float *scale, float *fold);
/* Activation quantizer forward: y = snap(clamp(round(x/s)))*s. */
void nn_actq_forward(size_t n, const float *x, float *y, float range, const uint8_t *a_allowed);

/* Allowed-set snap tables. */
void nn_snap_table_w(const uint8_t w_allowed[255], int8_t table[255]);
void nn_snap_table_a(const uint8_t a_allowed[256], uint8_t table[256]);

/* Integer GEMM: acc (M x N) = w (M x K) * x (K x N). */
void nn_qgemm(int M, int K, int N, const int8_t *w, const uint8_t *x, int32_t *acc);
void nn_qgemm_ref(int M, int K, int N, const int8_t *w, const uint8_t *x, int32_t *acc);

/* Layer-graph helpers. */
int nn_count_layers_of(const pp_nn_model *m, int type);
int nn_model_build(pp_nn_model *m, pp_err *e); /* allocate params for m->arch; shapes */
void nn_model_init_params(pp_nn_model *m, uint64_t seed);

#define NN_BN_EPS PP_NN_BN_EPS
#define NN_BN_MOMENTUM 0.1f
#define NN_ACT_EMA 0.9f
/* below this many elements a loop runs on one thread: a barrier costs more */
#define NN_PAR_MIN 32768

#endif

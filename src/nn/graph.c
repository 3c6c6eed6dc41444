/* nn/graph: models whose layer list comes from outside nn (ONNX import),
 * float inference on caller-given float inputs, and calibration of the
 * activation quantizers of a model that was never trained here. */
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "nn_work.h"

int pp_nn_model_graph(int in_c, int in_h, int in_w, const pp_nn_layer *layers, int n, uint64_t seed,
                      pp_nn_model **out, pp_err *e) {
  *out = NULL;
  if (in_c <= 0 || in_h <= 0 || in_w <= 0 || n < 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "bad model input %dx%dx%d", in_c, in_h, in_w);
  pp_nn_model *m = calloc(1, sizeof *m);
  if (!m) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  snprintf(m->arch, sizeof m->arch, "graph");
  m->in_c = in_c, m->in_h = in_h, m->in_w = in_w, m->seed = seed;
  m->layers = malloc(sizeof *m->layers * (size_t)(n ? n : 1));
  if (!m->layers) {
    free(m);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  if (n) memcpy(m->layers, layers, sizeof *layers * (size_t)n);
  m->nlayers = n;
  int st = nn_model_build(m, e);
  if (st) {
    pp_nn_model_free(m);
    return st;
  }
  nn_model_init_params(m, seed);
  *out = m;
  return PP_OK;
}

#define NN_INFER_BATCH 64

int pp_nn_infer(pp_nn_model *m, const float *x, int B, float *out, pp_err *e) {
  if (B <= 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "no inputs");
  int C = m->in_c, HW = m->in_h * m->in_w, nl = m->nlayers;
  int oc = nl ? m->layers[nl - 1].c : C, ohw = nl ? m->layers[nl - 1].h * m->layers[nl - 1].w : HW;
  int chunk = B < NN_INFER_BATCH ? B : NN_INFER_BATCH;
  int st = nn_work_ensure(m, chunk, 0, e);
  if (st) return st;
  nn_work *W = m->priv;
  for (int b0 = 0; b0 < B; b0 += chunk) {
    int nb = B - b0 < chunk ? B - b0 : chunk;
    /* NCHW -> C x B x HW */
    for (int b = 0; b < nb; b++)
      for (int c = 0; c < C; c++)
        memcpy(W->act[0] + ((size_t)c * nb + b) * HW, x + ((size_t)(b0 + b) * C + c) * HW, sizeof(float) * (size_t)HW);
    nn_forward(m, nb, NN_FWD_EVAL);
    const float *y = W->act[nl];
    for (int b = 0; b < nb; b++)
      for (int c = 0; c < oc; c++)
        memcpy(out + ((size_t)(b0 + b) * oc + c) * ohw, y + ((size_t)c * nb + b) * ohw, sizeof(float) * (size_t)ohw);
  }
  return PP_OK;
}

int pp_nn_calibrated(const pp_nn_model *m) {
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_ACTQ && !(m->bufs[m->layers[i].range_off] > 0)) return 0;
  return 1;
}

int pp_nn_calibrate(pp_nn_model *m, const pp_nn_data *d, int count, pp_err *e) {
  if (count <= 0 || count > d->n) count = d->n;
  if (count <= 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "calibration: data set %s is empty", d->name);
  if (d->c != m->in_c || d->h > m->in_h || d->w > m->in_w)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "data %s (%dx%dx%d) does not fit the model input %dx%dx%d", d->name,
                      d->c, d->h, d->w, m->in_c, m->in_h, m->in_w);
  int B = count < NN_INFER_BATCH ? count : NN_INFER_BATCH;
  int st = nn_work_ensure(m, B, 0, e);
  if (st) return st;
  uint32_t *idx = malloc(sizeof(uint32_t) * (size_t)B);
  if (!idx) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_ACTQ) m->bufs[m->layers[i].range_off] = 0;
  int qat = m->q.qat;
  m->q.qat = 0; /* the float ranges, as training starts from */
  for (int b0 = 0; b0 < count; b0 += B) {
    int nb = count - b0 < B ? count - b0 : B;
    for (int k = 0; k < nb; k++) idx[k] = (uint32_t)(b0 + k);
    nn_fill_batch(m, d, idx, nb, 0, NULL);
    nn_forward(m, nb, NN_FWD_CALIB);
  }
  m->q.qat = qat;
  free(idx);
  /* a quantizer whose input is never positive still needs a scale */
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_ACTQ && !(m->bufs[m->layers[i].range_off] > 0))
      m->bufs[m->layers[i].range_off] = 1.0f;
  return PP_OK;
}

float pp_nn_tensor_scale(const pp_nn_model *m, int t) { return nn_tensor_scale(m, t); }

/* pann/qat: PANN during training. Straight-through estimator built on module
 * nn's trainer: the float weights are kept aside as shadow weights; each step
 * the model's conv/fc weights are replaced by their PANN quantization g*q
 * (mean |q| = R per layer), one optimizer step runs at those weights, and the
 * change it made is applied to the shadow weights (the STE: the gradient at
 * the quantized point updates the float weights). At the end the model holds
 * the float shadow weights, which quantize well at R and can be re-quantized
 * at any other budget without retraining. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

void pp_pann_qat_defaults(pp_pann_qat_opts *o) {
  memset(o, 0, sizeof *o);
  o->R = 2;
  o->steps = 2000;
  o->batch = 64;
  o->lr = 2e-4;
  o->rescale_every = 25;
  o->seed = 1;
}

int pp_pann_qat(pp_nn_model *m, const pp_nn_data *d, const pp_pann_qat_opts *o, pp_err *e) {
  if (!(o->R > 0) || o->steps < 1 || o->batch < 2 || !(o->lr > 0) || d->n < o->batch)
    return pp_err_set(e, PP_EINVAL, "", 0,
                      "PANN QAT needs R > 0, steps >= 1, batch >= 2 (and no larger than the %d images), lr > 0", d->n);
  int nq = 0;
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_CONV || m->layers[i].type == PP_NN_L_FC) nq++;
  if (!nq) return pp_err_set(e, PP_EINVAL, "", 0, "PANN QAT: the model has no conv/fc layer");
  float *shadow = malloc(sizeof(float) * m->nparams);
  float *before = malloc(sizeof(float) * m->nparams); /* the quantized point a step starts from */
  double *g = calloc((size_t)m->nlayers, sizeof(double));
  size_t img = (size_t)d->c * d->h * d->w;
  pp_nn_data batch = *d;
  batch.x = malloc(img * (size_t)o->batch);
  batch.y = malloc((size_t)o->batch);
  batch.n = o->batch;
  if (!shadow || !before || !g || !batch.x || !batch.y) {
    free(shadow);
    free(before);
    free(g);
    free(batch.x);
    free(batch.y);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  memcpy(shadow, m->params, sizeof(float) * m->nparams);
  pp_rng r;
  pp_rng_seed(&r, o->seed);
  pp_nn_train_opts to;
  pp_nn_train_defaults(&to);
  to.epochs = 1;
  to.batch = o->batch;
  to.max_steps = 1;
  to.lr = o->lr;
  int st = PP_OK;
  for (long s = 0; s < o->steps && !st; s++) {
    for (int b = 0; b < o->batch; b++) {
      uint32_t k = pp_rng_below(&r, (uint32_t)d->n);
      memcpy(batch.x + (size_t)b * img, d->x + (size_t)k * img, img);
      batch.y[b] = d->y[k];
    }
    /* quantize: params <- g*round(shadow/g); the scale follows the
     * moving weights every rescale_every steps */
    for (int i = 0; i < m->nlayers && !st; i++) {
      const pp_nn_layer *L = &m->layers[i];
      if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
      const float *w = shadow + L->w_off;
      if (s % o->rescale_every == 0 || g[i] <= 0) st = pp_pann_weight_scale(w, L->nw, o->R, &g[i], NULL, NULL, e);
      for (size_t k = 0; k < L->nw; k++) m->params[L->w_off + k] = (float)(g[i] * nearbyint(w[k] / g[i]));
    }
    if (st) break;
    memcpy(before, m->params, sizeof(float) * m->nparams);
    to.seed = o->seed * 1000003u + (uint64_t)s;
    st = pp_nn_train(m, &batch, &to, NULL, NULL, e);
    /* STE: the step's change goes to the shadow weights; every other
     * parameter (biases, BN) is trained directly */
    for (size_t k = 0; k < m->nparams && !st; k++) shadow[k] += m->params[k] - before[k];
  }
  if (!st) memcpy(m->params, shadow, sizeof(float) * m->nparams);
  free(shadow);
  free(before);
  free(g);
  free(batch.x);
  free(batch.y);
  return st;
}

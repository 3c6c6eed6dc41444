/* nn/train: the training loop, read top to bottom (shuffle, batch, forward,
 * loss, backward, update, re-apply pruning masks), the optimizers and the
 * learning-rate schedules, and float / fake-quantized evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "nn_work.h"

void pp_nn_train_defaults(pp_nn_train_opts *o) {
  memset(o, 0, sizeof *o);
  o->epochs = 5;
  o->batch = 64;
  o->optimizer = PP_NN_OPT_ADAM;
  o->lr = 1e-3;
  o->momentum = 0.9;
  o->weight_decay = 0;
  o->beta1 = 0.9;
  o->beta2 = 0.999;
  o->adam_eps = 1e-8;
  o->schedule = PP_NN_SCHED_CONST;
  o->step_gamma = 0.1;
  o->step_every = 30;
  o->seed = 1;
}

static double lr_at(const pp_nn_train_opts *o, int epoch, long step, long total) {
  switch (o->schedule) {
    // NOLINTNEXTLINE(bugprone-integer-division): the rate drops once per whole step_every epochs
    case PP_NN_SCHED_STEP: return o->lr * pow(o->step_gamma, epoch / (o->step_every > 0 ? o->step_every : 1));
    case PP_NN_SCHED_COSINE: return o->lr * 0.5 * (1.0 + cos(M_PI * (double)step / (double)total));
    default: return o->lr;
  }
}

/* One optimizer step over every parameter; pruned weights stay at zero. */
static void update(pp_nn_model *m, const pp_nn_train_opts *o, double lr) {
  nn_work *W = m->priv;
  float *p = m->params, *g = W->grads, *mo = W->opt_m, *v = W->opt_v;
  const uint8_t *mask = m->mask;
  size_t n = m->nparams;
  float wd = (float)o->weight_decay, flr = (float)lr;
  W->step++;
  if (o->optimizer == PP_NN_OPT_SGD) {
    float mu = (float)o->momentum;
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
      if (!mask[i]) continue;
      float gi = g[i] + wd * p[i];
      mo[i] = mu * mo[i] + gi;
      p[i] -= flr * mo[i];
    }
  } else {
    float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->adam_eps;
    float c1 = (float)(1.0 - pow(o->beta1, (double)W->step)), c2 = (float)(1.0 - pow(o->beta2, (double)W->step));
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
      if (!mask[i]) continue;
      float gi = g[i] + wd * p[i];
      mo[i] = b1 * mo[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= flr * (mo[i] / c1) / (sqrtf(v[i] / c2) + eps);
    }
  }
}

int pp_nn_train(pp_nn_model *m, const pp_nn_data *d, const pp_nn_train_opts *o, pp_nn_epoch_cb cb,
                void *ctx, pp_err *e) {
  if (d->c != m->in_c || d->h > m->in_h || d->w > m->in_w || d->classes > m->classes)
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "data %s (%dx%dx%d, %d classes) does not fit model %s (%dx%dx%d, %d classes)", d->name,
                      d->c, d->h, d->w, d->classes, m->arch, m->in_c, m->in_h, m->in_w, m->classes);
  if (o->batch < 1 || o->epochs < 1 || d->n < 2)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "need batch >= 1, epochs >= 1 and at least 2 images");
  int B = o->batch < d->n ? o->batch : d->n;
  int st = nn_work_ensure(m, B, 1, e);
  if (st) return st;
  nn_work *W = m->priv;
  if (!W->opt_m) {
    W->opt_m = calloc(m->nparams, sizeof(float));
    W->opt_v = calloc(m->nparams, sizeof(float));
    if (!W->opt_m || !W->opt_v) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  uint32_t *perm = malloc(sizeof(uint32_t) * (size_t)d->n);
  if (!perm) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  pp_rng rng;
  pp_rng_seed(&rng, o->seed);
  long steps_per_epoch = d->n / B, total = steps_per_epoch * o->epochs, step = 0;
  if (o->max_steps > 0 && o->max_steps < total) total = o->max_steps;
  float *logits = W->act[m->nlayers], *dlogits = W->dact[m->nlayers];
  pp_progress pr;
  if (o->progress) pp_progress_start(&pr, "train", total);
  for (int ep = 0; ep < o->epochs && step < total; ep++) {
    double t0 = pp_now(), loss_sum = 0, lr = o->lr;
    long hits = 0, seen = 0;
    for (int i = 0; i < d->n; i++) perm[i] = (uint32_t)i;
    pp_rng_shuffle_u32(&rng, perm, (size_t)d->n);
    for (long s = 0; s < steps_per_epoch && step < total; s++, step++) {
      nn_fill_batch(m, d, perm + s * B, B, o->augment, &rng);
      nn_forward(m, B, 1);
      int correct;
      loss_sum += nn_softmax_xent(m->classes, B, logits, W->labels, dlogits, &correct);
      hits += correct;
      seen += B;
      memset(W->grads, 0, m->nparams * sizeof(float));
      nn_backward(m, B);
      lr = lr_at(o, ep, step, total);
      update(m, o, lr);
      if (o->progress) pp_progress_update(&pr, step + 1);
    }
    long nsteps = seen / B;
    pp_nn_epoch_stats es = {ep + 1, nsteps ? loss_sum / (double)nsteps : 0, seen ? 100.0 * (double)hits / (double)seen : 0, lr,
                            pp_now() - t0};
    if (cb) cb(&es, ctx);
  }
  if (o->progress) pp_progress_end(&pr);
  free(perm);
  return PP_OK;
}

int pp_nn_eval(pp_nn_model *m, const pp_nn_data *d, double *accuracy, double *loss, float *out,
               pp_err *e) {
  if (d->c != m->in_c || d->h > m->in_h || d->w > m->in_w || d->classes > m->classes)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "data %s (%dx%dx%d, %d classes) does not fit model %s", d->name,
                      d->c, d->h, d->w, d->classes, m->arch);
  int B = 100;
  nn_work *W0 = m->priv;
  if (W0 && W0->B > B) B = W0->B;
  int st = nn_work_ensure(m, B, 0, e);
  if (st) return st;
  nn_work *W = m->priv;
  uint32_t *idx = malloc(sizeof(uint32_t) * (size_t)B);
  if (!idx) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  double ls = 0;
  long hits = 0;
  for (int i0 = 0; i0 < d->n; i0 += B) {
    int nb = d->n - i0 < B ? d->n - i0 : B;
    for (int b = 0; b < nb; b++) idx[b] = (uint32_t)(i0 + b);
    nn_fill_batch(m, d, idx, nb, 0, NULL);
    nn_forward(m, nb, 0);
    int correct;
    const float *lg = W->act[m->nlayers];
    ls += nn_softmax_xent(m->classes, nb, lg, W->labels, NULL, &correct) * nb;
    hits += correct;
    if (out)
      for (int b = 0; b < nb; b++)
        for (int k = 0; k < m->classes; k++) out[(size_t)(i0 + b) * m->classes + k] = lg[(size_t)k * nb + b];
  }
  free(idx);
  if (accuracy) *accuracy = d->n ? 100.0 * (double)hits / d->n : 0;
  if (loss) *loss = d->n ? ls / d->n : 0;
  return PP_OK;
}

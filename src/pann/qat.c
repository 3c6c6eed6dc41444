/* pann/qat: PANN during training. Straight-through estimator built on module
 * nn's trainer: the float weights are kept aside as shadow weights; each step
 * the model's conv/fc weights are replaced by their PANN quantization gm*q
 * (mean |q| = R per layer, optionally least-squares scales per output), one
 * optimizer step runs at those weights, and the change it made is applied to
 * the shadow weights (the gradient at the quantized point updates the float
 * weights). With act_bits > 0 the activations are quantized in training too,
 * on the grid deployment uses: module nn's fake quantization (uint8 levels at
 * each activation quantizer, range from its buffer) restricted to every
 * 2^(8-bx)-th level is a bx-bit grid of step sx when the range is set to
 * sx*255/2^(8-bx); sx is the MSE scale that pann_net calibrates, refreshed
 * every act_every steps, and the image is put on its bx-bit grid. At the end
 * the model holds the float shadow weights, which quantize well at R and can
 * be re-quantized at any other budget without retraining. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"
#include "pp/util_mem.h"

/* the EMA weight module nn uses for an activation range (NN_ACT_EMA) */
#define NN_EMA 0.9

void pp_pann_qat_defaults(pp_pann_qat_opts *o) {
  memset(o, 0, sizeof *o);
  o->R = 2;
  o->steps = 2000;
  o->batch = 64;
  o->lr = 1e-4;
  o->cosine = 1;
  o->rescale_every = 25;
  o->act_every = 100;
  o->calib_images = 1000;
  o->lsq = 1;
  o->seed = 1;
  o->progress_every = 100;
}

/* The activation quantizer whose output feeds tensor t (through pooling), or
 * -1 (the image, or no quantizer). */
static int actq_of(const pp_nn_model *m, int t) {
  while (t > 0) {
    const pp_nn_layer *L = &m->layers[t - 1];
    if (L->type == PP_NN_L_ACTQ) return t - 1;
    if (L->type != PP_NN_L_MAXPOOL && L->type != PP_NN_L_AVGPOOL && L->type != PP_NN_L_GAP) return -1;
    t = L->in;
  }
  return -1;
}

/* MSE activation scales per conv/fc layer of the float model m (params =
 * its float weights), from pann_net's calibration; with a target energy R is
 * first rescaled to spend it. */
static int act_scales(const pp_nn_model *m, const pp_nn_data *d, const pp_pann_qat_opts *o, double *R, double *sx,
                      pp_err *e) {
  pp_pann_net *n;
  int st = pp_pann_net_create(m, d, 0, o->calib_images, &n, e);
  if (st) return st;
  double fj;
  if (o->target_fj > 0 && o->pw && o->match_opts)
    st = pp_pann_match_trace(n, o->pw, o->match_opts, o->act_bits, R, o->target_fj, &fj, e);
  pp_pann_qspec s = {.mode = PP_PANN_Q_PANN, .a_bits = o->act_bits, .R = R[0], .layer_R = R};
  if (!st && !(st = pp_pann_net_quantize(n, &s, e)))
    for (int i = 0; i < pp_pann_net_nlayers(n); i++) {
      pp_pann_layer_info li;
      pp_pann_net_layer(n, i, &li);
      sx[i] = li.sx;
    }
  pp_pann_net_free(n);
  return st;
}

typedef struct stepstat {
  double loss, acc;
} stepstat;
static void on_epoch(const pp_nn_epoch_stats *es, void *ctx) {
  stepstat *s = ctx;
  s->loss = es->loss;
  s->acc = es->train_accuracy;
}

int pp_pann_qat(pp_nn_model *m, const pp_nn_data *d, const pp_pann_qat_opts *o, pp_err *e) {
  if (!(o->R > 0) || o->steps < 1 || o->batch < 2 || !(o->lr > 0) || d->n < o->batch)
    return pp_err_set(e, PP_EINVAL, "", 0,
                      "PANN QAT needs R > 0, steps >= 1, batch >= 2 (and no larger than the %d images), lr > 0", d->n);
  if (o->act_bits && (o->act_bits < 2 || o->act_bits > 8))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN QAT: activation bits must be 0 (float) or 2..8 (got %d)", o->act_bits);
  if (o->skip_count < 0 || o->skip_first < 0 || (o->skip_count > 0 && o->skip_first + o->skip_count > d->n) ||
      d->n - o->skip_count < o->batch)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN QAT: held-out images [%d, +%d) leave too few of the %d to train on",
                      o->skip_first, o->skip_count, d->n);
  if (o->act_bits && (o->calib_images < 1 || o->calib_images > d->n))
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN QAT: %d calibration images of %d", o->calib_images, d->n);
  int nq = 0;
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_CONV || m->layers[i].type == PP_NN_L_FC) nq++;
  if (!nq) return pp_err_set(e, PP_EINVAL, "", 0, "PANN QAT: the model has no conv/fc layer");
  int bx = o->act_bits, act = bx > 0;
  size_t img = (size_t)d->c * d->h * d->w;
  float *shadow = malloc(sizeof(float) * m->nparams);
  float *before = malloc(sizeof(float) * m->nparams); /* the quantized point a step starts from */
  float *bufs0 = malloc(sizeof(float) * (m->nbufs ? m->nbufs : 1));
  double *g = calloc((size_t)m->nlayers, sizeof(double));
  double *gm = NULL, *fold = NULL, *wf = NULL;
  int32_t *q = NULL;
  int *gl = malloc(sizeof(int) * (size_t)m->nlayers); /* layer -> conv/fc index */
  double *Rl = malloc(sizeof(double) * (size_t)nq);
  double *sx = calloc((size_t)nq, sizeof(double)), *target = calloc((size_t)m->nlayers, sizeof(double));
  double *rpre = calloc((size_t)m->nlayers, sizeof(double)), *mxp = calloc((size_t)m->nlayers, sizeof(double));
  size_t maxw = 0, maxm = 0;
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_CONV || m->layers[i].type == PP_NN_L_FC) {
      if (m->layers[i].nw > maxw) maxw = m->layers[i].nw;
      if ((size_t)m->layers[i].c > maxm) maxm = (size_t)m->layers[i].c;
    }
  /* zeroed and never empty: a layer whose weights do not fill M x K rows leaves no garbage behind */
  if (!maxm) maxm = 1;
  if (!maxw) maxw = 1;
  gm = calloc(maxm, sizeof(double));
  fold = calloc(maxm, sizeof(double));
  wf = calloc(maxw, sizeof(double));
  q = calloc(maxw, sizeof(int32_t));
  float *wff = calloc(maxw, sizeof(float));
  pp_nn_data batch = *d;
  batch.x = malloc(img * (size_t)o->batch);
  batch.y = malloc((size_t)o->batch);
  batch.n = o->batch;
  uint8_t *xq = NULL; /* the images on their bx-bit grid */
  pp_nn_qconf q0 = m->q;
  int st = PP_OK;
  if (!shadow || !before || !bufs0 || !g || !gm || !fold || !wf || !q || !wff || !gl || !sx || !target || !rpre ||
      !mxp || !Rl || !batch.x || !batch.y) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto done;
  }
  for (int i = 0; i < nq; i++) Rl[i] = o->layer_R ? o->layer_R[i] : o->R;
  memcpy(shadow, m->params, sizeof(float) * m->nparams);
  if (m->nbufs) memcpy(bufs0, m->bufs, sizeof(float) * m->nbufs);
  for (int i = 0, k = 0; i < m->nlayers; i++)
    gl[i] = (m->layers[i].type == PP_NN_L_CONV || m->layers[i].type == PP_NN_L_FC) ? k++ : -1;
  int step_k = act ? 1 << (8 - bx) : 1;
  if (act) {
    pp_nn_set_qat(m, 1, 1);
    memset(m->q.a_allowed, 0, sizeof m->q.a_allowed);
    for (int v = 0; v < 256; v += step_k) m->q.a_allowed[v] = 1;
    if ((st = act_scales(m, d, o, Rl, sx, e))) goto done;
    /* the image on the first layer's bx-bit grid (pixel/255 quantized at sx) */
    int first = -1;
    for (int i = 0; i < m->nlayers && first < 0; i++)
      if (gl[i] >= 0) first = i;
    if (first < 0) { /* nq > 0 says there is one */
      st = pp_err_set(e, PP_EINTERNAL, "", 0, "PANN QAT: no conv/fc layer found");
      goto done;
    }
    if (m->layers[first].in == 0) {
      if (!(xq = malloc(img * (size_t)d->n))) {
        st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
        goto done;
      }
      double s0 = sx[gl[first]];
      int Lq = (1 << bx) - 1;
      for (size_t k = 0; k < img * (size_t)d->n; k++) {
        double v = nearbyint(d->x[k] / 255.0 / s0);
        v = v > Lq ? Lq : v;
        double p = nearbyint(v * s0 * 255.0);
        xq[k] = (uint8_t)(p > 255 ? 255 : p);
      }
    }
  }
  pp_rng r;
  pp_rng_seed(&r, o->seed);
  pp_nn_train_opts to;
  pp_nn_train_defaults(&to);
  to.epochs = 1;
  to.batch = o->batch;
  to.max_steps = 1;
  double win_loss = 0, win_acc = 0;
  long win_n = 0;
  for (long s = 0; s < o->steps && !st; s++) {
    if (act && s > 0 && o->act_every > 0 && s % o->act_every == 0) {
      /* refresh the scales from the current float weights */
      memcpy(m->params, shadow, sizeof(float) * m->nparams);
      if ((st = act_scales(m, d, o, Rl, sx, e))) break;
    }
    for (int b = 0; b < o->batch; b++) {
      uint32_t k = pp_rng_below(&r, (uint32_t)(d->n - o->skip_count));
      if (o->skip_count > 0 && k >= (uint32_t)o->skip_first) k += (uint32_t)o->skip_count; /* over the held-out range */
      memcpy(batch.x + (size_t)b * img, (xq ? xq : d->x) + (size_t)k * img, img);
      batch.y[b] = d->y[k];
    }
    /* weights: params <- gm*round(wf/g)/fold, wf the (BN-folded when nn
     * folds it) shadow weights; g follows the moving weights every
     * rescale_every steps */
    for (int i = 0; i < m->nlayers && !st; i++) {
      const pp_nn_layer *L = &m->layers[i];
      if (gl[i] < 0) continue;
      int M = L->c, K = (int)(L->nw / (size_t)M);
      const float *w = shadow + L->w_off;
      for (int c = 0; c < M; c++) {
        fold[c] = 1;
        if (act && L->bn >= 0) { /* nn folds BN in its quantized forward: quantize what it multiplies */
          const pp_nn_layer *Bn = &m->layers[L->bn];
          fold[c] = m->params[Bn->g_off + c] / sqrt(m->bufs[Bn->var_off + c] + 1e-5);
          if (fabs(fold[c]) < 1e-12) fold[c] = 1e-12;
        }
        for (int k = 0; k < K; k++) wff[(size_t)c * K + k] = (float)(w[(size_t)c * K + k] * fold[c]);
      }
      double R = Rl[gl[i]];
      if (s % o->rescale_every == 0 || g[i] <= 0 || (act && o->act_every > 0 && s % o->act_every == 0)) st = pp_pann_weight_scale(wff, L->nw, R, &g[i], NULL, NULL, e);
      if (st) break;
      for (size_t k = 0; k < L->nw; k++) q[k] = (int32_t)nearbyint(wff[k] / g[i]);
      if (o->lsq)
        pp_pann_lsq_scales(wff, M, K, q, g[i], gm);
      else
        for (int c = 0; c < M; c++) gm[c] = g[i];
      for (int c = 0; c < M; c++)
        for (int k = 0; k < K; k++)
          m->params[L->w_off + (size_t)c * K + k] = (float)(gm[c] * q[(size_t)c * K + k] / fold[c]);
    }
    if (st) break;
    if (act) /* ranges: the bx-bit grid of step sx; nn mixes in the batch max (EMA) before using
              * the range, so it is preset to cancel the previous batch's max */
      for (int i = 0; i < m->nlayers; i++) {
        if (gl[i] < 0) continue;
        int a = actq_of(m, m->layers[i].in);
        if (a < 0) continue;
        double T = sx[gl[i]] * 255.0 / step_k;
        target[a] = T;
        double pre = mxp[a] > 0 ? (T - (1 - NN_EMA) * mxp[a]) / NN_EMA : T;
        rpre[a] = pre > 0.05 * T ? pre : 0.05 * T;
        m->bufs[m->layers[a].range_off] = (float)rpre[a];
      }
    memcpy(before, m->params, sizeof(float) * m->nparams);
    to.seed = o->seed * 1000003u + (uint64_t)s;
    to.lr = o->cosine ? o->lr * 0.5 * (1 + cos(M_PI * (double)s / (double)o->steps)) : o->lr;
    stepstat ss = {0, 0};
    st = pp_nn_train(m, &batch, &to, on_epoch, &ss, e);
    win_loss += ss.loss, win_acc += ss.acc, win_n++;
    if (o->progress && (s + 1) % o->progress_every == 0) {
      o->progress(s + 1, win_loss / (double)win_n, win_acc / (double)win_n, o->progress_ctx);
      win_loss = win_acc = 0, win_n = 0;
    }
    if (act)
      for (int a = 0; a < m->nlayers; a++)
        if (target[a] > 0) mxp[a] = (m->bufs[m->layers[a].range_off] - NN_EMA * rpre[a]) / (1 - NN_EMA);
    /* STE: the step's change goes to the shadow weights; every other
     * parameter (biases, BN) is trained directly */
    for (size_t k = 0; k < m->nparams && !st; k++) shadow[k] += m->params[k] - before[k];
  }
done:
  if (shadow) {
    if (!st) memcpy(m->params, shadow, sizeof(float) * m->nparams);
  }
  if (act) {
    m->q = q0; /* quantization state and allowed sets as they were */
    if (m->nbufs && bufs0) memcpy(m->bufs, bufs0, sizeof(float) * m->nbufs);
  }
  PP_FREE_ALL(shadow, before, bufs0, g, gm, fold, wf, wff, q, gl);
  if (!st && o->layer_R_out) memcpy(o->layer_R_out, Rl, sizeof(double) * (size_t)nq);
  PP_FREE_ALL(Rl, sx, target, rpre, mxp, xq, batch.x, batch.y);
  return st;
}

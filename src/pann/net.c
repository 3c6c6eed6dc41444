/* pann/net: a quantized copy of an nn model, run the way PANN (or plain b-bit
 * quantization) computes it: every conv/fc input quantized to unsigned
 * a_bits integers, weights to integers q at a per-layer scale g, the integer
 * product exact (double GEMM of integer values), bias and rescaling in float.
 * It reads the public model structure of module nn (layers, params, bufs)
 * and folds batch norm into the conv/fc before it. Integer products of a few
 * images can be handed to the bit-flip models for their energy. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pann_internal.h"
#include "pp/util_mem.h"

#define BN_EPS 1e-5f  /* the value module nn uses in its BN layers */
#define CALIB_SAMPLES 60000
#define BMAX 64 /* images per forward batch */

typedef struct glayer {
  int li;            /* model layer index */
  int conv;          /* 1 conv, 0 fc */
  int M, K, N, groups; /* K: reduction length per group; N: output positions per image */
  float *w;          /* folded weights, M x K */
  float *b;          /* folded bias, M */
  double *xmean;     /* groups*K: mean of every input row over the calibration set */
  float *samp;       /* calibration samples of the input activations */
  size_t nsamp;
  double sx_cache[9];
  /* quantized state */
  int32_t *q;        /* M x K */
  double g, sx, r;   /* weight scale, activation scale, achieved mean |q| */
  double *gm;        /* M: dequantization scale per output (g, or least squares) */
  float *bq;         /* bias used (corrected or not) */
} glayer;

struct pp_pann_net {
  const pp_nn_model *m;
  int ng;
  glayer *G;
  int *gof;       /* layer -> glayer index or -1 */
  int *folded;    /* BN layer folded into its conv/fc */
  pp_pann_qspec spec;
  int quantized;
};

static size_t tsz(const pp_nn_model *m, int t, int B) {
  if (t == 0) return (size_t)m->in_c * m->in_h * m->in_w * B;
  const pp_nn_layer *L = &m->layers[t - 1];
  return (size_t)L->c * L->h * L->w * B;
}
static void tshape(const pp_nn_model *m, int t, int *c, int *h, int *w) {
  if (t == 0) {
    *c = m->in_c, *h = m->in_h, *w = m->in_w;
    return;
  }
  const pp_nn_layer *L = &m->layers[t - 1];
  *c = L->c, *h = L->h, *w = L->w;
}

void pp_pann_net_free(pp_pann_net *n) {
  if (!n) return;
  for (int i = 0; i < n->ng; i++) {
    glayer *g = &n->G[i];
    PP_FREE_ALL(g->w, g->b, g->xmean, g->samp, g->q, g->gm, g->bq);
  }
  free(n->G);
  free(n->gof);
  free(n->folded);
  free(n);
}

/* im2col of one group for images [b0, b0+nb) of a batch of B: col (K x nb*N) from x (C x B x H x W). */
static void im2col(const pp_nn_layer *L, int B, const float *x, int grp, int b0, int nb, float *col) {
  int cg = L->ic / L->groups, kk = L->k * L->k, N = L->h * L->w;
  for (int r = 0; r < cg * kk; r++) {
    int ci = r / kk + grp * cg, ky = (r % kk) / L->k, kx = (r % kk) % L->k;
    for (int b = 0; b < nb; b++) {
      const float *xp = x + ((size_t)ci * B + b0 + b) * L->ih * L->iw;
      float *cp = col + (size_t)r * nb * N + (size_t)b * N;
      /* the outputs whose input column lies inside the image: [x0, x1) */
      int st = L->stride, x0 = 0, x1 = L->w;
      while (x0 < L->w && x0 * st - L->pad + kx < 0) x0++;
      while (x1 > x0 && (x1 - 1) * st - L->pad + kx >= L->iw) x1--;
      for (int oy = 0; oy < L->h; oy++) {
        int iy = oy * st - L->pad + ky;
        float *cr = cp + (size_t)oy * L->w;
        if (iy < 0 || iy >= L->ih) {
          for (int ox = 0; ox < L->w; ox++) cr[ox] = 0.0f;
          continue;
        }
        const float *xr = xp + (size_t)iy * L->iw;
        int off = kx - L->pad;
        for (int ox = 0; ox < x0; ox++) cr[ox] = 0.0f;
        for (int ox = x0; ox < x1; ox++) cr[ox] = xr[ox * st + off];
        for (int ox = x1; ox < L->w; ox++) cr[ox] = 0.0f;
      }
    }
  }
}

/* fc input (C x B x HW) as a K x B matrix, features in (c, h, w) order. */
static void fc_gather(const pp_nn_layer *L, int B, const float *x, float *col) {
  int HW = L->ih * L->iw;
  for (int c = 0; c < L->ic; c++)
    for (int b = 0; b < B; b++)
      for (int p = 0; p < HW; p++) col[((size_t)c * HW + p) * B + b] = x[((size_t)c * B + b) * HW + p];
}

/* nearbyint(v / s) clamped to [0, L]. Inside (0, L) adding and taking away 1.5 * 2^52 rounds to nearest even
 * exactly as nearbyint does in the default rounding mode, without the libm call per activation; outside it the
 * clamp decides, as it would on nearbyint's result. NaN stays NaN. */
static double quant_act(double v, double s, int L) {
  double t = v / s;
  if (t >= L) return L;
  if (t <= 0) return 0;
  return (t + 0x1.8p52) - 0x1.8p52;
}

int pann_force_double;
size_t pann_col_block_bytes = (size_t)256 << 10;

typedef struct fwd_ctx {
  int calib;                  /* collect statistics */
  size_t calib_stride;
  size_t *calib_seen;         /* per glayer: input elements seen */
  const pp_pann_power *pw;    /* energy: models (NULL: no energy) */
  int accum;
  pann_counts *cnt;           /* per glayer */
} fwd_ctx;

/* Energy counts of one layer's integer product (group grp) of the B images
 * of a batch: col is K x B*N, image i's columns at offset i*N. Images are
 * counted in parallel; their integer sums make the total the same for any
 * thread count. */
static void layer_energy(const pp_pann_net *n, const glayer *G, const double *col, int B, int grp, fwd_ctx *c) {
  const pp_pann_power *pw = c->pw;
  const pp_pann_qspec *s = &n->spec;
  int Mg = G->M / G->groups;
  int b = s->mode == PP_PANN_Q_UNIFORM ? s->w_bits : s->a_bits;
  if (b < 2 || b > 8) return;
  const pp_pann_mult_model *mm = &pw->mult[b - 2];
  const pp_pann_acc_model *am = s->mode == PP_PANN_Q_UNIFORM ? &pw->acc[b - 2] : &pw->add[s->a_bits - 2];
  pann_layer_job j = {.q = G->q + (size_t)grp * Mg * G->K, .ld = (size_t)B * G->N, .M = Mg, .K = G->K, .N = G->N,
                      .pann = s->mode == PP_PANN_Q_PANN, .split = s->mode == PP_PANN_Q_PANN || c->accum == PP_PANN_SPLIT,
                      .w_bits = mm->w_bits, .a_bits = mm->a_bits, .in_bits = am->in_bits, .acc_bits = am->acc_bits};
  pann_counts part[BMAX];
  memset(part, 0, sizeof part);
#pragma omp parallel for schedule(dynamic, 1) if (B > 1)
  for (int i = 0; i < B; i++) {
    pann_layer_job ji = j;
    ji.x = col + (size_t)i * G->N;
    pann_layer_counts(&ji, &part[i]);
  }
  for (int i = 0; i < B; i++) pann_counts_add(&c->cnt[G - n->G], &part[i]);
}

/* Runs images [first, first+count) of d. logits: count x classes (may be NULL). */
static int forward(pp_pann_net *n, const pp_nn_data *d, int first, int count, float *logits, fwd_ctx *c,
                   pp_err *e) {
  const pp_nn_model *m = n->m;
  /* serial GEMMs: the parallelism is over images (layer_energy); OpenBLAS's
   * own idle threads would spin beside OpenMP's */
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  int quant = n->quantized && n->spec.mode != PP_PANN_Q_FLOAT;
  int Lq = (1 << n->spec.a_bits) - 1;
  if (m->nlayers < 1) return pp_err_set(e, PP_EINVAL, "", 0, "PANN forward pass: the model has no layers");
  float **act = calloc((size_t)m->nlayers + 1, sizeof(float *));
  if (!act) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in the PANN forward pass");
  int st = PP_OK;
  for (int t = 0; t <= m->nlayers; t++)
    if (!(act[t] = calloc(tsz(m, t, BMAX) + 1, sizeof(float)))) st = PP_ENOMEM; /* +1: never empty */
  size_t colmax = 0;
  for (int i = 0; i < n->ng; i++) {
    size_t s = (size_t)n->G[i].K * n->G[i].N * BMAX;
    if (s > colmax) colmax = s;
  }
  /* colf: the GEMM's input matrix as the float activations are; col: the same values as doubles for the
   * double GEMM and the energy counters */
  float *colf = calloc(colmax + 1, sizeof(float)), *wf = NULL, *outf = NULL;
  double *col = calloc(colmax + 1, sizeof(double));
  double *wd = NULL, *out = NULL;
  size_t wmax = 0, omax = 0;
  for (int i = 0; i < n->ng; i++) {
    size_t s = (size_t)n->G[i].M * n->G[i].K;
    if (s > wmax) wmax = s;
    s = (size_t)n->G[i].M * n->G[i].N * BMAX;
    if (s > omax) omax = s;
  }
  wd = malloc((wmax + 1) * sizeof(double));
  out = malloc((omax + 1) * sizeof(double));
  wf = malloc((wmax + 1) * sizeof(float));
  outf = malloc((omax + 1) * sizeof(float));
  if (st || !col || !wd || !out || !colf || !wf || !outf) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in the PANN forward pass");
    goto done;
  }
  for (int b0 = 0; b0 < count; b0 += BMAX) {
    int B = count - b0 < BMAX ? count - b0 : BMAX;
    /* the image, centred in the model input, value pixel/255 (as nn does) */
    int H = m->in_h, Wd = m->in_w, oy = (H - d->h) / 2, ox = (Wd - d->w) / 2;
    memset(act[0], 0, tsz(m, 0, B) * sizeof(float));
    for (int b = 0; b < B; b++) {
      const uint8_t *img = d->x + (size_t)(first + b0 + b) * d->c * d->h * d->w;
      for (int ch = 0; ch < m->in_c && ch < d->c; ch++)
        for (int y = 0; y < d->h; y++)
          for (int x = 0; x < d->w; x++) {
            int yy = y + oy, xx = x + ox;
            if (yy < 0 || yy >= H || xx < 0 || xx >= Wd) continue;
            act[0][(((size_t)ch * B + b) * H + yy) * Wd + xx] = (float)img[((size_t)ch * d->h + y) * d->w + x] / 255.0f;
          }
    }
    for (int i = 0; i < m->nlayers; i++) {
      const pp_nn_layer *L = &m->layers[i];
      float *x = act[L->in], *y = act[L->out];
      size_t planes = (size_t)L->ic * B, ny = tsz(m, L->out, B), nx = tsz(m, L->in, B);
      switch (L->type) {
        case PP_NN_L_CONV:
        case PP_NN_L_FC: {
          glayer *G = &n->G[n->gof[i]];
          if (c && c->calib) { /* samples of the float input */
            size_t *seen = &c->calib_seen[n->gof[i]];
            for (size_t k = 0; k < nx; k++, (*seen)++)
              if (*seen % c->calib_stride == 0 && G->nsamp < CALIB_SAMPLES) G->samp[G->nsamp++] = x[k];
          }
          if (quant) { /* quantize the input in place: it is this layer's own view */
            float *xq = malloc(nx * sizeof(float));
            if (!xq) {
              st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in the PANN forward pass");
              goto done;
            }
            for (size_t k = 0; k < nx; k++) xq[k] = (float)quant_act(x[k], G->sx, Lq);
            x = xq;
          }
          int Mg = G->M / G->groups, BN = B * G->N;
          size_t nk = (size_t)G->K * BN;
          for (int grp = 0; grp < G->groups; grp++) {
            const int32_t *qg = G->q + (size_t)grp * Mg * G->K;
            /* Integer inputs in [0, Lq] and integer weights: every partial sum of a row is an integer of at most
             * Lq * sum|q|. Below 2^24 a float holds each one exactly, so the float GEMM (twice the lanes) gives
             * the double GEMM's numbers to the bit, in any summation order. */
            int exact = 0;
            if (quant) {
              int64_t worst = 0;
              for (int mm = 0; mm < Mg; mm++) {
                int64_t a = 0;
                for (int k = 0; k < G->K; k++) a += llabs((long long)qg[(size_t)mm * G->K + k]);
                if (a > worst) worst = a;
              }
              exact = !pann_force_double && worst * Lq < (INT64_C(1) << 24);
            }
            int need_col = !exact || (c && (c->calib || c->pw));
            if (exact && !need_col && L->type == PP_NN_L_CONV) {
              /* a few images at a time, so that the column matrix stays in cache (LeNet-5's conv1: 25 x 784 per
               * image); exact sums make the split invisible */
              int step = (int)(pann_col_block_bytes / ((size_t)G->K * G->N * sizeof(float)));
              step = step < 1 ? 1 : step > B ? B : step;
              for (size_t k = 0; k < (size_t)Mg * G->K; k++) wf[k] = (float)qg[k];
              for (int b1 = 0; b1 < B; b1 += step) {
                int nb = B - b1 < step ? B - b1 : step;
                im2col(L, B, x, grp, b1, nb, colf);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Mg, nb * G->N, G->K, 1.0f, wf, G->K, colf,
                            nb * G->N, 0.0f, outf + (size_t)b1 * G->N, BN);
              }
            } else {
              if (L->type == PP_NN_L_CONV)
                im2col(L, B, x, grp, 0, B, colf);
              else
                fc_gather(L, B, x, colf);
              if (need_col)
                for (size_t k = 0; k < nk; k++) col[k] = colf[k];
              if (c && c->calib)
                for (int k = 0; k < G->K; k++) {
                  double s = 0;
                  for (int j = 0; j < BN; j++) s += col[(size_t)k * BN + j];
                  G->xmean[grp * G->K + k] += s; /* divided by the count at the end */
                }
              if (exact) {
                for (size_t k = 0; k < (size_t)Mg * G->K; k++) wf[k] = (float)qg[k];
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Mg, BN, G->K, 1.0f, wf, G->K, colf, BN, 0.0f, outf,
                            BN);
              } else {
                for (size_t k = 0; k < (size_t)Mg * G->K; k++)
                  wd[k] = quant ? (double)qg[k] : (double)G->w[(size_t)grp * Mg * G->K + k];
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Mg, BN, G->K, 1.0, wd, G->K, col, BN, 0.0, out, BN);
              }
              if (quant && c && c->pw) layer_energy(n, G, col, B, grp, c);
            }
            const float *bias = quant ? G->bq : G->b;
            for (int mm = 0; mm < Mg; mm++) {
              int mo = grp * Mg + mm;
              double sc = quant ? G->gm[mo] * G->sx : 1.0;
              /* conv output layout M x B x N equals row mm of the GEMM; fc: O x B. An exact float sum converts to
               * the double the double GEMM would give. */
              float *yr = y + (size_t)mo * BN;
              if (exact) {
                const float *o = outf + (size_t)mm * BN;
                for (int j = 0; j < BN; j++) yr[j] = (float)((double)o[j] * sc + bias[mo]);
              } else {
                const double *o = out + (size_t)mm * BN;
                for (int j = 0; j < BN; j++) yr[j] = (float)(o[j] * sc + bias[mo]);
              }
            }
          }
          if (quant) free(x);
          break;
        }
        case PP_NN_L_BN: {
          if (n->folded[i]) {
            memcpy(y, x, ny * sizeof(float));
            break;
          }
          const float *P = m->params;
          int per = B * L->h * L->w;
          for (int ch = 0; ch < L->c; ch++) {
            float is = 1.0f / sqrtf(m->bufs[L->var_off + ch] + BN_EPS), a = P[L->g_off + ch] * is;
            float bb = P[L->beta_off + ch] - m->bufs[L->mean_off + ch] * a;
            for (int k = 0; k < per; k++) y[(size_t)ch * per + k] = a * x[(size_t)ch * per + k] + bb;
          }
          break;
        }
        case PP_NN_L_RELU:
        case PP_NN_L_RELU6:
          if (L->type == PP_NN_L_RELU6)
            for (size_t k = 0; k < ny; k++) {
              float v = x[k] > 0 ? x[k] : 0.0f;
              y[k] = v > 6.0f ? 6.0f : v;
            }
          else
            for (size_t k = 0; k < ny; k++) y[k] = x[k] > 0 ? x[k] : 0.0f;
          break;
        case PP_NN_L_ACTQ: /* replaced by the quantizer at the next conv/fc input */
          memcpy(y, x, ny * sizeof(float));
          break;
        case PP_NN_L_MAXPOOL:
        case PP_NN_L_AVGPOOL: {
          int k = L->k, s = L->stride;
          for (size_t p = 0; p < planes; p++)
            for (int yy = 0; yy < L->h; yy++)
              for (int xx = 0; xx < L->w; xx++) {
                double acc = 0;
                float best = -FLT_MAX;
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++) {
                    float v = x[p * L->ih * L->iw + (size_t)(yy * s + ky) * L->iw + (size_t)xx * s + kx];
                    acc += v;
                    if (v > best) best = v;
                  }
                y[p * L->h * L->w + (size_t)yy * L->w + xx] =
                    L->type == PP_NN_L_MAXPOOL ? best : (float)(acc / (k * k));
              }
          break;
        }
        case PP_NN_L_GAP: {
          int hw = L->ih * L->iw;
          for (size_t p = 0; p < planes; p++) {
            double acc = 0;
            for (int k = 0; k < hw; k++) acc += x[p * hw + k];
            y[p] = (float)(acc / hw);
          }
          break;
        }
        case PP_NN_L_ADD: {
          int c2, h2, w2;
          tshape(m, L->in2, &c2, &h2, &w2);
          const float *x2 = act[L->in2];
          int sstr = h2 / L->h, off = (L->c - c2) / 2;
          for (int ch = 0; ch < L->c; ch++)
            for (int b = 0; b < B; b++) {
              size_t o = ((size_t)ch * B + b) * L->h * L->w;
              int cc = ch - off;
              for (int yy = 0; yy < L->h; yy++)
                for (int xx = 0; xx < L->w; xx++) {
                  float v = x[o + (size_t)yy * L->w + xx];
                  if (cc >= 0 && cc < c2) v += x2[(((size_t)cc * B + b) * h2 + (size_t)yy * sstr) * w2 + (size_t)xx * sstr];
                  y[o + (size_t)yy * L->w + xx] = v;
                }
            }
          break;
        }
        default:
          st = pp_err_set(e, PP_EINVAL, "", 0, "PANN: layer %s has a type (%d) the PANN engine does not run", L->name,
                          L->type);
          goto done;
      }
    }
    if (logits) {
      const float *lo = act[m->nlayers];
      for (int b = 0; b < B; b++)
        for (int k = 0; k < m->classes; k++) logits[(size_t)(b0 + b) * m->classes + k] = lo[(size_t)k * B + b];
    }
  }
done:
  for (int t = 0; t <= m->nlayers; t++) free(act[t]);
  PP_FREE_ALL(act, col, wd, out, colf, wf, outf);
  return st;
}

int pp_pann_net_create(const pp_nn_model *m, const pp_nn_data *calib, int first, int count, pp_pann_net **out,
                       pp_err *e) {
  *out = NULL;
  if (!m || !calib || count <= 0 || first < 0 || first + count > calib->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: calibration needs images [%d, %d) of a set of %d", first, first + count,
                      calib ? calib->n : 0);
  if (calib->c != m->in_c || calib->h > m->in_h || calib->w > m->in_w)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: images %dx%dx%d do not fit the model input %dx%dx%d", calib->c, calib->h,
                      calib->w, m->in_c, m->in_h, m->in_w);
  pp_pann_net *n = calloc(1, sizeof *n);
  if (!n) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  n->m = m;
  n->gof = malloc(sizeof(int) * (size_t)m->nlayers);
  n->folded = calloc((size_t)m->nlayers, sizeof(int));
  n->G = calloc((size_t)m->nlayers, sizeof(glayer));
  int st = PP_OK;
  if (!n->gof || !n->folded || !n->G) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto fail;
  }
  for (int i = 0; i < m->nlayers; i++) {
    const pp_nn_layer *L = &m->layers[i];
    n->gof[i] = -1;
    if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
    glayer *G = &n->G[n->ng];
    n->gof[i] = n->ng++;
    G->li = i;
    G->conv = L->type == PP_NN_L_CONV;
    G->M = L->c;
    G->groups = G->conv ? L->groups : 1;
    G->K = G->conv ? (L->ic / L->groups) * L->k * L->k : L->ic * L->ih * L->iw;
    G->N = G->conv ? L->h * L->w : 1;
    G->w = malloc(sizeof(float) * L->nw);
    G->b = calloc((size_t)G->M, sizeof(float));
    G->bq = calloc((size_t)G->M, sizeof(float));
    G->q = calloc(L->nw, sizeof(int32_t));
    G->gm = calloc((size_t)G->M, sizeof(double));
    G->xmean = calloc((size_t)G->K * G->groups, sizeof(double));
    G->samp = malloc(sizeof(float) * CALIB_SAMPLES);
    if (!G->w || !G->b || !G->bq || !G->q || !G->gm || !G->xmean || !G->samp) {
      st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
      goto fail;
    }
    if (L->nw != (size_t)G->M * G->K) {
      st = pp_err_set(e, PP_EINVAL, "", 0, "PANN: layer %s has %zu weights, expected %d x %d", L->name, L->nw, G->M, G->K);
      goto fail;
    }
    memcpy(G->w, m->params + L->w_off, sizeof(float) * L->nw);
    if (L->has_bias) memcpy(G->b, m->params + L->b_off, sizeof(float) * (size_t)G->M);
    if (L->bn >= 0 && L->bn < m->nlayers && m->layers[L->bn].type == PP_NN_L_BN) {
      /* fold BN with its running statistics: w*gamma/sigma, (b-mu)*gamma/sigma+beta */
      const pp_nn_layer *Bn = &m->layers[L->bn];
      n->folded[L->bn] = 1;
      for (int o = 0; o < G->M; o++) {
        float is = 1.0f / sqrtf(m->bufs[Bn->var_off + o] + BN_EPS), f = m->params[Bn->g_off + o] * is;
        for (int k = 0; k < G->K; k++) G->w[(size_t)o * G->K + k] *= f;
        G->b[o] = (G->b[o] - m->bufs[Bn->mean_off + o]) * f + m->params[Bn->beta_off + o];
      }
    }
    memcpy(G->bq, G->b, sizeof(float) * (size_t)G->M);
  }
  /* calibration: float pass collecting input samples and input row means */
  fwd_ctx c = {0};
  c.calib = 1;
  c.calib_seen = calloc((size_t)n->ng + 1, sizeof(size_t));
  if (!c.calib_seen) {
    st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto fail;
  }
  size_t maxin = 0;
  for (int i = 0; i < n->ng; i++) {
    const pp_nn_layer *L = &m->layers[n->G[i].li];
    size_t s = (size_t)L->ic * L->ih * L->iw * count;
    if (s > maxin) maxin = s;
  }
  c.calib_stride = maxin / CALIB_SAMPLES + 1;
  st = forward(n, calib, first, count, NULL, &c, e);
  free(c.calib_seen);
  if (st) goto fail;
  for (int i = 0; i < n->ng; i++) {
    glayer *G = &n->G[i];
    for (int k = 0; k < G->K * G->groups; k++) G->xmean[k] /= (double)count * G->N;
  }
  *out = n;
  return PP_OK;
fail:
  pp_pann_net_free(n);
  return st;
}

int pp_pann_net_quantize(pp_pann_net *n, const pp_pann_qspec *s, pp_err *e) {
  if (s->mode != PP_PANN_Q_FLOAT) {
    if (s->a_bits < 2 || s->a_bits > 8)
      return pp_err_set(e, PP_EINVAL, "", 0, "activation bits must be 2..8 (got %d)", s->a_bits);
    if (s->mode == PP_PANN_Q_UNIFORM && (s->w_bits < 2 || s->w_bits > 8))
      return pp_err_set(e, PP_EINVAL, "", 0, "weight bits must be 2..8 (got %d)", s->w_bits);
    if (s->mode == PP_PANN_Q_PANN && !(s->R > 0 && s->R < 1e6))
      return pp_err_set(e, PP_EINVAL, "", 0, "PANN budget R (additions per input) must be > 0 (got %g)", s->R);
    if (s->mode != PP_PANN_Q_UNIFORM && s->mode != PP_PANN_Q_PANN)
      return pp_err_set(e, PP_EINVAL, "", 0, "unknown quantization mode %d", s->mode);
  }
  n->spec = *s;
  n->spec.layer_R = NULL; /* the caller's array need not outlive the call */
  n->quantized = 1;
  if (s->mode == PP_PANN_Q_FLOAT) return PP_OK;
  for (int i = 0; i < n->ng; i++) {
    glayer *G = &n->G[i];
    size_t nw = (size_t)G->M * G->K;
    /* activation scale, cached per width */
    if (G->sx_cache[s->a_bits] <= 0) G->sx_cache[s->a_bits] = pp_pann_act_scale(G->samp, G->nsamp, s->a_bits);
    G->sx = G->sx_cache[s->a_bits];
    int st;
    if (s->mode == PP_PANN_Q_PANN) {
      double R = s->layer_R ? s->layer_R[i] : s->R;
      if (!(R > 0 && R < 1e6))
        return pp_err_set(e, PP_EINVAL, "", 0, "PANN budget R of layer %d must be > 0 (got %g)", i, R);
      st = pp_pann_weight_scale(G->w, nw, R, &G->g, G->q, &G->r, e);
    } else {
      st = pp_pann_uniform_scale(G->w, nw, s->w_bits, &G->g, e);
      int L = (1 << (s->w_bits - 1)) - 1;
      double sum = 0;
      for (size_t k = 0; k < nw; k++) {
        double q = nearbyint(G->w[k] / G->g);
        G->q[k] = (int32_t)(q > L ? L : q < -L ? -L : q);
        sum += abs(G->q[k]);
      }
      G->r = sum / (double)nw;
    }
    if (st) return st;
    if (s->lsq)
      pp_pann_lsq_scales(G->w, G->M, G->K, G->q, G->g, G->gm);
    else
      for (int o = 0; o < G->M; o++) G->gm[o] = G->g;
    int Mg = G->M / G->groups;
    for (int o = 0; o < G->M; o++) {
      double corr = 0;
      if (s->bias_corr) {
        int grp = o / Mg;
        for (int k = 0; k < G->K; k++)
          corr += G->xmean[grp * G->K + k] * (G->w[(size_t)o * G->K + k] - G->gm[o] * G->q[(size_t)o * G->K + k]);
      }
      G->bq[o] = (float)(G->b[o] + corr);
    }
  }
  return PP_OK;
}

int pp_pann_net_eval_loss(pp_pann_net *n, const pp_nn_data *d, int first, int count, double *accuracy, double *loss,
                          float *logits, pp_err *e) {
  if (!d || count <= 0 || first < 0 || first + count > d->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: evaluation needs images [%d, %d) of a set of %d", first, first + count,
                      d ? d->n : 0);
  const pp_nn_model *m = n->m;
  float *lo = logits ? logits : malloc(sizeof(float) * (size_t)count * m->classes);
  if (!lo) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  /* chunks of images in parallel: each image's logits are its own, and the sums below run in image order, so
   * every thread count gives the same numbers */
  enum { CHUNK = 4 * BMAX };
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1); /* before the threads: forward only reads it */
  int nch = (count + CHUNK - 1) / CHUNK, st = PP_OK;
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1)
  for (int ch = 0; ch < nch; ch++) {
    int f = ch * CHUNK, k = count - f < CHUNK ? count - f : CHUNK;
    pp_err e1;
    pp_err_clear(&e1);
    int r1 = forward(n, d, first + f, k, lo + (size_t)f * m->classes, NULL, &e1);
    if (r1) {
#pragma omp critical(pp_pann_eval_err)
      if (!st) { /* the first error seen is reported */
        st = r1;
        if (e) *e = e1;
      }
    }
  }
  if (!st) {
    int hits = 0;
    double ls = 0;
    for (int b = 0; b < count; b++) {
      const float *l = lo + (size_t)b * m->classes;
      int am = 0;
      for (int k = 1; k < m->classes; k++)
        if (l[k] > l[am]) am = k;
      hits += am == d->y[first + b];
      double z = 0; /* cross-entropy, max-shifted */
      for (int k = 0; k < m->classes; k++) z += exp((double)l[k] - l[am]);
      /* z >= 1: it holds exp(0) of the maximum */
      // cppcheck-suppress invalidFunctionArg
      ls += log(z) - ((double)l[d->y[first + b]] - l[am]);
    }
    if (accuracy) *accuracy = 100.0 * hits / count;
    if (loss) *loss = ls / count;
  }
  if (!logits) free(lo);
  return st;
}

int pp_pann_net_eval(pp_pann_net *n, const pp_nn_data *d, int first, int count, double *accuracy, float *logits,
                     pp_err *e) {
  return pp_pann_net_eval_loss(n, d, first, count, accuracy, NULL, logits, e);
}

int pp_pann_net_energy_layers(pp_pann_net *n, const pp_pann_power *pw, int accum, const pp_nn_data *d, int first,
                              int count, pp_pann_energy *out, pp_pann_energy *layers, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (!n->quantized || n->spec.mode == PP_PANN_Q_FLOAT)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: energy needs a quantized network (uniform or PANN)");
  int b = n->spec.mode == PP_PANN_Q_UNIFORM ? n->spec.w_bits : n->spec.a_bits;
  if (!pw->have[b - 2] || !pw->have[n->spec.a_bits - 2])
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: no fitted power model for %d bits", b);
  if (n->spec.mode == PP_PANN_Q_UNIFORM && n->spec.w_bits != n->spec.a_bits)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: the MAC models are fitted for equal weight and activation widths");
  if (!d || count <= 0 || first < 0 || first + count > d->n)
    return pp_err_set(e, PP_EINVAL, "", 0, "PANN: energy needs images [%d, %d) of a set of %d", first, first + count,
                      d ? d->n : 0);
  pp_pann_energy *le = layers ? layers : calloc((size_t)n->ng, sizeof *le);
  pann_counts *cnt = calloc((size_t)n->ng, sizeof *cnt);
  if (!le || !cnt) {
    if (!layers) free(le);
    free(cnt);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  memset(le, 0, sizeof *le * (size_t)n->ng);
  fwd_ctx c = {0};
  c.pw = pw;
  c.accum = accum;
  c.cnt = cnt;
  int st = forward(n, d, first, count, NULL, &c, e);
  const pp_pann_acc_model *am = n->spec.mode == PP_PANN_Q_UNIFORM ? &pw->acc[b - 2] : &pw->add[n->spec.a_bits - 2];
  if (!st)
    for (int i = 0; i < n->ng; i++) {
      pp_pann_energy *l = &le[i];
      l->macs = (double)cnt[i].macs;
      l->additions = (double)cnt[i].acc[0];
      l->e_mult = n->spec.mode == PP_PANN_Q_UNIFORM ? pann_counts_fj(pw->mult[b - 2].c, cnt[i].mult, PP_PANN_MULT_NF) : 0;
      l->e_acc = pann_counts_fj(am->c, cnt[i].acc, PP_PANN_ACC_NF);
      l->e_total = l->e_mult + l->e_acc;
      l->e_per_mac = l->macs > 0 ? l->e_total / l->macs : 0;
      out->macs += l->macs;
      out->additions += l->additions;
      out->e_mult += l->e_mult;
      out->e_acc += l->e_acc;
    }
  free(cnt);
  if (!layers) free(le);
  if (st) return st;
  out->e_total = out->e_mult + out->e_acc;
  out->e_per_mac = out->macs > 0 ? out->e_total / out->macs : 0;
  return PP_OK;
}

int pp_pann_net_energy(pp_pann_net *n, const pp_pann_power *pw, int accum, const pp_nn_data *d, int first, int count,
                       pp_pann_energy *out, pp_err *e) {
  return pp_pann_net_energy_layers(n, pw, accum, d, first, count, out, NULL, e);
}

int pp_pann_net_nlayers(const pp_pann_net *n) { return n->ng; }

void pp_pann_net_layer(const pp_pann_net *n, int i, pp_pann_layer_info *info) {
  const glayer *G = &n->G[i];
  memset(info, 0, sizeof *info);
  snprintf(info->name, sizeof info->name, "%s", n->m->layers[G->li].name);
  info->M = G->M;
  info->K = G->K;
  info->N = G->N;
  info->groups = G->groups;
  info->g = G->g;
  info->sx = G->sx;
  info->r = G->r;
  info->macs = (double)G->M * G->K * G->N;
  int mx = 0;
  for (size_t k = 0; k < (size_t)G->M * G->K; k++)
    if (abs(G->q[k]) > mx) mx = abs(G->q[k]);
  info->max_abs_q = mx;
}

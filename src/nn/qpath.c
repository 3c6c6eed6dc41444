/* nn/qpath: the true integer inference path. uint8 activations times int8
 * weight levels accumulate in int32; biases are int32 in accumulator units;
 * requantization to uint8 is a fixed-point multiply and shift in int64
 * (round half up); the residual add brings the uint8 shortcut into the
 * accumulator's units with a Q16 fixed-point factor. Every product is shown
 * to the caller's hook exactly as a weight-stationary array computes it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "pp/util_mem.h"

enum { T_U8 = 1, T_ACC = 2 };

struct pp_nn_qmodel {
  const pp_nn_model *m;
  int nq;
  pp_nn_qlayer *ql;
  int *qidx;         /* model layer -> index in ql (-1) */
  int8_t **levels;   /* per ql */
  float **wscale;    /* per ql */
  int32_t **bias;    /* per ql */
  int *tkind;        /* per tensor */
  float *tscale;     /* U8 tensors: scale */
  double **ascale;   /* ACC tensors: per-channel scale */
  int64_t **mult;    /* ACTQ layers: requant multiplier per channel; ADD layers: Q16 factor */
  int **shift;       /* ACTQ layers: shift per channel */
  int32_t **cap;     /* RELU6 on ACC: clamp per channel */
  uint8_t atable[256];
  size_t col_max, t_max;
};

void nn_qgemm_ref(int M, int K, int N, const int8_t *w, const uint8_t *x, int32_t *acc) {
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      int32_t s = 0;
      for (int k = 0; k < K; k++) s += (int32_t)w[(size_t)m * K + k] * (int32_t)x[(size_t)k * N + n];
      acc[(size_t)m * N + n] = s;
    }
}

/* m-k-n order: the inner loop runs along contiguous rows and vectorizes. */
void nn_qgemm(int M, int K, int N, const int8_t *w, const uint8_t *x, int32_t *acc) {
  if (N == 1) {
    for (int m = 0; m < M; m++) {
      int32_t s = 0;
      const int8_t *wr = w + (size_t)m * K;
      for (int k = 0; k < K; k++) s += (int32_t)wr[k] * (int32_t)x[k];
      acc[m] = s;
    }
    return;
  }
  for (int m = 0; m < M; m++) {
    int32_t *a = acc + (size_t)m * N;
    memset(a, 0, sizeof(int32_t) * (size_t)N);
    for (int k = 0; k < K; k++) {
      int32_t wv = w[(size_t)m * K + k];
      if (!wv) continue;
      const uint8_t *xr = x + (size_t)k * N;
      for (int n = 0; n < N; n++) a[n] += wv * (int32_t)xr[n];
    }
  }
}

void pp_nn_qmodel_free(pp_nn_qmodel *q) {
  if (!q) return;
  const pp_nn_model *m = q->m;
  for (int i = 0; i < q->nq; i++) {
    free(q->levels[i]);
    free(q->wscale[i]);
    free(q->bias[i]);
  }
  for (int t = 0; t <= m->nlayers; t++) free(q->ascale[t]);
  for (int i = 0; i < m->nlayers; i++) {
    free(q->mult[i]);
    free(q->shift[i]);
    free(q->cap[i]);
  }
  PP_FREE_ALL(q->ql, q->qidx, q->levels, q->wscale, q->bias, q->tkind, q->tscale, q->ascale, q->mult,
              q->shift, q->cap);
  free(q);
}

int pp_nn_qmodel_nlayers(const pp_nn_qmodel *q) { return q->nq; }
const pp_nn_qlayer *pp_nn_qmodel_layer(const pp_nn_qmodel *q, int i) {
  return (i >= 0 && i < q->nq) ? &q->ql[i] : NULL;
}

/* r = mult * 2^-shift with mult in [2^30, 2^31). */
static int fixed_point(double r, int64_t *mult, int *shift) {
  if (!(r > 0) || r >= (double)(1 << 30)) return -1;
  int ex;
  double f = frexp(r, &ex);
  int64_t mm = (int64_t)llround(f * 2147483648.0);
  int sh = 31 - ex;
  if (mm == 2147483648LL) mm /= 2, sh--;
  if (sh > 62) { /* so small that every product rounds to 0 */
    mm = 0;
    sh = 62;
  }
  *mult = mm;
  *shift = sh;
  return 0;
}

int pp_nn_qmodel_build(const pp_nn_model *m, pp_nn_qmodel **out, pp_err *e) {
  *out = NULL;
  pp_nn_qmodel *q = calloc(1, sizeof *q);
  if (!q) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  q->m = m;
  int NL = m->nlayers, st = PP_OK;
  q->ql = calloc((size_t)NL, sizeof *q->ql);
  q->qidx = malloc(sizeof(int) * (size_t)NL);
  q->levels = calloc((size_t)NL, sizeof(int8_t *));
  q->wscale = calloc((size_t)NL, sizeof(float *));
  q->bias = calloc((size_t)NL, sizeof(int32_t *));
  q->tkind = calloc((size_t)NL + 1, sizeof(int));
  q->tscale = calloc((size_t)NL + 1, sizeof(float));
  q->ascale = calloc((size_t)NL + 1, sizeof(double *));
  q->mult = calloc((size_t)NL, sizeof(int64_t *));
  q->shift = calloc((size_t)NL, sizeof(int *));
  q->cap = calloc((size_t)NL, sizeof(int32_t *));
  if (!q->ql || !q->qidx || !q->levels || !q->wscale || !q->bias || !q->tkind || !q->tscale || !q->ascale ||
      !q->mult || !q->shift || !q->cap) {
    free(q->ql), free(q->qidx), free(q->levels), free(q->wscale), free(q->bias), free(q->tkind);
    free(q->tscale), free(q->ascale), free(q->mult), free(q->shift), free(q->cap), free(q);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  nn_snap_table_a(m->q.a_allowed, q->atable);
  q->tkind[0] = T_U8;
  q->tscale[0] = 1.0f / 255.0f;
  q->t_max = (size_t)m->in_c * m->in_h * m->in_w;
  for (int i = 0; i < NL && !st; i++) {
    const pp_nn_layer *L = &m->layers[i];
    int tin = L->in, to = L->out, C = L->c;
    int kin = q->tkind[tin];
    size_t tsz = (size_t)L->c * L->h * L->w;
    if (tsz > q->t_max) q->t_max = tsz;
    q->qidx[i] = -1;
    switch (L->type) {
      case PP_NN_L_CONV:
      case PP_NN_L_FC: {
        if (kin != T_U8) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: input is not a uint8 activation", L->name);
          break;
        }
        int k = q->nq++;
        q->qidx[i] = k;
        pp_nn_qlayer *Q = &q->ql[k];
        int K = (int)(L->nw / (size_t)C);
        float *weff = malloc(L->nw * sizeof(float)), *beff = malloc((size_t)C * sizeof(float)),
              *fold = malloc((size_t)C * sizeof(float));
        q->levels[k] = malloc(L->nw);
        q->wscale[k] = malloc((size_t)C * sizeof(float));
        q->bias[k] = malloc((size_t)C * sizeof(int32_t));
        q->ascale[to] = malloc((size_t)C * sizeof(double));
        if (!weff || !beff || !fold || !q->levels[k] || !q->wscale[k] || !q->bias[k] || !q->ascale[to]) {
          free(weff), free(beff), free(fold);
          st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
          break;
        }
        nn_effective_weights(m, i, weff, beff, q->levels[k], q->wscale[k], fold);
        double s_in = q->tscale[tin];
        for (int c = 0; c < C; c++) {
          double sa = (double)q->wscale[k][c] * s_in;
          q->ascale[to][c] = sa;
          double b = round(beff[c] / sa);
          if (b > 2147483647.0 || b < -2147483648.0) {
            st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: bias does not fit int32", L->name);
            break;
          }
          q->bias[k][c] = (int32_t)b;
        }
        free(weff), free(beff), free(fold);
        Q->layer = i;
        Q->name = L->name;
        Q->kind = L->type == PP_NN_L_FC ? PP_NN_QGEMM_FC
                  : (L->groups > 1 && L->groups == L->ic && L->groups == C) ? PP_NN_QGEMM_DEPTHWISE
                                                                             : PP_NN_QGEMM_CONV;
        Q->M = C, Q->K = K, Q->groups = L->groups;
        Q->w = q->levels[k];
        Q->w_scale = q->wscale[k];
        Q->bias = q->bias[k];
        q->tkind[to] = T_ACC;
        if (L->type == PP_NN_L_CONV) {
          size_t cs = (size_t)L->groups * K * L->h * L->w;
          if (cs > q->col_max) q->col_max = cs;
        }
        break;
      }
      case PP_NN_L_BN:
        if (kin != T_ACC || tin < 1 || m->layers[tin - 1].bn != i) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: batch norm not directly after a conv/fc", L->name);
          break;
        }
        /* folded: the tensor passes through */
        q->tkind[to] = T_ACC;
        q->ascale[to] = malloc((size_t)C * sizeof(double));
        if (!q->ascale[to]) st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
        else memcpy(q->ascale[to], q->ascale[tin], (size_t)C * sizeof(double));
        break;
      case PP_NN_L_RELU:
      case PP_NN_L_RELU6:
      case PP_NN_L_MAXPOOL:
        q->tkind[to] = kin;
        q->tscale[to] = q->tscale[tin];
        if (kin == T_ACC) {
          q->ascale[to] = malloc((size_t)C * sizeof(double));
          if (!q->ascale[to]) {
            st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
            break;
          }
          memcpy(q->ascale[to], q->ascale[tin], (size_t)C * sizeof(double));
          if (L->type == PP_NN_L_RELU6) {
            q->cap[i] = malloc((size_t)C * sizeof(int32_t));
            if (!q->cap[i]) {
              st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
              break;
            }
            for (int c = 0; c < C; c++) {
              double cp = floor(6.0 / q->ascale[to][c]);
              q->cap[i][c] = cp > 2147483647.0 ? 2147483647 : (int32_t)cp;
            }
          }
        }
        break;
      case PP_NN_L_ACTQ: {
        if (kin != T_ACC) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: quantizer input is not an accumulator", L->name);
          break;
        }
        float r = m->bufs[L->range_off];
        if (!(r > 0)) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0,
                          "layer %s: activation range not calibrated (train the model first)", L->name);
          break;
        }
        q->tkind[to] = T_U8;
        q->tscale[to] = nn_tensor_scale(m, to);
        q->mult[i] = malloc((size_t)C * sizeof(int64_t));
        q->shift[i] = malloc((size_t)C * sizeof(int));
        if (!q->mult[i] || !q->shift[i]) {
          st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
          break;
        }
        for (int c = 0; c < C && !st; c++)
          if (fixed_point(q->ascale[tin][c] / q->tscale[to], &q->mult[i][c], &q->shift[i][c]))
            st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: requantization factor out of range", L->name);
        break;
      }
      case PP_NN_L_AVGPOOL:
      case PP_NN_L_GAP:
        if (kin != T_U8) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: pooling input is not uint8", L->name);
          break;
        }
        q->tkind[to] = T_U8;
        q->tscale[to] = q->tscale[tin];
        break;
      case PP_NN_L_ADD: {
        if (kin != T_ACC || q->tkind[L->in2] != T_U8) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: add needs an accumulator and a uint8 shortcut", L->name);
          break;
        }
        q->tkind[to] = T_ACC;
        q->ascale[to] = malloc((size_t)C * sizeof(double));
        q->mult[i] = malloc((size_t)C * sizeof(int64_t));
        if (!q->ascale[to] || !q->mult[i]) {
          st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
          break;
        }
        memcpy(q->ascale[to], q->ascale[tin], (size_t)C * sizeof(double));
        for (int c = 0; c < C; c++) {
          double f = (double)q->tscale[L->in2] / q->ascale[tin][c] * 65536.0;
          q->mult[i][c] = f > 4e18 ? (int64_t)4e18 : (int64_t)llround(f);
        }
        break;
      }
      case PP_NN_L_SOFTMAX: /* monotonic: applied to the dequantized logits at the end */
        if (i != NL - 1) {
          st = pp_err_set(e, PP_EINVAL, NULL, 0, "layer %s: a softmax has an integer form only as the last layer", L->name);
          break;
        }
        q->tkind[to] = kin;
        q->tscale[to] = q->tscale[tin];
        if (kin == T_ACC) {
          q->ascale[to] = malloc((size_t)C * sizeof(double));
          if (!q->ascale[to]) st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
          else memcpy(q->ascale[to], q->ascale[tin], (size_t)C * sizeof(double));
        }
        break;
      default: st = pp_err_set(e, PP_EINTERNAL, NULL, 0, "layer %s: no integer form", L->name);
    }
  }
  if (!st && NL > 0 && m->layers[NL - 1].h * m->layers[NL - 1].w != 1)
    st = pp_err_set(e, PP_EINVAL, NULL, 0, "the integer path needs a classifier output (%s gives %dx%dx%d per image)",
                    m->layers[NL - 1].name, m->layers[NL - 1].c, m->layers[NL - 1].h, m->layers[NL - 1].w);
  if (!st && q->tkind[NL] != T_ACC && q->tkind[NL] != T_U8)
    st = pp_err_set(e, PP_EINTERNAL, NULL, 0, "model output has no integer form");
  if (st) {
    pp_nn_qmodel_free(q);
    return st;
  }
  *out = q;
  return PP_OK;
}

/* ---- running one image ---------------------------------------------------------------- */
typedef struct qws {
  uint8_t **u8;   /* per tensor */
  int32_t **i32;  /* per tensor */
  uint8_t *col;
  int32_t *acc;
  uint64_t seen[256];
} qws;

static void qws_free(qws *w, int nt) {
  if (!w->u8) return;
  for (int t = 0; t < nt; t++) {
    free(w->u8[t]);
    free(w->i32[t]);
  }
  PP_FREE_ALL(w->u8, w->i32, w->col, w->acc);
}

static int qws_alloc(const pp_nn_qmodel *q, qws *w) {
  int nt = q->m->nlayers + 1;
  memset(w, 0, sizeof *w);
  w->u8 = calloc((size_t)nt, sizeof(uint8_t *));
  w->i32 = calloc((size_t)nt, sizeof(int32_t *));
  w->col = malloc(q->col_max + 1);
  w->acc = malloc(sizeof(int32_t) * (q->t_max + 1));
  if (!w->u8 || !w->i32 || !w->col || !w->acc) return -1;
  for (int t = 0; t < nt; t++) {
    const pp_nn_model *m = q->m;
    size_t n = t == 0 ? (size_t)m->in_c * m->in_h * m->in_w
                      : (size_t)m->layers[t - 1].c * m->layers[t - 1].h * m->layers[t - 1].w;
    if (q->tkind[t] == T_U8 && !(w->u8[t] = malloc(n))) return -1;
    if (q->tkind[t] == T_ACC && !(w->i32[t] = malloc(n * sizeof(int32_t)))) return -1;
  }
  return 0;
}

/* uint8 im2col of one image (C x H x W) for every group: groups x K x N. */
static void qim2col(const pp_nn_layer *L, const uint8_t *x, uint8_t *col) {
  int kk = L->k * L->k, N = L->h * L->w, cg = L->ic / L->groups, K = cg * kk;
  for (int g = 0; g < L->groups; g++)
    for (int r = 0; r < K; r++) {
      int ci = g * cg + r / kk, ky = (r % kk) / L->k, kx = (r % kk) % L->k;
      uint8_t *cp = col + ((size_t)g * K + r) * N;
      for (int oy = 0; oy < L->h; oy++) {
        int iy = oy * L->stride - L->pad + ky;
        for (int ox = 0; ox < L->w; ox++) {
          int ix = ox * L->stride - L->pad + kx;
          cp[oy * L->w + ox] =
              (iy >= 0 && iy < L->ih && ix >= 0 && ix < L->iw) ? x[((size_t)ci * L->ih + iy) * L->iw + ix] : 0;
        }
      }
    }
}

static int run_image(const pp_nn_qmodel *q, const pp_nn_data *d, int img, qws *w, pp_nn_qgemm_hook hook,
                     void *ctx, float *logits, int *pred, pp_err *e) {
  const pp_nn_model *m = q->m;
  /* input: pixel levels centred in the model input (scale 1/255) */
  uint8_t *x0 = w->u8[0];
  memset(x0, 0, (size_t)m->in_c * m->in_h * m->in_w);
  int oy = (m->in_h - d->h) / 2, ox = (m->in_w - d->w) / 2;
  const uint8_t *src = d->x + (size_t)img * d->c * d->h * d->w;
  for (int c = 0; c < d->c && c < m->in_c; c++)
    for (int y = 0; y < d->h; y++)
      memcpy(x0 + ((size_t)c * m->in_h + y + oy) * m->in_w + ox, src + ((size_t)c * d->h + y) * d->w, (size_t)d->w);
  for (int i = 0; i < m->nlayers; i++) {
    const pp_nn_layer *L = &m->layers[i];
    int tin = L->in, to = L->out, C = L->c, HW = L->h * L->w;
    size_t n = (size_t)C * HW;
    switch (L->type) {
      case PP_NN_L_CONV:
      case PP_NN_L_FC: {
        const pp_nn_qlayer *Q = &q->ql[q->qidx[i]];
        const uint8_t *xin = w->u8[tin];
        int N = L->type == PP_NN_L_FC ? 1 : HW, G = Q->groups, Mg = Q->M / G;
        const uint8_t *col = xin;
        if (L->type == PP_NN_L_CONV && !(L->k == 1 && L->stride == 1 && L->pad == 0)) {
          qim2col(L, xin, w->col);
          col = w->col;
        }
        for (int g = 0; g < G; g++)
          nn_qgemm(Mg, Q->K, N, Q->w + (size_t)g * Mg * Q->K, col + (size_t)g * Q->K * N, w->acc + (size_t)g * Mg * N);
        if (hook) {
          pp_nn_qgemm gm = {i, L->name, Q->kind, G, Q->M, Q->K, N, Q->w, col, w->acc};
          if (hook(&gm, ctx)) return pp_err_set(e, PP_ECHECK, NULL, 0, "the qgemm hook stopped the run at layer %s", L->name);
        }
        int32_t *o = w->i32[to];
        for (int c = 0; c < C; c++)
          for (int p = 0; p < N; p++) o[(size_t)c * N + p] = w->acc[(size_t)c * N + p] + Q->bias[c];
        break;
      }
      case PP_NN_L_BN: memcpy(w->i32[to], w->i32[tin], n * sizeof(int32_t)); break;
      case PP_NN_L_SOFTMAX:
        if (q->tkind[tin] == T_U8) memcpy(w->u8[to], w->u8[tin], n);
        else memcpy(w->i32[to], w->i32[tin], n * sizeof(int32_t));
        break;
      case PP_NN_L_RELU:
      case PP_NN_L_RELU6:
        if (q->tkind[tin] == T_U8) {
          memcpy(w->u8[to], w->u8[tin], n);
        } else {
          const int32_t *a = w->i32[tin];
          int32_t *o = w->i32[to];
          for (int c = 0; c < C; c++) {
            int32_t cp = q->cap[i] ? q->cap[i][c] : INT32_MAX;
            for (int p = 0; p < HW; p++) {
              int32_t v = a[(size_t)c * HW + p];
              o[(size_t)c * HW + p] = v < 0 ? 0 : v > cp ? cp : v;
            }
          }
        }
        break;
      case PP_NN_L_ACTQ: {
        const int32_t *a = w->i32[tin];
        uint8_t *o = w->u8[to];
        for (int c = 0; c < C; c++) {
          int64_t mu = q->mult[i][c];
          int sh = q->shift[i][c];
          int64_t half = (int64_t)1 << (sh - 1);
          for (int p = 0; p < HW; p++) {
            int64_t v = ((int64_t)a[(size_t)c * HW + p] * mu + half) >> sh;
            int l = v < 0 ? 0 : v > 255 ? 255 : (int)v;
            o[(size_t)c * HW + p] = q->atable[l];
          }
        }
        break;
      }
      case PP_NN_L_MAXPOOL: {
        int k = L->k, s = L->stride;
        for (int c = 0; c < C; c++)
          for (int yy = 0; yy < L->h; yy++)
            for (int xx = 0; xx < L->w; xx++) {
              size_t o = (size_t)c * HW + (size_t)yy * L->w + xx;
              if (q->tkind[tin] == T_U8) {
                int best = 0;
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++) {
                    int v = w->u8[tin][((size_t)c * L->ih + (size_t)yy * s + ky) * L->iw + (size_t)xx * s + kx];
                    best = v > best ? v : best;
                  }
                w->u8[to][o] = (uint8_t)best;
              } else {
                int32_t best = INT32_MIN;
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++) {
                    int32_t v = w->i32[tin][((size_t)c * L->ih + (size_t)yy * s + ky) * L->iw + (size_t)xx * s + kx];
                    best = v > best ? v : best;
                  }
                w->i32[to][o] = best;
              }
            }
        break;
      }
      case PP_NN_L_AVGPOOL:
      case PP_NN_L_GAP: {
        int k = L->type == PP_NN_L_GAP ? L->ih : L->k, kx2 = L->type == PP_NN_L_GAP ? L->iw : L->k;
        int s = L->type == PP_NN_L_GAP ? 1 : L->stride, cnt = k * kx2;
        for (int c = 0; c < C; c++)
          for (int yy = 0; yy < L->h; yy++)
            for (int xx = 0; xx < L->w; xx++) {
              int sum = 0;
              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < kx2; kx++) sum += w->u8[tin][((size_t)c * L->ih + (size_t)yy * s + ky) * L->iw + (size_t)xx * s + kx];
              int l = (2 * sum + cnt) / (2 * cnt); /* floor(sum/cnt + 1/2) */
              w->u8[to][(size_t)c * HW + (size_t)yy * L->w + xx] = q->atable[l > 255 ? 255 : l];
            }
        break;
      }
      case PP_NN_L_ADD: {
        const pp_nn_layer *S = L->in2 ? &m->layers[L->in2 - 1] : NULL;
        int C2 = S ? S->c : m->in_c, H2 = S ? S->h : m->in_h, W2 = S ? S->w : m->in_w;
        int st = H2 / L->h, off = (C - C2) / 2;
        const int32_t *a = w->i32[tin];
        const uint8_t *b = w->u8[L->in2];
        int32_t *o = w->i32[to];
        for (int c = 0; c < C; c++) {
          int c2 = c - off;
          for (int yy = 0; yy < L->h; yy++)
            for (int xx = 0; xx < L->w; xx++) {
              size_t p = (size_t)c * HW + (size_t)yy * L->w + xx;
              int64_t v = a[p];
              if (c2 >= 0 && c2 < C2)
                v += ((int64_t)b[((size_t)c2 * H2 + (size_t)yy * st) * W2 + (size_t)xx * st] * q->mult[i][c] + 32768) >> 16;
              o[p] = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
            }
        }
        break;
      }
    }
    if (q->tkind[to] == T_U8 && (L->type == PP_NN_L_ACTQ || L->type == PP_NN_L_AVGPOOL || L->type == PP_NN_L_GAP))
      for (size_t k = 0; k < n; k++) w->seen[w->u8[to][k]]++;
  }
  int t = m->nlayers, K = m->classes, best = 0;
  float bv = 0;
  for (int c = 0; c < K; c++) {
    float v = q->tkind[t] == T_ACC ? (float)(w->i32[t][c] * q->ascale[t][c]) : (float)w->u8[t][c] * q->tscale[t];
    if (logits) logits[c] = v;
    if (c == 0 || v > bv) bv = v, best = c;
  }
  if (pred) *pred = best;
  if (logits && m->nlayers && m->layers[m->nlayers - 1].type == PP_NN_L_SOFTMAX) {
    double sum = 0;
    for (int c = 0; c < K; c++) sum += exp((double)logits[c] - bv);
    for (int c = 0; c < K; c++) logits[c] = (float)(exp((double)logits[c] - bv) / sum);
  }
  return PP_OK;
}

int pp_nn_qrun(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count,
               pp_nn_qgemm_hook hook, void *ctx, float *logits, int *pred, uint64_t *acts_seen,
               pp_err *e) {
  const pp_nn_model *m = q->m;
  if (first < 0 || count < 0 || first + count > d->n)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "images %d..%d outside the %d of data set %s", first,
                      first + count - 1, d->n, d->name);
  if (d->c != m->in_c || d->h > m->in_h || d->w > m->in_w)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "data %s (%dx%dx%d) does not fit model %s", d->name, d->c, d->h,
                      d->w, m->arch);
  int nt = m->nlayers + 1, st = PP_OK, K = m->classes;
  if (hook) { /* one thread, image order */
    qws w;
    if (qws_alloc(q, &w)) {
      qws_free(&w, nt);
      return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    }
    for (int i = 0; i < count && !st; i++)
      st = run_image(q, d, first + i, &w, hook, ctx, logits ? logits + (size_t)i * K : NULL, pred ? pred + i : NULL, e);
    if (acts_seen)
      for (int v = 0; v < 256; v++) acts_seen[v] += w.seen[v];
    qws_free(&w, nt);
    return st;
  }
  int oom = 0;
#pragma omp parallel reduction(| : oom)
  {
    qws w;
    if (qws_alloc(q, &w)) {
      oom = 1;
    } else {
#pragma omp for schedule(dynamic, 16)
      for (int i = 0; i < count; i++)
        run_image(q, d, first + i, &w, NULL, NULL, logits ? logits + (size_t)i * K : NULL, pred ? pred + i : NULL, NULL);
#pragma omp critical
      if (acts_seen)
        for (int v = 0; v < 256; v++) acts_seen[v] += w.seen[v];
    }
    qws_free(&w, nt);
  }
  if (oom) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  return PP_OK;
}

int pp_nn_qcompare_run(pp_nn_model *m, const pp_nn_data *d, int first, int count,
                       pp_nn_qcompare *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (first < 0 || count <= 0 || first + count > d->n)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "bad image range");
  pp_nn_data sub = *d;
  sub.x = d->x + (size_t)first * d->c * d->h * d->w;
  sub.y = d->y + first;
  sub.n = count;
  int K = m->classes, qat = m->q.qat, st;
  /* il and pred zeroed: pp_nn_qrun fills them inside an OpenMP loop the analyzer cannot follow. */
  float *fl = malloc(sizeof(float) * (size_t)count * K), *il = calloc((size_t)count * K, sizeof(float));
  int *pred = calloc((size_t)count, sizeof(int));
  pp_nn_qmodel *q = NULL;
  if (!fl || !il || !pred) {
    st = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    goto out;
  }
  m->q.qat = 1; /* the fake-quantized float path */
  st = pp_nn_eval(m, &sub, &out->float_accuracy, NULL, fl, e);
  m->q.qat = qat;
  if (st) goto out;
  st = pp_nn_qmodel_build(m, &q, e);
  if (!st) st = pp_nn_qrun(q, &sub, 0, count, NULL, NULL, il, pred, NULL, e);
  if (st) goto out;
  long agree = 0, hits = 0;
  for (int i = 0; i < count; i++) {
    int fa = 0;
    for (int k = 0; k < K; k++) {
      double dd = fabs((double)fl[(size_t)i * K + k] - il[(size_t)i * K + k]);
      if (dd > out->max_logit_diff) out->max_logit_diff = dd;
      if (fl[(size_t)i * K + k] > fl[(size_t)i * K + fa]) fa = k;
    }
    agree += fa == pred[i];
    hits += pred[i] == sub.y[i];
  }
  out->n = count;
  out->argmax_agree = 100.0 * (double)agree / count;
  out->int_accuracy = 100.0 * (double)hits / count;
out:
  pp_nn_qmodel_free(q);
  free(fl);
  free(il);
  free(pred);
  return st;
}

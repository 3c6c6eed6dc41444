/* nn/quant: fake quantization (weights int8 symmetric, 255 levels; uint8
 * activations), allowed value sets and their snap rules, magnitude pruning. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* ---- allowed sets ----------------------------------------------------------- */
int pp_nn_eval_restricted(pp_nn_model *m, const pp_nn_data *d, int max_images, const uint8_t W[255],
                          const uint8_t A[256], double *accuracy, pp_err *e) {
  uint8_t w0[255], a0[256];
  memcpy(w0, m->q.w_allowed, 255);
  memcpy(a0, m->q.a_allowed, 256);
  memcpy(m->q.w_allowed, W, 255);
  memcpy(m->q.a_allowed, A, 256);
  m->q.w_allowed[127] = 1;
  m->q.a_allowed[0] = 1;
  pp_nn_data sub = *d;
  if (max_images > 0 && sub.n > max_images) sub.n = max_images;
  double loss;
  int rc = pp_nn_eval(m, &sub, accuracy, &loss, NULL, e);
  memcpy(m->q.w_allowed, w0, 255);
  memcpy(m->q.a_allowed, a0, 256);
  return rc;
}

int pp_nn_snap_weight(const uint8_t w_allowed[255], int level) {
  if (level < -127) level = -127;
  if (level > 127) level = 127;
  if (w_allowed[level + 127] || level == 0) return level;
  /* search outward; at equal distance the smaller magnitude wins */
  for (int d = 1; d <= 254; d++) {
    int toward = level > 0 ? level - d : level + d; /* toward zero first */
    int away = level > 0 ? level + d : level - d;
    if (toward >= -127 && toward <= 127 && (toward == 0 || w_allowed[toward + 127])) return toward;
    if (away >= -127 && away <= 127 && w_allowed[away + 127]) return away;
  }
  return 0;
}

int pp_nn_snap_act(const uint8_t a_allowed[256], int level) {
  if (level < 0) level = 0;
  if (level > 255) level = 255;
  if (a_allowed[level] || level == 0) return level;
  for (int d = 1; d <= 255; d++) {
    if (level - d >= 0 && (level - d == 0 || a_allowed[level - d])) return level - d; /* ties: smaller */
    if (level + d <= 255 && a_allowed[level + d]) return level + d;
  }
  return 0;
}

void nn_snap_table_w(const uint8_t w_allowed[255], int8_t table[255]) {
  for (int v = -127; v <= 127; v++) table[v + 127] = (int8_t)pp_nn_snap_weight(w_allowed, v);
}

void nn_snap_table_a(const uint8_t a_allowed[256], uint8_t table[256]) {
  for (int v = 0; v <= 255; v++) table[v] = (uint8_t)pp_nn_snap_act(a_allowed, v);
}

int pp_nn_read_allowed(const char *path, int weights, uint8_t *allowed, pp_err *e) {
  char *data;
  size_t len;
  int st = pp_read_file(path, &data, &len, e);
  if (st) return st;
  int lo = weights ? -127 : 0, hi = weights ? 127 : 255, off = weights ? 127 : 0;
  memset(allowed, 0, weights ? 255 : 256);
  allowed[off] = 1; /* 0 is always allowed */
  int line = 1;
  char *p = data;
  while (*p) {
    if (*p == '\n') {
      line++, p++;
      continue;
    }
    if (*p == '#') {
      while (*p && *p != '\n') p++;
      continue;
    }
    if (isspace((unsigned char)*p) || *p == ',') {
      p++;
      continue;
    }
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || (*end && !isspace((unsigned char)*end) && *end != ',' && *end != '#')) {
      char tok[32];
      int k = 0;
      while (p[k] && !isspace((unsigned char)p[k]) && k < 31) tok[k] = p[k], k++;
      tok[k] = 0;
      st = pp_err_set(e, PP_EPARSE, path, line, "expected an integer in %d..%d, got '%s'", lo, hi, tok);
      break;
    }
    if (v < lo || v > hi) {
      st = pp_err_set(e, PP_EPARSE, path, line, "value %ld out of range: %s levels are %d..%d", v,
                      weights ? "weight" : "activation", lo, hi);
      break;
    }
    allowed[v + off] = 1;
    p = end;
  }
  free(data);
  return st;
}

/* ---- fake quantization ---------------------------------------------------------- */
/* Weights: scale = max|w| / 127 (per row or per tensor); level = round half
 * away from zero of w/scale, clamped to +-127, snapped to the allowed set. */
void nn_quant_weights(const float *w, int M, int K, int per_channel, const uint8_t *w_allowed,
                      float *wq, int8_t *levels, float *scale) {
  int8_t table[255];
  nn_snap_table_w(w_allowed, table);
  float gmax = 0;
  if (!per_channel)
    for (size_t i = 0; i < (size_t)M * K; i++) gmax = fabsf(w[i]) > gmax ? fabsf(w[i]) : gmax;
  for (int m = 0; m < M; m++) {
    float amax = gmax;
    if (per_channel) {
      amax = 0;
      for (int k = 0; k < K; k++) amax = fabsf(w[(size_t)m * K + k]) > amax ? fabsf(w[(size_t)m * K + k]) : amax;
    }
    float s = amax > 0 ? amax / 127.0f : 1.0f;
    scale[m] = s;
    for (int k = 0; k < K; k++) {
      size_t i = (size_t)m * K + k;
      long l = lroundf(w[i] / s);
      l = l < -127 ? -127 : l > 127 ? 127 : l;
      int q = table[l + 127];
      if (levels) levels[i] = (int8_t)q;
      if (wq) wq[i] = (float)q * s;
    }
  }
}

/* Activations: level = floor(x/s + 1/2) clamped to 0..255 (round half up, as
 * the integer requantization does), snapped to the allowed set. */
void nn_actq_forward(size_t n, const float *x, float *y, float range, const uint8_t *a_allowed) {
  uint8_t table[256];
  nn_snap_table_a(a_allowed, table);
  float s = range > 1e-12f ? range / 255.0f : 1e-12f / 255.0f;
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
  for (size_t i = 0; i < n; i++) {
    float l = floorf(x[i] / s + 0.5f);
    int q = l < 0 ? 0 : l > 255 ? 255 : (int)l;
    y[i] = (float)table[q] * s;
  }
}

float nn_tensor_scale(const pp_nn_model *m, int t) {
  if (t == 0) return 1.0f / 255.0f;
  const pp_nn_layer *L = &m->layers[t - 1];
  switch (L->type) {
    case PP_NN_L_ACTQ: {
      float r = m->bufs[L->range_off];
      if (L->cap > 0 && r > L->cap) r = L->cap;
      return r > 1e-12f ? r / 255.0f : 1e-12f / 255.0f;
    }
    case PP_NN_L_MAXPOOL:
    case PP_NN_L_AVGPOOL:
    case PP_NN_L_GAP: return nn_tensor_scale(m, L->in);
    default: return 0;
  }
}

void nn_effective_weights(const pp_nn_model *m, int li, float *w_eff, float *b_eff, int8_t *levels,
                          float *scale, float *fold) {
  const pp_nn_layer *L = &m->layers[li];
  int M = L->c, K = (int)(L->nw / (size_t)M);
  const float *w = m->params + L->w_off;
  for (int c = 0; c < M; c++) {
    float bias = L->has_bias ? m->params[L->b_off + c] : 0.0f, f = 1.0f;
    if (L->bn >= 0) {
      const pp_nn_layer *N = &m->layers[L->bn];
      float is = 1.0f / sqrtf(m->bufs[N->var_off + c] + NN_BN_EPS);
      f = m->params[N->g_off + c] * is;
      bias = m->params[N->beta_off + c] + (bias - m->bufs[N->mean_off + c]) * f;
    }
    fold[c] = f;
    b_eff[c] = bias;
    for (int k = 0; k < K; k++) w_eff[(size_t)c * K + k] = w[(size_t)c * K + k] * f;
  }
  nn_quant_weights(w_eff, M, K, m->q.per_channel, m->q.w_allowed, w_eff, levels, scale);
  float s_in = nn_tensor_scale(m, L->in);
  if (s_in > 0)
    for (int c = 0; c < M; c++) {
      double g = (double)scale[c] * s_in;
      b_eff[c] = (float)(round(b_eff[c] / g) * g);
    }
}

/* ---- pruning ------------------------------------------------------------------------ */
static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* Prunes the smallest magnitudes (already-pruned weights count as pruned). */
static int prune_set(pp_nn_model *m, const int *layers, int nl, double sparsity, pp_err *e) {
  size_t total = 0;
  for (int i = 0; i < nl; i++) total += m->layers[layers[i]].nw;
  if (!total) return PP_OK;
  float *mag = malloc(total * sizeof(float));
  if (!mag) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  size_t k = 0;
  for (int i = 0; i < nl; i++) {
    const pp_nn_layer *L = &m->layers[layers[i]];
    for (size_t j = 0; j < L->nw; j++)
      mag[k++] = m->mask[L->w_off + j] ? fabsf(m->params[L->w_off + j]) : -1.0f;
  }
  size_t target = (size_t)llround(sparsity * (double)total);
  if (target > 0) {
    qsort(mag, total, sizeof(float), cmp_float);
    float thr = mag[target - 1];
    /* exactly `target` weights: below thr all go, at thr as many as needed */
    size_t below = 0;
    for (size_t j = 0; j < total; j++) below += mag[j] < thr;
    size_t at_left = target - below;
    for (int i = 0; i < nl; i++) {
      const pp_nn_layer *L = &m->layers[layers[i]];
      for (size_t j = 0; j < L->nw; j++) {
        size_t p = L->w_off + j;
        float a = m->mask[p] ? fabsf(m->params[p]) : -1.0f;
        if (a < thr || (a == thr && at_left > 0)) {
          if (a == thr) at_left--;
          m->mask[p] = 0;
          m->params[p] = 0;
        }
      }
    }
  }
  free(mag);
  return PP_OK;
}

int pp_nn_prune(pp_nn_model *m, double sparsity, int global, pp_err *e) {
  if (!(sparsity >= 0 && sparsity < 1)) return pp_err_set(e, PP_EINVAL, NULL, 0, "sparsity %g: expected 0 <= s < 1", sparsity);
  int *ls = malloc(sizeof(int) * (size_t)m->nlayers), n = 0;
  if (!ls) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (int i = 0; i < m->nlayers; i++)
    if (m->layers[i].type == PP_NN_L_CONV || m->layers[i].type == PP_NN_L_FC) ls[n++] = i;
  int st = PP_OK;
  if (global) {
    st = prune_set(m, ls, n, sparsity, e);
  } else {
    for (int i = 0; i < n && !st; i++) st = prune_set(m, ls + i, 1, sparsity, e);
  }
  free(ls);
  return st;
}

size_t pp_nn_layer_pruned(const pp_nn_model *m, int layer) {
  const pp_nn_layer *L = &m->layers[layer];
  size_t zero = 0;
  if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) return 0;
  for (size_t j = 0; j < L->nw; j++) zero += !m->mask[L->w_off + j];
  return zero;
}

double pp_nn_sparsity(const pp_nn_model *m) {
  size_t tot = 0, zero = 0;
  for (int i = 0; i < m->nlayers; i++) {
    const pp_nn_layer *L = &m->layers[i];
    if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
    zero += pp_nn_layer_pruned(m, i);
    tot += L->nw;
  }
  return tot ? (double)zero / (double)tot : 0;
}

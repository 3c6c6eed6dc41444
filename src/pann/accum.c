/* pann/accum: signed against split (w = w+ - w-, unsigned) accumulation on
 * the real accumulator streams of module nn's int8 path, the adder simulated
 * at gate level on an evenly spaced subsample of each stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pann_internal.h"

void pp_pann_accum_defaults(pp_pann_accum_opts *o) {
  memset(o, 0, sizeof *o);
  o->acc_bits = 22;
  o->adder_arch = PP_MAC_ADDER_DEFAULT;
  o->images = 2;
  o->dataflow = PP_PANN_SEQUENTIAL;
  o->max_transitions = 4000;
  o->rows = 64;
  o->seed = 1;
}

typedef struct gmat { /* one (layer, group) product over all images */
  int layer, grp, M, K, T;
  int32_t *W;  /* K x M */
  int32_t *A;  /* T x K, grows */
  int capT;
} gmat;

typedef struct acol {
  gmat *g;
  int n, cap;
  int st;
} acol;

static int collect_hook(const pp_nn_qgemm *q, void *vctx) {
  acol *c = vctx;
  int Mg = q->M / q->groups;
  for (int grp = 0; grp < q->groups; grp++) {
    gmat *g = NULL;
    for (int i = 0; i < c->n; i++)
      if (c->g[i].layer == q->layer && c->g[i].grp == grp) g = &c->g[i];
    if (!g) {
      if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 16;
        gmat *ng = realloc(c->g, sizeof *ng * (size_t)nc);
        if (!ng) return c->st = PP_ENOMEM;
        c->g = ng;
        c->cap = nc;
      }
      g = &c->g[c->n++];
      memset(g, 0, sizeof *g);
      g->layer = q->layer, g->grp = grp, g->M = Mg, g->K = q->K;
      if (!(g->W = malloc(sizeof(int32_t) * (size_t)Mg * q->K))) return c->st = PP_ENOMEM;
      for (int m = 0; m < Mg; m++)
        for (int k = 0; k < q->K; k++) g->W[(size_t)k * Mg + m] = q->w[(size_t)(grp * Mg + m) * q->K + k];
    }
    if (g->T + q->N > g->capT) {
      int nc = (g->T + q->N) * 2;
      int32_t *na = realloc(g->A, sizeof(int32_t) * (size_t)nc * g->K);
      if (!na) return c->st = PP_ENOMEM;
      g->A = na;
      g->capT = nc;
    }
    const uint8_t *x = q->x + (size_t)grp * q->K * q->N;
    for (int t = 0; t < q->N; t++)
      for (int k = 0; k < q->K; k++) g->A[(size_t)(g->T + t) * g->K + k] = x[(size_t)k * q->N + t];
    g->T += q->N;
  }
  return 0;
}

/* Simulated energy of a stream, from an evenly spaced subsample of at most
 * maxn transitions, scaled to all of them. Also the model's figure when am. */
static int stream_energy(part *p, const pp_pann_acc_stream *s, long maxn, double *E, long *nsim, pp_err *e) {
  *E = 0;
  *nsim = 0;
  if (s->n < 2) return PP_OK;
  long ntr = s->n - 1, step = ntr / maxn + 1;
  int64_t v[4];
  double en;
  double sum = 0;
  long k = 0;
  for (long t = 1; t < s->n; t += step) {
    v[0] = s->x[t - 1], v[1] = s->p[t - 1], v[2] = s->x[t], v[3] = s->p[t];
    int st = pann_part_stream(p, v, 2, &en, e);
    if (st) return st;
    sum += en;
    k++;
  }
  *E = sum / (double)k * (double)ntr;
  *nsim = k;
  return PP_OK;
}

int pp_pann_accum_trace(const pp_lib *lib, const pp_nn_qmodel *q, const pp_nn_data *d, const pp_pann_accum_opts *o,
                        pp_pann_accum_result *r, pp_err *e) {
  memset(r, 0, sizeof *r);
  if (o->images < 1 || o->images > d->n) return pp_err_set(e, PP_EINVAL, "", 0, "accum: 1..%d images", d->n);
  acol c = {0};
  int st = pp_nn_qrun(q, d, 0, o->images, collect_hook, &c, NULL, NULL, NULL, e);
  if (!st && c.st) st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory collecting the integer products");
  part p = {0};
  /* only the adder is built: the multiplier architecture does not shape it */
  if (!st) st = pann_part_build(lib, PP_MAC_ADDER, 8, 8, o->acc_bits, PP_MAC_MULT_DEFAULT, o->adder_arch, &p, e);
  /* the streams of all layers, per accumulator; each layer's share of the
   * simulated transitions follows its share of the stream */
  long total[3] = {0, 0, 0};
  pp_pann_acc_stream *S = NULL;
  if (!st) S = calloc((size_t)c.n * 3, sizeof *S);
  if (!st && !S) st = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  for (int i = 0; i < c.n && !st; i++) {
    gmat *g = &c.g[i];
    r->macs += (double)g->M * g->K * g->T;
    pp_pann_acc_stream tmp2[2] = {{0}};
    st = pp_pann_layer_acc_streams(g->A, g->W, g->T, g->K, g->M, o->dataflow, PP_PANN_SIGNED, o->acc_bits, o->rows, 0,
                                   tmp2, e);
    S[(size_t)3 * i] = tmp2[0];
    pp_pann_acc_stream_free(&tmp2[1]);
    if (st) break;
    pp_pann_acc_stream u[2] = {{0}};
    st = pp_pann_layer_acc_streams(g->A, g->W, g->T, g->K, g->M, o->dataflow, PP_PANN_SPLIT, o->acc_bits, o->rows, 0, u, e);
    S[(size_t)3 * i + 1] = u[0];
    S[(size_t)3 * i + 2] = u[1];
    for (int k = 0; k < 3; k++) total[k] += S[3 * i + k].n;
  }
  double Es = 0, Eu = 0;
  for (int i = 0; i < c.n && !st; i++)
    for (int k = 0; k < 3; k++) {
      const pp_pann_acc_stream *s = &S[3 * i + k];
      long tot = k == 0 ? total[0] : total[1] + total[2];
      long share = tot ? (long)((double)o->max_transitions * (double)s->n / (double)tot) + 1 : 1;
      double E;
      long ns;
      if ((st = stream_energy(&p, s, share, &E, &ns, e))) break;
      if (k == 0) Es += E, r->sim_signed += ns;
      else Eu += E, r->sim_split += ns;
    }
  if (!st && r->macs > 0) {
    r->signed_fj_per_mac = Es / r->macs;
    r->split_fj_per_mac = Eu / r->macs;
  }
  if (S)
    for (int i = 0; i < 3 * c.n; i++) pp_pann_acc_stream_free(&S[i]);
  free(S);
  for (int i = 0; i < c.n; i++) {
    free(c.g[i].W);
    free(c.g[i].A);
  }
  free(c.g);
  pann_part_free(&p);
  return st;
}

/* array/sim: streaming integer products through the weight-stationary array
 * (model and counting rule in include/pp/array.h). Two engines:
 *  - fast: per tile, the activation sequence of PE(r, c) is row r of X for
 *    every column, so its transitions are counted once per row and weighted
 *    by the number of used columns; the partial-sum sequence of PE(r, c) is
 *    the running column sum, computed column by column (OpenMP across
 *    columns, per-thread bin histograms merged by integer addition);
 *  - naive: every register of every PE simulated cycle by cycle with valid
 *    bits, the reference the fast engine is tested against.
 * The reservoir is Li's Algorithm L over a global event index defined per
 * tile as (c*R + r)*N_out + n, so both engines pick the same events. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "pp/util_mem.h"

typedef struct pick {
  uint64_t idx;  /* event index within the tile */
  uint32_t slot; /* reservoir slot it replaces */
  pp_array_tuple t;
} pick;

struct pp_array_sim {
  pp_array_opts o;
  int A, W, B;
  int calibrating; /* no bins yet: partial-sum bins not counted */
  pp_array_stats *st;
  uint8_t *pe_a; /* A*A: activation input register of PE(r, c) at [r*A + c] */
  int32_t *pe_p; /* A*A: partial-sum input register */
  /* reservoir (Algorithm L) */
  pp_rng rng;
  uint64_t ev;        /* events so far (global index base of the next tile) */
  uint64_t next_pick; /* global index of the next event to sample */
  double resW;
  pick *picks;
  size_t npicks, cap_picks;
  /* scratch */
  int8_t *wp;
  size_t wp_cap;
  int32_t *out;
  size_t out_cap;
  int nthreads;
  uint64_t *thr_bin; /* nthreads * B * B */
  int32_t *thr_P;    /* nthreads * N: a column's partial sums for every vector */
  size_t thr_P_cap;
  pp_err herr; /* first error seen by the nn hook adapter */
  char first_mismatch[200];
};

void pp_array_opts_defaults(pp_array_opts *o) {
  memset(o, 0, sizeof *o);
  o->size = 64;
  o->bins = 50;
  o->reservoir = 100000;
  o->calib_images = 5;
  o->seed = 1;
}

static void reservoir_reset(pp_array_sim *s) {
  pp_rng_seed(&s->rng, s->o.seed ^ 0x7265736572766f69ull);
  s->ev = 0;
  s->next_pick = 0;
  s->resW = 1.0;
  s->st->nres = 0;
  s->st->events = 0;
}

static double unif_open(pp_rng *r) {
  double u;
  do u = pp_rng_uniform(r);
  while (u <= 0.0);
  return u;
}

/* Advances next_pick once the reservoir is full (Algorithm L). */
static void reservoir_skip(pp_array_sim *s) {
  int k = s->o.reservoir;
  double l = log(1.0 - s->resW);
  double sk = l < 0 ? floor(log(unif_open(&s->rng)) / l) : 4e18;
  if (!(sk < 4e18)) sk = 4e18;
  s->next_pick += (uint64_t)sk + 1;
  s->resW *= exp(log(unif_open(&s->rng)) / k);
}

/* Picks of the events [ev, ev + E) of the next tile, in index order. */
static int make_picks(pp_array_sim *s, uint64_t E) { /* appends to s->picks */
  uint32_t k = (uint32_t)s->o.reservoir;
  if (k == 0) return PP_OK;
  while (s->next_pick < s->ev + E) {
    if (s->npicks == s->cap_picks) {
      size_t nc = s->cap_picks ? s->cap_picks * 2 : 1024;
      pick *np = realloc(s->picks, nc * sizeof *np);
      if (!np) return PP_ENOMEM;
      s->picks = np;
      s->cap_picks = nc;
    }
    pick *p = &s->picks[s->npicks++];
    p->idx = s->next_pick - s->ev;
    if (s->st->nres < k) {
      p->slot = s->st->nres++;
      if (s->st->nres < k) {
        s->next_pick++;
      } else { /* full: start skipping */
        s->resW = exp(log(unif_open(&s->rng)) / k);
        reservoir_skip(s);
      }
    } else {
      p->slot = pp_rng_below(&s->rng, k);
      reservoir_skip(s);
    }
  }
  return PP_OK;
}

static void apply_picks(pp_array_sim *s) {
  for (size_t i = 0; i < s->npicks; i++) s->st->res[s->picks[i].slot] = s->picks[i].t;
}

int pp_array_sim_create(const pp_array_opts *o, pp_array_sim **out, pp_err *e) {
  *out = NULL;
  pp_array_opts d;
  if (!o) {
    pp_array_opts_defaults(&d);
    o = &d;
  }
  if (o->size < 1 || o->size > PP_ARRAY_MAX_SIZE)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: size %d (expected 1..%d)", o->size, PP_ARRAY_MAX_SIZE);
  if (o->bins < 1 || o->bins > PP_ARRAY_MAX_BINS)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: %d bins (expected 1..%d)", o->bins, PP_ARRAY_MAX_BINS);
  if (o->reservoir < 0 || o->reservoir > 100000000)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: reservoir of %d tuples (expected 0..100000000)", o->reservoir);
  pp_array_sim *s = calloc(1, sizeof *s);
  if (!s) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  s->o = *o;
  s->A = o->size;
  s->B = o->bins;
  s->W = pp_array_psum_bits(o->size);
  s->calibrating = 1;
  pp_err_clear(&s->herr);
  s->nthreads = o->naive ? 1 : omp_get_max_threads();
  if (s->nthreads < 1) s->nthreads = 1;
  size_t A2 = (size_t)s->A * s->A;
  s->st = pp_array_stats_new(s->A, s->B, o->seed);
  s->pe_a = calloc(A2, 1);
  s->pe_p = calloc(A2, sizeof *s->pe_p);
  s->thr_bin = calloc((size_t)s->nthreads * s->B * s->B, sizeof *s->thr_bin);
  if (!s->st || !s->pe_a || !s->pe_p || !s->thr_bin ||
      (o->reservoir && !(s->st->res = calloc((size_t)o->reservoir, sizeof *s->st->res)))) {
    pp_array_sim_free(s);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  reservoir_reset(s);
  *out = s;
  return PP_OK;
}

void pp_array_sim_free(pp_array_sim *s) {
  if (!s) return;
  pp_array_stats_free(s->st);
  PP_FREE_ALL(s->pe_a, s->pe_p, s->picks, s->wp, s->out, s->thr_bin, s->thr_P);
  free(s);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  void *np = realloc(*p, need * elem);
  if (!np) return -1;
  *p = np;
  *cap = need;
  return 0;
}

/* Tile context shared by both engines. */
typedef struct tile {
  const int8_t *W; /* product weights, M x K row-major */
  int K;
  const uint8_t *X; /* K x N */
  int N;
  int kt0, mt0, R, C; /* first k and m of the tile, used rows and columns */
  int32_t *out;       /* M x N output buffer */
  pp_array_layer *L;
} tile;

static inline int8_t tw(const tile *t, int r, int c) { return t->W[(size_t)(t->mt0 + c) * t->K + t->kt0 + r]; }
static inline uint8_t tx(const tile *t, int r, int n) { return t->X[(size_t)(t->kt0 + r) * t->N + n]; }

/* Counters shared by both engines (not the histograms). */
static void count_tile(pp_array_sim *s, const tile *t) {
  pp_array_counts *c[2] = {&s->st->c, t->L ? &t->L->c : NULL};
  uint64_t N = (uint64_t)t->N, A = (uint64_t)s->A;
  for (int i = 0; i < 2; i++) {
    if (!c[i]) continue;
    c[i]->tiles++;
    c[i]->macs += (uint64_t)t->R * t->C * N;
    c[i]->load_cycles += A;
    c[i]->stream_cycles += N + A + (uint64_t)t->C - 2;
    c[i]->fill_drain_cycles += A + (uint64_t)t->C - 2;
    c[i]->unused_rows += A - (uint64_t)t->R;
    c[i]->unused_cols += A - (uint64_t)t->C;
  }
}

/* Serial part of a tile in the fast engine: everything about activations
 * (the same sequence in every used column of a row), MACs per weight value,
 * and the activation half of the tile's picks, from the registers before the
 * tile. Cost O(R*N + R*C). */
static void tile_fast_serial(pp_array_sim *s, const tile *t, size_t pb, size_t pe) {
  const int A = s->A, R = t->R, C = t->C, N = t->N;
  pp_array_stats *st = s->st;
  uint64_t RN = (uint64_t)R * N;
  for (size_t i = pb; i < pe; i++) {
    pick *p = &s->picks[i];
    int c = (int)(p->idx / RN), r = (int)(p->idx % RN / (uint64_t)N), n = (int)(p->idx % (uint64_t)N);
    p->t.a_new = tx(t, r, n);
    p->t.a_old = n ? tx(t, r, n - 1) : s->pe_a[(size_t)r * A + c];
  }
  uint64_t *ah = st->act_hist, *lah = t->L ? t->L->act_hist : NULL;
  for (int r = 0; r < R; r++) {
    const uint8_t *xr = t->X + (size_t)(t->kt0 + r) * N;
    for (int n = 1; n < N; n++) {
      ah[xr[n - 1] * 256 + xr[n]] += (uint64_t)C;
      if (lah) lah[xr[n - 1] * 256 + xr[n]] += (uint64_t)C;
    }
    for (int c = 0; c < C; c++) {
      uint8_t *pa = &s->pe_a[(size_t)r * A + c];
      ah[*pa * 256 + xr[0]]++;
      if (lah) lah[*pa * 256 + xr[0]]++;
      *pa = xr[N - 1];
    }
  }
  for (int c = 0; c < C; c++)
    for (int r = 0; r < R; r++) {
      int w = tw(t, r, c);
      st->mac_per_weight[w + 127] += (uint64_t)N;
      if (w == 0) {
        st->c.zero_macs += (uint64_t)N;
        if (t->L) t->L->c.zero_macs += (uint64_t)N;
      }
    }
}

/* Column c of one tile: the partial-sum input of PE(r, c) for every vector n
 * is P_r[n] = sum_{r' < r} w[r'][c] x[r'][n], built row by row over the whole
 * vector (vectorizable); bins are counted between consecutive n. */
static void tile_fast_column(pp_array_sim *s, const tile *t, int c, int32_t *P, uint64_t *bh, size_t pb, size_t pe) {
  const int A = s->A, B = s->B, R = t->R, N = t->N;
  pp_array_binlut *lut = s->st->lut;
  const int count_bins = !s->calibrating && lut;
  const uint32_t wmask = (uint32_t)((1ull << s->W) - 1);
  const int8_t *wcol = t->W + (size_t)(t->mt0 + c) * t->K + t->kt0;
  uint64_t RN = (uint64_t)R * N;
  /* this column's picks: indices [c*R*N, (c+1)*R*N), sorted by row then n */
  size_t lo = pb, hi = pe;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->picks[mid].idx < (uint64_t)c * RN) lo = mid + 1;
    else hi = mid;
  }
  size_t pk = lo;
  memset(P, 0, (size_t)N * sizeof *P);
  for (int r = 0; r < R; r++) {
    int32_t *state = &s->pe_p[(size_t)r * A + c];
    for (; pk < pe && s->picks[pk].idx < ((uint64_t)c * R + r + 1) * N; pk++) {
      int n = (int)(s->picks[pk].idx % (uint64_t)N);
      s->picks[pk].t.p_new = P[n];
      s->picks[pk].t.p_old = n ? P[n - 1] : *state;
    }
    if (count_bins) {
      unsigned prev = pp_array_lut_get(lut, (uint32_t)*state & wmask);
      if (r == 0) { /* row 0 always sees 0 */
        unsigned b0 = pp_array_lut_get(lut, 0);
        bh[prev * B + b0]++;
        bh[b0 * B + b0] += (uint64_t)N - 1;
      } else {
        for (int n = 0; n < N; n++) {
          unsigned b = pp_array_lut_get(lut, (uint32_t)P[n] & wmask);
          bh[prev * B + b]++;
          prev = b;
        }
      }
    }
    *state = P[N - 1];
    const uint8_t *xr = t->X + (size_t)(t->kt0 + r) * N;
    const int32_t w = wcol[r];
    if (w)
      for (int n = 0; n < N; n++) P[n] += w * (int32_t)xr[n];
  }
  int32_t *orow = t->out + (size_t)(t->mt0 + c) * N;
  for (int n = 0; n < N; n++) orow[n] += P[n];
}

/* Cycle-accurate reference: registers with valid bits, updated every cycle
 * for every PE of the array. */
typedef struct naive_buf {
  uint8_t *a, *av;  /* activation input register of each PE and its valid bit */
  int32_t *p;       /* partial-sum input register (tile rows: mirrors pe_p; other rows pass-through) */
  uint8_t *pv;
  uint8_t *na, *nav;
  int32_t *np;
  uint8_t *npv;
} naive_buf;

static int pick_find(const pp_array_sim *s, uint64_t idx) {
  size_t lo = 0, hi = s->npicks;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->picks[mid].idx < idx)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->npicks && s->picks[lo].idx == idx ? (int)lo : -1;
}

static int tile_naive(pp_array_sim *s, const tile *t) {
  const int A = s->A, B = s->B, R = t->R, C = t->C, N = t->N;
  size_t A2 = (size_t)A * A;
  naive_buf nb;
  nb.a = calloc(A2, 1);
  nb.av = calloc(A2, 1);
  nb.p = calloc(A2, sizeof *nb.p);
  nb.pv = calloc(A2, 1);
  nb.na = calloc(A2, 1);
  nb.nav = calloc(A2, 1);
  nb.np = calloc(A2, sizeof *nb.np);
  nb.npv = calloc(A2, 1);
  int rc = PP_OK;
  if (!nb.a || !nb.av || !nb.p || !nb.pv || !nb.na || !nb.nav || !nb.np || !nb.npv) {
    rc = PP_ENOMEM;
    goto done;
  }
  /* registers of active PEs start from what they held after the last tile */
  memcpy(nb.a, s->pe_a, A2);
  memcpy(nb.p, s->pe_p, A2 * sizeof *nb.p);
  pp_array_stats *st = s->st;
  pp_array_binlut *lut = st->lut;
  const int count_bins = !s->calibrating && lut;
  const uint32_t wmask = (uint32_t)((1ull << s->W) - 1);
  int *nout = calloc((size_t)A, sizeof *nout);
  if (!nout) {
    rc = PP_ENOMEM;
    goto done;
  }
  /* cycle 0: the feeder presents x[0][0] to row 0 */
  long T = (long)N + A + C - 2;
  for (long cyc = 0; cyc < T; cyc++) {
    /* feeder: row r receives vector n = cyc - r in cycle cyc */
    for (int r = 0; r < R; r++) {
      long n = cyc - r;
      if (n >= 0 && n < N) {
        nb.a[(size_t)r * A] = tx(t, r, (int)n);
        nb.av[(size_t)r * A] = 1;
        if (r == 0) {
          nb.p[0] = 0;
          nb.pv[0] = 1;
        }
      }
    }
    /* top partial-sum input of row 0 is 0 whenever an activation is there */
    for (int c = 1; c < C; c++)
      if (nb.av[c]) {
        nb.p[c] = 0;
        nb.pv[c] = 1;
      }
    memcpy(nb.na, nb.a, A2);
    memcpy(nb.np, nb.p, A2 * sizeof *nb.np);
    memset(nb.nav, 0, A2);
    memset(nb.npv, 0, A2);
    for (int r = 0; r < A; r++)
      for (int c = 0; c < A; c++) {
        size_t i = (size_t)r * A + c;
        int active = r < R && c < C && nb.av[i];
        int pass = r >= R && nb.pv[i];
        if (!active && !pass) continue;
        int32_t res;
        if (active) {
          long n = cyc - r - c;
          uint8_t a = nb.a[i];
          int32_t p = nb.pv[i] ? nb.p[i] : 0;
          uint8_t a_old = s->pe_a[i];
          int32_t p_old = s->pe_p[i];
          st->act_hist[a_old * 256 + a]++;
          if (t->L && t->L->act_hist) t->L->act_hist[a_old * 256 + a]++;
          if (count_bins) {
            int bo = (int)pp_array_lut_get(lut, (uint32_t)p_old & wmask), bn = (int)pp_array_lut_get(lut, (uint32_t)p & wmask);
            st->bin_hist[bo * B + bn]++;
            if (t->L && t->L->bin_hist) t->L->bin_hist[bo * B + bn]++;
          }
          int w = tw(t, r, c);
          st->mac_per_weight[w + 127]++;
          if (w == 0) {
            st->c.zero_macs++;
            if (t->L) t->L->c.zero_macs++;
          }
          if (s->npicks) {
            int k = pick_find(s, ((uint64_t)c * R + r) * N + (uint64_t)n);
            if (k >= 0) s->picks[k].t = (pp_array_tuple){a_old, a, p_old, p};
          }
          s->pe_a[i] = a;
          s->pe_p[i] = p;
          res = p + (int32_t)w * a;
          if (c + 1 < C) {
            nb.na[i + 1] = a;
            nb.nav[i + 1] = 1;
          }
        } else {
          res = nb.p[i];
        }
        if (r + 1 < A) {
          nb.np[i + A] = res;
          nb.npv[i + A] = 1;
        } else {
          long n = nout[c]++;
          if (n < N) t->out[(size_t)(t->mt0 + c) * N + n] += res;
          else rc = PP_EINTERNAL;
        }
      }
    /* next cycle's registers; invalid registers keep their value */
    uint8_t *tmp8;
    int32_t *tmp32;
    tmp8 = nb.a, nb.a = nb.na, nb.na = tmp8;
    tmp8 = nb.av, nb.av = nb.nav, nb.nav = tmp8;
    tmp32 = nb.p, nb.p = nb.np, nb.np = tmp32;
    tmp8 = nb.pv, nb.pv = nb.npv, nb.npv = tmp8;
  }
  for (int c = 0; c < C; c++)
    if (nout[c] != N) rc = PP_EINTERNAL;
  free(nout);
done:
  PP_FREE_ALL(nb.a, nb.av, nb.p, nb.pv, nb.na, nb.nav, nb.np, nb.npv);
  return rc;
}

/* Streams a dense product (M x K weights, K x N inputs) tile by tile: column
 * blocks outer, row blocks inner. */
static int run_product(pp_array_sim *s, const int8_t *W, int M, int K, const uint8_t *X, int N, int32_t *out,
                       pp_array_layer *L, pp_err *e) {
  const int A = s->A;
  memset(out, 0, (size_t)M * N * sizeof *out);
  int ntm = (M + A - 1) / A, ntk = (K + A - 1) / A, nt = ntm * ntk;
  tile *tl = malloc((size_t)nt * sizeof *tl);
  size_t *pr = malloc(((size_t)nt + 1) * sizeof *pr);
  if (!tl || !pr) {
    free(tl);
    free(pr);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  int rc = PP_OK;
  s->npicks = 0;
  for (int i = 0; i < nt; i++) {
    int mt0 = i / ntk * A, kt0 = i % ntk * A;
    tl[i] = (tile){W, K, X, N, kt0, mt0, K - kt0 < A ? K - kt0 : A, M - mt0 < A ? M - mt0 : A, out, L};
    uint64_t E = (uint64_t)tl[i].R * tl[i].C * N;
    if (s->o.naive) s->npicks = 0; /* the naive engine applies each tile's picks at once */
    pr[i] = s->npicks;
    if (make_picks(s, E)) {
      rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
      break;
    }
    pr[i + 1] = s->npicks;
    count_tile(s, &tl[i]);
    if (s->o.naive) {
      int nrc = tile_naive(s, &tl[i]);
      if (nrc) {
        rc = pp_err_set(e, nrc, NULL, 0, "array: cycle-accurate engine failed (%d)", nrc);
        break;
      }
      apply_picks(s);
    } else {
      tile_fast_serial(s, &tl[i], pr[i], pr[i + 1]);
    }
    s->ev += E;
    s->st->events = s->ev;
  }
  if (!rc && !s->o.naive) {
    /* columns are independent: a PE's registers are only touched by its own
     * column, and each output row belongs to one array column */
    int Cmax = M < A ? M : A;
    if (grow((void **)&s->thr_P, &s->thr_P_cap, (size_t)s->nthreads * N, sizeof *s->thr_P)) {
      rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    } else {
      uint64_t work = (uint64_t)M * K * N;
#pragma omp parallel num_threads(s->nthreads) if (Cmax > 1 && work > 200000)
      {
        int tid = omp_get_thread_num();
        int32_t *P = s->thr_P + (size_t)tid * N;
        uint64_t *bh = s->thr_bin + (size_t)tid * s->B * s->B;
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < Cmax; c++)
          for (int i = 0; i < nt; i++)
            if (c < tl[i].C) tile_fast_column(s, &tl[i], c, P, bh, pr[i], pr[i + 1]);
      }
      apply_picks(s);
    }
  }
  free(tl);
  free(pr);
  return rc;
}

/* Adds the per-thread bin histograms into the totals (and layer). */
static void merge_bins(pp_array_sim *s, pp_array_layer *L) {
  size_t BB = (size_t)s->B * s->B;
  for (int t = 0; t < s->nthreads; t++) {
    uint64_t *h = s->thr_bin + (size_t)t * BB;
    for (size_t i = 0; i < BB; i++) {
      if (!h[i]) continue;
      s->st->bin_hist[i] += h[i];
      if (L && L->bin_hist) L->bin_hist[i] += h[i];
      h[i] = 0;
    }
  }
}

int pp_array_sim_gemm(pp_array_sim *s, const pp_nn_qgemm *g, pp_err *e) {
  const char *nm = g && g->name ? g->name : "?";
  if (!g || !g->w || !g->x || g->M < 1 || g->K < 1 || g->N < 1 || g->groups < 1 || g->M % g->groups)
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "array: layer %s: bad product shape (expected M, K, N >= 1, groups >= 1 dividing M)", nm);
  const int M = g->M, K = g->K, N = g->N, G = g->groups, mg = M / G, A = s->A;
  for (size_t i = 0; i < (size_t)M * K; i++)
    if (g->w[i] < -127)
      return pp_err_set(e, PP_EINVAL, NULL, 0, "array: layer %s: weight level %d at %zu (expected -127..127)", nm,
                        g->w[i], i);
  pp_array_layer *L = pp_array_stats_layer(s->st, g, s->o.per_layer);
  if (!L) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  int gp = 1;
  if (G > 1) {
    int a = A / K, b = A / mg;
    gp = a < b ? a : b;
    if (gp < 1) gp = 1;
    if (gp > G) gp = G;
  }
  if (L->c.gemms == 0) { /* static weight statistics, once per layer */
    for (size_t i = 0; i < (size_t)M * K; i++) {
      L->c.weights++;
      L->c.zero_weights += g->w[i] == 0;
    }
    s->st->c.weights += L->c.weights;
    s->st->c.zero_weights += L->c.zero_weights;
  }
  L->c.gemms++;
  s->st->c.gemms++;
  L->c.useful_macs += (uint64_t)M * K * N;
  s->st->c.useful_macs += (uint64_t)M * K * N;
  size_t Mp = (size_t)gp * mg, Kp = (size_t)gp * K;
  if (grow((void **)&s->out, &s->out_cap, Mp * N, sizeof *s->out) ||
      (G > 1 && grow((void **)&s->wp, &s->wp_cap, Mp * Kp, 1)))
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  uint64_t bad = 0, first_bad = 0;
  int32_t got_bad = 0, want_bad = 0;
  for (int g0 = 0; g0 < G; g0 += gp) {
    int ng = G - g0 < gp ? G - g0 : gp;
    int Mq = ng * mg, Kq = ng * K;
    const int8_t *Wq = g->w;
    if (G > 1) { /* block-diagonal packing of ng groups */
      memset(s->wp, 0, (size_t)Mq * Kq);
      for (int j = 0; j < ng; j++)
        for (int i = 0; i < mg; i++)
          memcpy(s->wp + (size_t)(j * mg + i) * Kq + (size_t)j * K, g->w + (size_t)((g0 + j) * mg + i) * K, (size_t)K);
      Wq = s->wp;
    }
    const uint8_t *Xq = g->x + (size_t)g0 * K * N;
    int rc = run_product(s, Wq, Mq, Kq, Xq, N, s->out, L, e);
    if (rc) return rc;
    if (g->acc) {
      for (size_t i = 0; i < (size_t)Mq * N; i++) {
        int32_t want = g->acc[(size_t)g0 * mg * N + i];
        if (s->out[i] != want) {
          if (!bad) {
            first_bad = (uint64_t)g0 * mg * N + i;
            got_bad = s->out[i];
            want_bad = want;
          }
          bad++;
        }
      }
      L->c.outputs += (uint64_t)Mq * N;
      s->st->c.outputs += (uint64_t)Mq * N;
    }
  }
  merge_bins(s, L);
  L->c.mismatches += bad;
  s->st->c.mismatches += bad;
  if (bad && !s->first_mismatch[0])
    snprintf(s->first_mismatch, sizeof s->first_mismatch,
             "layer %s: %llu outputs differ, first at row %llu position %llu: array %ld, integer path %ld", nm,
             (unsigned long long)bad, (unsigned long long)(first_bad / (uint64_t)N),
             (unsigned long long)(first_bad % (uint64_t)N), (long)got_bad, (long)want_bad);
  return PP_OK;
}

int pp_array_sim_hook(const pp_nn_qgemm *g, void *ctx) {
  pp_array_sim *s = ctx;
  return pp_array_sim_gemm(s, g, &s->herr) == PP_OK ? 0 : 1;
}

void pp_array_sim_image_done(pp_array_sim *s) { s->st->images++; }

/* Statistics back to zero for the counting pass (bins and layers' names kept out). */
static void reset_counts(pp_array_sim *s) {
  pp_array_stats *st = s->st;
  memset(&st->c, 0, sizeof st->c);
  memset(st->act_hist, 0, sizeof st->act_hist);
  memset(st->bin_hist, 0, (size_t)s->B * s->B * sizeof *st->bin_hist);
  memset(st->mac_per_weight, 0, sizeof st->mac_per_weight);
  st->images = 0;
  for (int i = 0; i < st->nlayers; i++) {
    free(st->layers[i].act_hist);
    free(st->layers[i].bin_hist);
  }
  free(st->layers);
  st->layers = NULL;
  st->nlayers = 0;
  memset(s->pe_a, 0, (size_t)s->A * s->A);
  memset(s->pe_p, 0, (size_t)s->A * s->A * sizeof *s->pe_p);
  reservoir_reset(s);
}

int pp_array_sim_calibrate(pp_array_sim *s, pp_err *e) {
  pp_array_stats *st = s->st;
  size_t n = (size_t)st->nres * 2;
  if (n == 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: calibration saw no partial sums (stream a product first)");
  int32_t *v = malloc(n * sizeof *v);
  if (!v) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (uint32_t i = 0; i < st->nres; i++) {
    v[(size_t)2 * i] = st->res[i].p_old;
    v[(size_t)2 * i + 1] = st->res[i].p_new;
  }
  int rc = pp_array_bins_build(st, v, n, s->o.seed, e);
  free(v);
  if (rc) return rc;
  s->calibrating = 0;
  reset_counts(s);
  return PP_OK;
}

int pp_array_sim_set_bins(pp_array_sim *s, const pp_array_stats *from, pp_err *e) {
  if (!from || from->bins != s->B || from->psum_bits != s->W || !from->bin_members)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: bins of %d x %d-bit do not fit this array (%d bins, %d bits)",
                      from ? from->bins : 0, from ? from->psum_bits : 0, s->B, s->W);
  pp_array_stats *st = s->st;
  size_t BW = (size_t)s->B * s->W;
  free(st->bin_members);
  free(st->bin_bitcount);
  free(st->bin_seed);
  st->bin_members = malloc((size_t)s->B * sizeof *st->bin_members);
  st->bin_bitcount = malloc(BW * sizeof *st->bin_bitcount);
  st->bin_seed = malloc((size_t)s->B * sizeof *st->bin_seed);
  if (!st->bin_members || !st->bin_bitcount || !st->bin_seed) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  memcpy(st->bin_members, from->bin_members, (size_t)s->B * sizeof *st->bin_members);
  memcpy(st->bin_bitcount, from->bin_bitcount, BW * sizeof *st->bin_bitcount);
  memcpy(st->bin_seed, from->bin_seed, (size_t)s->B * sizeof *st->bin_seed);
  int rc = pp_array_lut_build(st, e);
  if (rc) return rc;
  s->calibrating = 0;
  reset_counts(s);
  return PP_OK;
}

pp_array_stats *pp_array_sim_stats(pp_array_sim *s) {
  if (!s->st) return NULL;
  if (!s->calibrating) pp_array_stats_fill_bin_values(s->st, NULL);
  return s->st;
}

pp_array_stats *pp_array_sim_take_stats(pp_array_sim *s) {
  pp_array_stats *st = pp_array_sim_stats(s);
  s->st = NULL;
  return st;
}

const char *pp_array_sim_first_mismatch(const pp_array_sim *s) { return s->first_mismatch; }
const pp_err *pp_array_sim_hook_error(const pp_array_sim *s) { return &s->herr; }

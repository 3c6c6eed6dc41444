/* array/stats: the statistics object, its binary file (reader and writer), the
 * JSON summary, the transition sampler for characterization, and the Fig. 4
 * heat maps. The binary layout is documented in docs/array-stats.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array_internal.h"
#include "pp/plot.h"
#include "pp/util_mem.h"

_Static_assert(sizeof(pp_array_counts) == 14 * sizeof(uint64_t), "pp_array_counts must be 14 uint64 fields");
#define NCOUNTS 14

pp_array_stats *pp_array_stats_new(int size, int bins, uint64_t seed) {
  pp_array_stats *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->size = size;
  s->bins = bins;
  s->psum_bits = pp_array_psum_bits(size);
  s->seed = seed;
  s->bin_hist = calloc((size_t)bins * bins, sizeof *s->bin_hist);
  if (!s->bin_hist) {
    free(s);
    return NULL;
  }
  return s;
}

void pp_array_stats_free(pp_array_stats *s) {
  if (!s) return;
  PP_FREE_ALL(s->bin_hist, s->bin_members, s->bin_bitcount, s->bin_seed, s->bin_off, s->bin_vals, s->res);
  for (int i = 0; i < s->nlayers; i++) {
    free(s->layers[i].act_hist);
    free(s->layers[i].bin_hist);
  }
  free(s->layers);
  pp_array_lut_free(s->lut);
  free(s);
}

pp_array_layer *pp_array_stats_layer(pp_array_stats *s, const pp_nn_qgemm *g, int per_layer) {
  for (int i = 0; i < s->nlayers; i++)
    if (s->layers[i].layer == g->layer) return &s->layers[i];
  pp_array_layer *nl = realloc(s->layers, (size_t)(s->nlayers + 1) * sizeof *nl);
  if (!nl) return NULL;
  s->layers = nl;
  pp_array_layer *L = &nl[s->nlayers];
  memset(L, 0, sizeof *L);
  snprintf(L->name, sizeof L->name, "%s", g->name ? g->name : "");
  L->layer = g->layer;
  L->kind = g->kind;
  L->groups = g->groups;
  L->M = g->M;
  L->K = g->K;
  L->N = g->N;
  if (per_layer) {
    L->act_hist = calloc(65536, sizeof *L->act_hist);
    L->bin_hist = calloc((size_t)s->bins * s->bins, sizeof *L->bin_hist);
    if (!L->act_hist || !L->bin_hist) {
      free(L->act_hist);
      free(L->bin_hist);
      return NULL;
    }
  }
  s->nlayers++;
  return L;
}

int pp_array_stats_fill_bin_values(pp_array_stats *s, pp_err *e) {
  if (!s->bin_members) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: statistics hold no partial-sum bins");
  if (!s->lut) {
    int rc = pp_array_lut_build(s, e);
    if (rc) return rc;
  }
  int B = s->bins;
  uint32_t *off = calloc((size_t)B + 1, sizeof *off);
  int32_t *vals = malloc(((size_t)s->nres * 2 + 1) * sizeof *vals);
  if (!off || !vals) {
    free(off);
    free(vals);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (uint32_t i = 0; i < s->nres; i++) {
    off[pp_array_psum_bin(s, s->res[i].p_old) + 1]++;
    off[pp_array_psum_bin(s, s->res[i].p_new) + 1]++;
  }
  for (int b = 0; b < B; b++) off[b + 1] += off[b];
  uint32_t *pos = malloc((size_t)B * sizeof *pos);
  if (!pos) {
    free(off);
    free(vals);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  memcpy(pos, off, (size_t)B * sizeof *pos);
  for (uint32_t i = 0; i < s->nres; i++) {
    vals[pos[pp_array_psum_bin(s, s->res[i].p_old)]++] = s->res[i].p_old;
    vals[pos[pp_array_psum_bin(s, s->res[i].p_new)]++] = s->res[i].p_new;
  }
  free(pos);
  free(s->bin_off);
  free(s->bin_vals);
  s->bin_off = off;
  s->bin_vals = vals;
  return PP_OK;
}

/* ---- binary file ------------------------------------------------------------ */
typedef struct wbuf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} wbuf;

static void put(wbuf *b, const void *d, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t nc = b->cap ? b->cap : 1 << 20;
    while (nc < b->n + n) nc *= 2;
    unsigned char *np = realloc(b->p, nc);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}
static void put_u8(wbuf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(wbuf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  put(b, x, 4);
}
static void put_u64(wbuf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}
static void put_u64s(wbuf *b, const uint64_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) put_u64(b, v[i]);
}
static void put_u32s(wbuf *b, const uint32_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) put_u32(b, v[i]);
}

static const char MAGIC[8] = {'P', 'P', 'A', 'R', 'R', 'A', 'Y', 0};

int pp_array_stats_write(const pp_array_stats *s, const char *path, pp_err *e) {
  wbuf b = {0};
  int has_bins = s->bin_members && s->bin_off;
  size_t BB = (size_t)s->bins * s->bins;
  put(&b, MAGIC, 8);
  put_u32(&b, PP_ARRAY_STATS_VERSION);
  put_u32(&b, (uint32_t)s->size);
  put_u32(&b, (uint32_t)s->bins);
  put_u32(&b, (uint32_t)s->psum_bits);
  put_u32(&b, (uint32_t)s->nlayers);
  put_u32(&b, (uint32_t)has_bins);
  put_u32(&b, s->nres);
  put_u64(&b, s->seed);
  put_u64(&b, s->images);
  put_u64(&b, s->events);
  put_u64s(&b, (const uint64_t *)&s->c, NCOUNTS);
  put_u64s(&b, s->act_hist, 65536);
  put_u64s(&b, s->bin_hist, BB);
  put_u64s(&b, s->mac_per_weight, 255);
  if (has_bins) {
    put_u32s(&b, s->bin_members, (size_t)s->bins);
    put_u32s(&b, s->bin_bitcount, (size_t)s->bins * s->psum_bits);
    put_u32s(&b, (const uint32_t *)s->bin_seed, (size_t)s->bins);
    put_u32s(&b, s->bin_off, (size_t)s->bins + 1);
    put_u32s(&b, (const uint32_t *)s->bin_vals, s->bin_off[s->bins]);
  }
  for (uint32_t i = 0; i < s->nres; i++) {
    put_u8(&b, s->res[i].a_old);
    put_u8(&b, s->res[i].a_new);
    put_u32(&b, (uint32_t)s->res[i].p_old);
    put_u32(&b, (uint32_t)s->res[i].p_new);
  }
  for (int l = 0; l < s->nlayers; l++) {
    const pp_array_layer *L = &s->layers[l];
    char name[48] = {0};
    snprintf(name, sizeof name, "%s", L->name);
    put(&b, name, 48);
    int32_t f[6] = {L->layer, L->kind, L->groups, L->M, L->K, L->N};
    put_u32s(&b, (const uint32_t *)f, 6);
    put_u64s(&b, (const uint64_t *)&L->c, NCOUNTS);
    int hh = L->act_hist && L->bin_hist;
    put_u32(&b, (uint32_t)hh);
    if (hh) {
      put_u64s(&b, L->act_hist, 65536);
      put_u64s(&b, L->bin_hist, BB);
    }
  }
  put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
  if (b.oom) {
    free(b.p);
    return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) {
    free(b.p);
    return rc;
  }
  fwrite(b.p, 1, b.n, o.f);
  free(b.p);
  return pp_outfile_commit(&o, e);
}

typedef struct rbuf {
  const unsigned char *p;
  size_t n, at;
  const char *path;
  pp_err *e;
  int bad;
} rbuf;

static int need(rbuf *r, size_t n, const char *what) {
  if (r->bad) return 0;
  if (r->n - r->at < n) {
    pp_err_set(r->e, PP_EPARSE, r->path, 0, "truncated at byte %zu: expected %s (%zu bytes), file has %zu bytes", r->at,
               what, n, r->n);
    r->bad = 1;
    return 0;
  }
  return 1;
}
static uint32_t get_u32(rbuf *r, const char *what) {
  if (!need(r, 4, what)) return 0;
  const unsigned char *p = r->p + r->at;
  r->at += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(rbuf *r, const char *what) {
  uint64_t lo = get_u32(r, what);
  return lo | (uint64_t)get_u32(r, what) << 32;
}
static void get_u64s(rbuf *r, uint64_t *v, size_t n, const char *what) {
  if (!need(r, 8 * n, what)) return;
  for (size_t i = 0; i < n; i++) v[i] = get_u64(r, what);
}
static void get_u32s(rbuf *r, uint32_t *v, size_t n, const char *what) {
  if (!need(r, 4 * n, what)) return;
  for (size_t i = 0; i < n; i++) v[i] = get_u32(r, what);
}

int pp_array_stats_read(const char *path, pp_array_stats **out, pp_err *e) {
  *out = NULL;
  char *data;
  size_t len;
  int rc = pp_read_file(path, &data, &len, e);
  if (rc) return rc;
  rbuf r = {(const unsigned char *)data, len, 0, path, e, 0};
  pp_array_stats *s = NULL;
  if (len < 12 || memcmp(data, MAGIC, 8) != 0) {
    rc = pp_err_set(e, PP_EPARSE, path, 0, "not a powerprune array statistics file (expected magic \"PPARRAY\")");
    goto fail;
  }
  r.at = 8;
  uint32_t ver = get_u32(&r, "version");
  if (ver != PP_ARRAY_STATS_VERSION) {
    rc = pp_err_set(e, PP_EPARSE, path, 0, "format version %u (this build reads version %d)", ver, PP_ARRAY_STATS_VERSION);
    goto fail;
  }
  if (len < 4 + 8) goto trunc;
  {
    const unsigned char *t = (const unsigned char *)data + len - 4;
    uint32_t want = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    uint32_t got = (uint32_t)crc32(0L, (const unsigned char *)data, (uInt)(len - 4));
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* fuzzers skip checksums to reach the parser */
    if (want != got) {
      rc = pp_err_set(e, PP_EPARSE, path, 0, "CRC mismatch (file corrupt or truncated): stored %08x, computed %08x", want,
                      got);
      goto fail;
    }
#endif
  }
  r.n = len - 4; /* the CRC is not data */
  uint32_t size = get_u32(&r, "array size"), bins = get_u32(&r, "bins"), bits = get_u32(&r, "psum_bits");
  uint32_t nlayers = get_u32(&r, "layer count"), has_bins = get_u32(&r, "bins flag"), nres = get_u32(&r, "reservoir size");
  if (r.bad) goto fail_r;
  if (size < 1 || size > PP_ARRAY_MAX_SIZE || bins < 1 || bins > PP_ARRAY_MAX_BINS ||
      bits != (uint32_t)pp_array_psum_bits((int)size) || has_bins > 1 || nlayers > 100000) {
    rc = pp_err_set(e, PP_EPARSE, path, 0,
                    "bad header: size %u, bins %u, psum_bits %u, layers %u (expected size 1..%d, bins 1..%d, "
                    "psum_bits matching the size)",
                    size, bins, bits, nlayers, PP_ARRAY_MAX_SIZE, PP_ARRAY_MAX_BINS);
    goto fail;
  }
  s = pp_array_stats_new((int)size, (int)bins, 0);
  if (!s) goto oom;
  s->seed = get_u64(&r, "seed");
  s->images = get_u64(&r, "images");
  s->events = get_u64(&r, "events");
  get_u64s(&r, (uint64_t *)&s->c, NCOUNTS, "totals");
  get_u64s(&r, s->act_hist, 65536, "activation histogram");
  size_t BB = (size_t)bins * bins;
  get_u64s(&r, s->bin_hist, BB, "bin histogram");
  get_u64s(&r, s->mac_per_weight, 255, "MACs per weight value");
  if (r.bad) goto fail_r;
  if (has_bins) {
    s->bin_members = calloc(bins, sizeof *s->bin_members);
    s->bin_bitcount = calloc((size_t)bins * bits, sizeof *s->bin_bitcount);
    s->bin_seed = calloc(bins, sizeof *s->bin_seed);
    s->bin_off = calloc((size_t)bins + 1, sizeof *s->bin_off);
    if (!s->bin_members || !s->bin_bitcount || !s->bin_seed || !s->bin_off) goto oom;
    get_u32s(&r, s->bin_members, bins, "bin member counts");
    get_u32s(&r, s->bin_bitcount, (size_t)bins * bits, "bin bit counts");
    get_u32s(&r, (uint32_t *)s->bin_seed, bins, "bin seeds");
    get_u32s(&r, s->bin_off, (size_t)bins + 1, "bin value offsets");
    if (r.bad) goto fail_r;
    for (uint32_t b = 0; b < bins; b++) {
      if (s->bin_off[b + 1] < s->bin_off[b] || s->bin_off[0] != 0) {
        rc = pp_err_set(e, PP_EPARSE, path, 0, "bin value offsets are not increasing at bin %u", b);
        goto fail;
      }
      for (uint32_t i = 0; i < bits; i++)
        if (s->bin_bitcount[(size_t)b * bits + i] > s->bin_members[b]) {
          rc = pp_err_set(e, PP_EPARSE, path, 0, "bin %u: bit count above its member count", b);
          goto fail;
        }
    }
    uint32_t nv = s->bin_off[bins];
    if (nv > (r.n - r.at) / 4) {
      need(&r, (size_t)nv * 4, "bin values");
      goto fail_r;
    }
    s->bin_vals = malloc(((size_t)nv + 1) * sizeof *s->bin_vals);
    if (!s->bin_vals) goto oom;
    get_u32s(&r, (uint32_t *)s->bin_vals, nv, "bin values");
  }
  if (nres > (r.n - r.at) / 10) {
    need(&r, (size_t)nres * 10, "reservoir tuples");
    goto fail_r;
  }
  if (nres) {
    s->res = malloc((size_t)nres * sizeof *s->res);
    if (!s->res) goto oom;
    for (uint32_t i = 0; i < nres && !r.bad; i++) {
      if (!need(&r, 10, "reservoir tuple")) break;
      s->res[i].a_old = r.p[r.at];
      s->res[i].a_new = r.p[r.at + 1];
      r.at += 2;
      s->res[i].p_old = (int32_t)get_u32(&r, "reservoir tuple");
      s->res[i].p_new = (int32_t)get_u32(&r, "reservoir tuple");
    }
    s->nres = nres;
  }
  for (uint32_t l = 0; l < nlayers && !r.bad; l++) {
    if (!need(&r, 48, "layer name")) break;
    pp_array_layer *nl = realloc(s->layers, (size_t)(s->nlayers + 1) * sizeof *nl);
    if (!nl) goto oom;
    s->layers = nl;
    pp_array_layer *L = &nl[s->nlayers++];
    memset(L, 0, sizeof *L);
    memcpy(L->name, r.p + r.at, 47);
    L->name[47] = 0;
    r.at += 48;
    int32_t f[6] = {0}; /* get_u32s leaves it untouched once the reader went bad */
    get_u32s(&r, (uint32_t *)f, 6, "layer shape");
    L->layer = f[0], L->kind = f[1], L->groups = f[2], L->M = f[3], L->K = f[4], L->N = f[5];
    get_u64s(&r, (uint64_t *)&L->c, NCOUNTS, "layer counters");
    uint32_t hh = get_u32(&r, "layer histogram flag");
    if (hh > 1) {
      rc = pp_err_set(e, PP_EPARSE, path, 0, "layer %u: histogram flag %u (expected 0 or 1)", l, hh);
      goto fail;
    }
    if (hh && !r.bad) {
      L->act_hist = malloc(65536 * sizeof *L->act_hist);
      L->bin_hist = malloc(BB * sizeof *L->bin_hist);
      if (!L->act_hist || !L->bin_hist) goto oom;
      get_u64s(&r, L->act_hist, 65536, "layer activation histogram");
      get_u64s(&r, L->bin_hist, BB, "layer bin histogram");
    }
  }
  if (r.bad) goto fail_r;
  if (r.at != r.n) {
    rc = pp_err_set(e, PP_EPARSE, path, 0, "%zu unexpected bytes after the last layer record at byte %zu", r.n - r.at, r.at);
    goto fail;
  }
  free(data);
  *out = s;
  return PP_OK;
trunc:
  rc = pp_err_set(e, PP_EPARSE, path, 0, "truncated: %zu bytes", len);
  goto fail;
oom:
  rc = pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  goto fail;
fail_r:
  rc = e ? e->status : PP_EPARSE;
  if (rc == PP_OK) rc = PP_EPARSE;
fail:
  pp_array_stats_free(s);
  free(data);
  return rc;
}

/* ---- JSON summary ------------------------------------------------------------- */
static void json_counts(pp_json *j, const pp_array_counts *c) {
  pp_json_key(j, "gemms"), pp_json_int(j, (long long)c->gemms);
  pp_json_key(j, "tiles"), pp_json_int(j, (long long)c->tiles);
  pp_json_key(j, "mac_ops"), pp_json_int(j, (long long)c->macs);
  pp_json_key(j, "useful_macs"), pp_json_int(j, (long long)c->useful_macs);
  pp_json_key(j, "zero_macs"), pp_json_int(j, (long long)c->zero_macs);
  pp_json_key(j, "zero_mac_fraction"), pp_json_num(j, c->macs ? (double)c->zero_macs / (double)c->macs : 0);
  pp_json_key(j, "weights"), pp_json_int(j, (long long)c->weights);
  pp_json_key(j, "zero_weight_fraction"), pp_json_num(j, c->weights ? (double)c->zero_weights / (double)c->weights : 0);
  pp_json_key(j, "cycles"), pp_json_int(j, (long long)c->load_cycles + (long long)c->stream_cycles);
  pp_json_key(j, "load_cycles"), pp_json_int(j, (long long)c->load_cycles);
  pp_json_key(j, "stream_cycles"), pp_json_int(j, (long long)c->stream_cycles);
  pp_json_key(j, "fill_drain_cycles"), pp_json_int(j, (long long)c->fill_drain_cycles);
  pp_json_key(j, "unused_rows_per_tile"), pp_json_num(j, c->tiles ? (double)c->unused_rows / (double)c->tiles : 0);
  pp_json_key(j, "unused_cols_per_tile"), pp_json_num(j, c->tiles ? (double)c->unused_cols / (double)c->tiles : 0);
  pp_json_key(j, "outputs_checked"), pp_json_int(j, (long long)c->outputs);
  pp_json_key(j, "mismatches"), pp_json_int(j, (long long)c->mismatches);
}

static const char *kind_name(int k) {
  return k == PP_NN_QGEMM_FC ? "fc" : k == PP_NN_QGEMM_DEPTHWISE ? "depthwise" : "conv";
}

int pp_array_stats_write_json(const pp_array_stats *s, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_json_obj_begin(&j);
  pp_json_key(&j, "format"), pp_json_str(&j, "powerprune-array-stats/1");
  pp_json_key(&j, "array_size"), pp_json_int(&j, s->size);
  pp_json_key(&j, "bins"), pp_json_int(&j, s->bins);
  pp_json_key(&j, "psum_bits"), pp_json_int(&j, s->psum_bits);
  pp_json_key(&j, "seed"), pp_json_int(&j, (long long)s->seed);
  pp_json_key(&j, "images"), pp_json_int(&j, (long long)s->images);
  pp_json_key(&j, "bit_exact"), pp_json_bool(&j, s->c.outputs > 0 && s->c.mismatches == 0);
  json_counts(&j, &s->c);
  uint64_t at = 0, bt = 0;
  for (int i = 0; i < 65536; i++) at += s->act_hist[i];
  for (int i = 0; i < s->bins * s->bins; i++) bt += s->bin_hist[i];
  pp_json_key(&j, "activation_transitions"), pp_json_int(&j, (long long)at);
  pp_json_key(&j, "psum_bin_transitions"), pp_json_int(&j, (long long)bt);
  pp_json_key(&j, "reservoir"), pp_json_int(&j, s->nres);
  pp_json_key_arr_begin(&j, "mac_per_weight");
  for (int w = 0; w < 255; w++) pp_json_int(&j, (long long)s->mac_per_weight[w]);
  pp_json_arr_end(&j);
  if (s->bin_members) {
    pp_json_key_arr_begin(&j, "bin_members");
    for (int b = 0; b < s->bins; b++) pp_json_int(&j, s->bin_members[b]);
    pp_json_arr_end(&j);
  }
  pp_json_key_arr_begin(&j, "layers");
  for (int l = 0; l < s->nlayers; l++) {
    const pp_array_layer *L = &s->layers[l];
    pp_json_obj_begin(&j);
    pp_json_key(&j, "name"), pp_json_str(&j, L->name);
    pp_json_key(&j, "layer"), pp_json_int(&j, L->layer);
    pp_json_key(&j, "kind"), pp_json_str(&j, kind_name(L->kind));
    pp_json_key(&j, "groups"), pp_json_int(&j, L->groups);
    pp_json_key(&j, "M"), pp_json_int(&j, L->M);
    pp_json_key(&j, "K"), pp_json_int(&j, L->K);
    pp_json_key(&j, "N"), pp_json_int(&j, L->N);
    pp_json_key(&j, "bit_exact"), pp_json_bool(&j, L->c.outputs > 0 && L->c.mismatches == 0);
    json_counts(&j, &L->c);
    pp_json_obj_end(&j);
  }
  pp_json_arr_end(&j);
  pp_json_obj_end(&j);
  pp_json_end(&j);
  return pp_outfile_commit(&o, e);
}

/* ---- sampling ----------------------------------------------------------------- */
static uint64_t below64(pp_rng *r, uint64_t n) {
  uint64_t lim = UINT64_MAX - UINT64_MAX % n, v;
  do v = pp_rng_u64(r);
  while (v >= lim);
  return v % n;
}

/* Index i with cdf[i-1] <= u < cdf[i] (cdf inclusive prefix sums). */
static size_t cdf_find(const uint64_t *cdf, size_t n, uint64_t u) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cdf[mid] > u)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static int32_t draw_in_bin(const pp_array_stats *s, int b, pp_rng *r) {
  if (s->bin_off && s->bin_vals) {
    uint32_t lo = s->bin_off[b], hi = s->bin_off[b + 1];
    if (hi > lo) return s->bin_vals[lo + pp_rng_below(r, hi - lo)];
  }
  return s->bin_seed[b];
}

int pp_array_sample_transitions(const pp_array_stats *s, size_t T, uint64_t seed, pp_array_tuple *out, pp_err *e) {
  if (!s->bin_members || !s->bin_seed)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: statistics hold no partial-sum bins (run a calibration pass)");
  size_t BB = (size_t)s->bins * s->bins;
  uint64_t *acdf = malloc(65536 * sizeof *acdf), *bcdf = malloc(BB * sizeof *bcdf);
  if (!acdf || !bcdf) {
    free(acdf);
    free(bcdf);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  uint64_t at = 0, bt = 0;
  for (size_t i = 0; i < 65536; i++) acdf[i] = at += s->act_hist[i];
  for (size_t i = 0; i < BB; i++) bcdf[i] = bt += s->bin_hist[i];
  if (!at || !bt) {
    free(acdf);
    free(bcdf);
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: statistics hold no %s transitions to sample from",
                      !at ? "activation" : "partial-sum");
  }
  pp_rng r;
  pp_rng_seed(&r, seed);
  for (size_t i = 0; i < T; i++) {
    size_t a = cdf_find(acdf, 65536, below64(&r, at));
    size_t b = cdf_find(bcdf, BB, below64(&r, bt));
    out[i].a_old = (uint8_t)(a / 256);
    out[i].a_new = (uint8_t)(a % 256);
    out[i].p_old = draw_in_bin(s, (int)(b / (size_t)s->bins), &r);
    out[i].p_new = draw_in_bin(s, (int)(b % (size_t)s->bins), &r);
  }
  free(acdf);
  free(bcdf);
  return PP_OK;
}

int pp_array_sample_reservoir(const pp_array_stats *s, size_t T, uint64_t seed, pp_array_tuple *out, pp_err *e) {
  if (!s->nres) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: the reservoir is empty");
  pp_rng r;
  pp_rng_seed(&r, seed);
  for (size_t i = 0; i < T; i++) out[i] = s->res[pp_rng_below(&r, s->nres)];
  return PP_OK;
}

/* ---- figures ------------------------------------------------------------------- */
int pp_array_plot(const pp_array_stats *s, const char *dir, pp_err *e) {
  int rc = pp_mkdirs(dir, e);
  if (rc) return rc;
  char base[4096];
  uint64_t at = 0;
  for (int i = 0; i < 65536; i++) at += s->act_hist[i];
  double *m = malloc(65536 * sizeof *m);
  if (!m) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  /* row = next value (y), column = previous value (x) */
  for (int prev = 0; prev < 256; prev++)
    for (int next = 0; next < 256; next++)
      m[next * 256 + prev] = at ? (double)s->act_hist[prev * 256 + next] / (double)at : 0;
  pp_plot_opts o = {.title = "activation transitions at the PE inputs",
                    .xlabel = "previous activation",
                    .ylabel = "next activation",
                    .cblabel = "probability",
                    .logc = 1,
                    .width = 720,
                    .height = 640};
  snprintf(base, sizeof base, "%s/act_transitions", dir);
  rc = pp_plot_heatmap(base, &o, m, 256, 256, 0, 1, 0, 1, e);
  if (!rc) {
    int B = s->bins;
    uint64_t bt = 0;
    for (int i = 0; i < B * B; i++) bt += s->bin_hist[i];
    for (int from = 0; from < B; from++)
      for (int to = 0; to < B; to++) m[to * B + from] = bt ? (double)s->bin_hist[from * B + to] / (double)bt : 0;
    o.title = "partial-sum transitions between bins";
    o.xlabel = "previous bin";
    o.ylabel = "next bin";
    snprintf(base, sizeof base, "%s/psum_bin_transitions", dir);
    rc = pp_plot_heatmap(base, &o, m, (size_t)B, (size_t)B, 0, 1, 0, 1, e);
  }
  if (!rc) {
    for (int w = 0; w < 255; w++) m[w] = (double)s->mac_per_weight[w];
    pp_plot_opts ob = {.title = "MAC operations per weight value", .xlabel = "weight value", .ylabel = "MAC operations",
                       .logy = 1};
    snprintf(base, sizeof base, "%s/mac_per_weight", dir);
    /* a log axis drops zero bars; all-zero data would leave an empty range */
    int any = 0;
    for (int w = 0; w < 255; w++) any |= m[w] > 0;
    ob.logy = any;
    rc = pp_plot_bars(base, &ob, -127, m, 255, e);
  }
  free(m);
  return rc;
}

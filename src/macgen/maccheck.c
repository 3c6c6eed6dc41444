/* macgen/maccheck: proves a MAC netlist exact by exhaustive simulation:
 * every (weight, activation) pair with seeded random partial sums and edge
 * cases, 64 vectors per pass through pp_netlist_eval64. */
#include <stdlib.h>
#include <string.h>

#include "pp/macgen.h"

typedef struct {
  long long w, a, p, prod;
} mvec;

typedef struct {
  const pp_netlist *nl;
  pp_mac_check_result *r;
  int pw, pa, pp, pprod, py; /* port indices, -1 absent */
  uint64_t *val;
  mvec batch[64];
  int nb;
} mctx;

static uint64_t mask_of(int bits) { return bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1); }

static void set_port(mctx *c, int port, int lane, long long v) {
  if (port < 0) return;
  const pp_port *pt = &c->nl->inputs[port];
  for (int b = 0; b < pt->width; b++)
    if (((uint64_t)v >> (b < 64 ? b : 63)) & 1) c->val[pt->bits[b]] |= (uint64_t)1 << lane;
}

static void flush(mctx *c) {
  if (!c->nb) return;
  const pp_netlist *nl = c->nl;
  pp_mac_check_result *r = c->r;
  for (int p = 0; p < nl->n_inputs; p++)
    for (int b = 0; b < nl->inputs[p].width; b++) c->val[nl->inputs[p].bits[b]] = 0;
  for (int l = 0; l < c->nb; l++) {
    set_port(c, c->pw, l, c->batch[l].w);
    set_port(c, c->pa, l, c->batch[l].a);
    set_port(c, c->pp, l, c->batch[l].p);
    set_port(c, c->pprod, l, c->batch[l].prod);
  }
  pp_netlist_eval64(nl, c->val);
  const pp_port *out = &nl->outputs[c->py];
  uint64_t m = mask_of(out->width);
  for (int l = 0; l < c->nb; l++) {
    const mvec *v = &c->batch[l];
    uint64_t got = 0, want;
    for (int b = 0; b < out->width; b++) got |= ((c->val[out->bits[b]] >> l) & 1) << b;
    if (r->part == PP_MAC_MULT)
      want = (uint64_t)(v->w * v->a) & m;
    else if (r->part == PP_MAC_ADDER)
      want = ((uint64_t)v->p + (uint64_t)v->prod) & m;
    else
      want = ((uint64_t)v->p + (uint64_t)(v->w * v->a)) & m;
    r->vectors_checked++;
    if (got != want) {
      if (!r->mismatches) {
        r->bad_w = v->w, r->bad_a = v->a, r->bad_p = v->p, r->bad_prod = v->prod;
        r->got = got, r->want = want;
      }
      r->mismatches++;
    }
  }
  c->nb = 0;
}

static void add(mctx *c, long long w, long long a, long long p, long long prod) {
  mvec *v = &c->batch[c->nb++];
  v->w = w, v->a = a, v->p = p, v->prod = prod;
  if (c->nb == 64) flush(c);
}

/* uniform signed value of the given width */
static long long rand_signed(pp_rng *g, int bits) {
  uint64_t u = pp_rng_u64(g) & mask_of(bits);
  if (bits > 0 && bits < 64 && ((u >> (bits - 1)) & 1)) u |= ~mask_of(bits);
  return (long long)u;
}

int pp_mac_check(const pp_netlist *nl, uint64_t seed, pp_mac_check_result *r, pp_err *e) {
  memset(r, 0, sizeof *r);
  mctx c;
  memset(&c, 0, sizeof c);
  c.nl = nl;
  c.r = r;
  c.pw = pp_netlist_find_input(nl, "w");
  c.pa = pp_netlist_find_input(nl, "a");
  c.pp = pp_netlist_find_input(nl, "p");
  c.pprod = pp_netlist_find_input(nl, "prod");
  int oy = pp_netlist_find_output(nl, "y"), oprod = pp_netlist_find_output(nl, "prod");
  if (c.pw >= 0 && c.pa >= 0 && c.pp >= 0 && oy >= 0 && nl->n_inputs == 3)
    r->part = PP_MAC_FULL, c.py = oy;
  else if (c.pw >= 0 && c.pa >= 0 && oprod >= 0 && nl->n_inputs == 2)
    r->part = PP_MAC_MULT, c.py = oprod;
  else if (c.pprod >= 0 && c.pp >= 0 && oy >= 0 && nl->n_inputs == 2)
    r->part = PP_MAC_ADDER, c.py = oy;
  else
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "module '%s' does not have MAC ports: expected inputs w, a, p and output y (or w, a -> prod, "
                      "or prod, p -> y)",
                      nl->top);
  if (nl->n_outputs != 1)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "module '%s' has %d outputs: a MAC has exactly one (%s)", nl->top,
                      nl->n_outputs, r->part == PP_MAC_MULT ? "prod" : "y");
  r->w_bits = c.pw >= 0 ? nl->inputs[c.pw].width : 0;
  r->a_bits = c.pa >= 0 ? nl->inputs[c.pa].width : 0;
  r->p_bits = c.pp >= 0 ? nl->inputs[c.pp].width : 0;
  r->prod_bits = c.pprod >= 0 ? nl->inputs[c.pprod].width : r->part == PP_MAC_MULT ? nl->outputs[c.py].width : 0;
  int ow = nl->outputs[c.py].width;
  if (r->part != PP_MAC_ADDER && (r->w_bits < 1 || r->a_bits < 1 || r->w_bits + r->a_bits > 20))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "w and a must be 1..20 bits together for an exhaustive check (got %d + %d)",
                      r->w_bits, r->a_bits);
  if (r->part == PP_MAC_ADDER && (r->prod_bits < 1 || r->prod_bits > 20 || r->p_bits < 1))
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "prod must be 1..20 bits for an exhaustive check, and p at least 1 bit (got %d and %d)",
                      r->prod_bits, r->p_bits);
  if (r->p_bits > 62 || ow > 62 || (r->p_bits && r->p_bits != ow))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "p and y must have the same width, at most 62 bits (got %d and %d)",
                      r->p_bits, ow);
  c.val = calloc((size_t)nl->n_nets, sizeof(uint64_t));
  if (!c.val) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  pp_rng g;
  pp_rng_seed(&g, seed);
  int W = r->w_bits, A = r->a_bits, P = r->p_bits, N = r->prod_bits;
  long long wmin = -(1LL << (W > 0 ? W - 1 : 0)), wmax = (1LL << (W > 0 ? W - 1 : 0)) - 1, amax = (1LL << A) - 1;
  long long pmin = P ? -(1LL << (P - 1)) : 0, pmax = P ? (1LL << (P - 1)) - 1 : 0;
  if (r->part != PP_MAC_ADDER) {
    for (long long w = wmin; w <= wmax; w++)
      for (long long a = 0; a <= amax; a++) add(&c, w, a, P ? rand_signed(&g, P) : 0, 0);
    r->pairs_checked = (wmax - wmin + 1) * (amax + 1);
    if (P) {
      long long ws[] = {wmin, wmin + 1, -1, 0, 1, wmax};
      long long as[] = {0, 1, amax - 1, amax};
      long long ps[] = {pmin, pmin + 1, -1, 0, 1, pmax - 1, pmax};
      for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
        for (size_t j = 0; j < sizeof as / sizeof as[0]; j++) {
          for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) add(&c, ws[i], as[j], ps[k], 0);
          /* exactly at the wrap: the largest p that still fits, and one more */
          long long prodv = ws[i] * as[j];
          if (prodv > 0) add(&c, ws[i], as[j], pmax - prodv + 1, 0), add(&c, ws[i], as[j], pmax - prodv, 0);
          if (prodv < 0) add(&c, ws[i], as[j], pmin - prodv - 1, 0), add(&c, ws[i], as[j], pmin - prodv, 0);
        }
    }
  } else {
    long long qmin = -(1LL << (N - 1)), qmax = (1LL << (N - 1)) - 1;
    for (long long q = qmin; q <= qmax; q++) add(&c, 0, 0, rand_signed(&g, P), q);
    r->pairs_checked = qmax - qmin + 1;
    long long qs[] = {qmin, qmin + 1, -1, 0, 1, qmax};
    long long ps[] = {pmin, pmin + 1, -1, 0, 1, pmax - 1, pmax};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
      for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) add(&c, 0, 0, ps[k], qs[i]);
  }
  flush(&c);
  free(c.val);
  return PP_OK;
}

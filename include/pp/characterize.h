/* characterize: hardware numbers per weight value of the MAC.
 *  - the power table P[w] (µW): average power of the MAC with the weight input
 *    held at w while (activation, partial-sum) transitions stream through it
 *    (paper section III-A), split into dynamic power and leakage;
 *  - the delay table D[w][a_from][a_to] (ps): the MAC's delay for weight w and
 *    activation transition a_from -> a_to, from dynamic timing of the
 *    multiplier combined with static timing of the adder (paper III-B, Fig. 5).
 * Both tables have readers and writers here, so that select, estimate and the
 * CLI share one definition of the files.
 *
 * Weight values are indexed wi = w - w_min (w_min = -127, n_w = 255 for 8-bit
 * symmetric weights); activation values 0..n_a-1 (n_a = 256). */
#ifndef PP_CHARACTERIZE_H
#define PP_CHARACTERIZE_H

#include <stdint.h>

#include "pp/util.h"

#define PP_CHAR_MAX_W 255
#define PP_CHAR_MAX_A 256

/* ---- power table ---------------------------------------------------------- */

#define PP_CHAR_POWER_FORMAT "powerprune-power-1"

typedef struct pp_char_power {
  int w_min, n_w;                 /* weight values w_min .. w_min + n_w - 1 */
  double dyn_uw[PP_CHAR_MAX_W];   /* dynamic power at (voltage, clock) */
  double leak_uw;                 /* leakage of one MAC (the same for every w) */
  double clock_ps;                /* clock period the dynamic power assumes */
  double voltage;                 /* supply (V) of the library */
  /* How the table was made (recorded in the files). */
  long transitions;
  uint64_t seed;
  int uniform;          /* 1: uniform random transitions; 0: sampled from a trace */
  char source[512];     /* trace directory, or "uniform" */
  char netlist[512];    /* MAC netlist (or "builtin:<arch>") */
  char lib[512];        /* cell library path */
  double seconds;       /* run time of the characterization */
} pp_char_power;

static inline double pp_char_power_total(const pp_char_power *p, int w) {
  return p->dyn_uw[w - p->w_min] + p->leak_uw;
}
/* Weight value (not index) of the largest / smallest total power among the
 * non-zero weights. */
int pp_char_power_argmax_nonzero(const pp_char_power *p);
int pp_char_power_argmin_nonzero(const pp_char_power *p);

/* CSV: '#' lines carry "key=value" metadata; then the header
 * "weight,power_uw,dynamic_uw,leakage_uw" and one row per weight value. */
int pp_char_power_write_csv(const pp_char_power *p, const char *path, pp_err *e);
/* JSON: {"format": PP_CHAR_POWER_FORMAT, "inputs": {...}, "options": {...},
 * "clock_ps", "voltage", "leakage_uw", "power_uw": {"-127": µW, ...},
 * "dynamic_uw": {...}, "max_nonzero": {...}, "min_nonzero": {...}}. */
void pp_char_power_json(const pp_char_power *p, pp_json *j); /* one object */
int pp_char_power_write_json(const pp_char_power *p, const char *path, pp_err *e);
/* Reads either file (chosen by content: JSON starts with '{'). */
int pp_char_power_read(const char *path, pp_char_power *p, pp_err *e);

/* ---- delay table ---------------------------------------------------------- */

/* File layout (little endian): magic "PPDELAY1", u32 version (1), i32 w_min,
 * u32 n_w, u32 n_a, u32 d_psum_ps, u32 reserved, f64 sta_mult_ps,
 * f64 sta_adder_max_ps (max_i d_i), f64 sta_mac_ps, f64 seconds,
 * then n_w*n_a*n_a u16 delays (ps) in [wi][a_from][a_to] order, then u32 CRC-32
 * (zlib) of every byte before it. */
#define PP_CHAR_DELAY_MAGIC "PPDELAY1"

typedef struct pp_char_delay {
  int w_min, n_w, n_a;
  uint16_t *d;          /* n_w * n_a * n_a, ps, rounded up */
  unsigned d_psum_ps;   /* STA: partial-sum input -> adder output (rounded up) */
  double sta_mult_ps;   /* STA of the multiplier alone (w, a -> prod) */
  double sta_adder_max_ps; /* max_i d_i: largest product-bit -> output path of the adder */
  double sta_mac_ps;    /* STA of the full MAC (w, a, p -> y) */
  double seconds;       /* run time of the timing analysis */
} pp_char_delay;

static inline uint16_t pp_char_delay_at(const pp_char_delay *t, int w, int a_from, int a_to) {
  return t->d[((size_t)(w - t->w_min) * t->n_a + a_from) * t->n_a + a_to];
}
int pp_char_delay_alloc(pp_char_delay *t, int w_min, int n_w, int n_a, pp_err *e);
void pp_char_delay_free(pp_char_delay *t);
/* Largest delay of weight value w over all transitions. */
unsigned pp_char_delay_max_w(const pp_char_delay *t, int w);
int pp_char_delay_write(const pp_char_delay *t, const char *path, pp_err *e);
/* Checks magic, version, sizes against the file length, and the CRC. */
int pp_char_delay_read(const char *path, pp_char_delay *t, pp_err *e);

#endif

/* pann internals shared by fit.c and accum.c: a generated MAC part ready
 * for the timed simulator. Not a public API. */
#ifndef PP_PANN_INTERNAL_H
#define PP_PANN_INTERNAL_H

#include "pp/pann.h"
#include "pp/sim.h"

typedef struct part {
  pp_netlist *nl;
  pp_sim_model *sm;
  pp_sim_ws *ws;
  int port[3]; /* input ports in the order the stream gives values */
  int nports;
} part;

/* Builds one part of the MAC (which: PP_MAC_MULT, ports w and a, or PP_MAC_ADDER, ports prod and p,
 * acc_bits wide) of the given architectures through pp_mac_build, and its simulation model. */
int pann_part_build(const pp_lib *lib, int which, int w_bits, int a_bits, int acc_bits, int mult, int adder, part *p,
                    pp_err *e);
void pann_part_free(part *p);
/* Energies (fJ) of the n-1 transitions of a stream of input vectors (n x nports). */
int pann_part_stream(part *p, const int64_t *vals, long n, double *E, pp_err *e);

/* One image's integer product of one (layer, group) for the bit-flip
 * models: q (M x K), x (K x N, column stride ld, integer values), sequential
 * dataflow (one accumulator per output, outputs one after another). pann:
 * PANN's repeated additions of x (|q| of them) with the add model's widths;
 * else a multiplier (w_bits x a_bits) then the accumulator. */
typedef struct pann_layer_job {
  const int32_t *q;
  const double *x;
  size_t ld;
  int M, K, N;
  int pann, split;
  int w_bits, a_bits, in_bits, acc_bits;
} pann_layer_job;
/* Integer feature sums (model.c's feature order); acc[0] is the additions. */
typedef struct pann_counts {
  int64_t mult[6], acc[6];
  int64_t macs;
} pann_counts;
/* Adds the job's counts to o: fast kernel and its naive reference. */
void pann_layer_counts(const pann_layer_job *j, pann_counts *o);
void pann_layer_counts_naive(const pann_layer_job *j, pann_counts *o);
extern int pann_force_generic; /* 1: never the hardware-popcount build */
extern int pann_force_double;  /* 1: net.c's forward pass takes its double GEMM reference path only */
extern size_t pann_col_block_bytes; /* net.c: the column matrix block of the fast conv path (tests: small) */
void pann_counts_add(pann_counts *to, const pann_counts *c);
/* sum_i coef[i] * F[i], in i order */
double pann_counts_fj(const double *coef, const int64_t *F, int nf);

#endif

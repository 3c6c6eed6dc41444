/* pann: PANN (power-aware neural networks) beside PowerPruning.
 *
 * Three parts:
 *  1. Closed-form bit-flip power models of a multiplier and of an accumulator
 *     (adder + register), fitted by least squares to energies that the
 *     gate-level simulator reports for the same input streams.
 *  2. Accumulation streams: how a layer's integer matrix product feeds the
 *     accumulator with signed products (one accumulator) or with non-negative
 *     products split by weight sign (w = w+ - w-, two unsigned accumulators).
 *  3. PANN quantization: multiplication-free, each product x*w realised as
 *     |w| additions of x; the weight scale is chosen so that the mean |w_int|
 *     per input, R, meets a power budget P = R * E_add(bits of x).
 *
 * ---- The power models (energies in fJ per operation) ----------------------
 * Multiplier, w_bits x a_bits (w signed, a unsigned), one operation is the
 * transition (w0,a0) -> (w1,a1). With fw = popcount(w0^w1) over w_bits and
 * fa = popcount(a0^a1) over a_bits, the per-width model is
 *     E_mult = c0 + cw*fw + ca*fa + cwa*fw*fa + cpp*fpp + cprod*fprod
 * where fpp counts the partial-product bits w_i&a_j that change (the AND
 * array's own flips, zero when the other operand's bits are zero) and fprod
 * the flipped bits of the product: both are closed-form functions of the two
 * input vectors, and they capture what input flips alone cannot (a flip of a
 * against w = 0 moves nothing).
 * A flipped input bit of a disturbs one row/column of partial products (w_bits
 * of them) and its adder tree, so a width-independent form is
 *     E_mult ~ k0 + k1*(fa*w_bits + fw*a_bits),
 * which for random inputs (f ~ bits/2) grows with w_bits*a_bits, i.e. with the
 * square of the width; pp_pann_fit_mult_global fits it over all widths.
 *
 * Accumulator of acc_bits (B) bits adding an in_bits wide two's-complement
 * addend x: the operation is the transition (x0,p0) -> (x1,p1), output y = p+x.
 * The adder sees sext(x) (B bits): a sign change of x flips its B - in_bits
 * upper bits at once. With fx = popcount(sext(x0)^sext(x1)), fp =
 * popcount(p0^p1), fy = popcount(y0^y1), and fc = flipped carries
 * (carry vector of sext(x)+p), all over B bits,
 *     E_acc = c0 + cx*fx + cp*fp + cy*fy + cc*fc.
 * Expected flips are linear in the width for random operands, hence an
 * addition costs ~linearly in its width. Signed accumulation of mixed-sign
 * products flips the upper part on every sign change of x or of the running
 * sum; unsigned accumulation (non-negative addends in separate accumulators
 * for w+ and w-) never does, upper bits move only by carries.
 *
 * ---- PANN quantization (what pp_pann_quantize_* do) -----------------------
 * A layer y = W x + b with unsigned (post-ReLU) activations x:
 *   1. x is quantized to bx bits unsigned, x ~ sx * xq (sx from calibration).
 *   2. W is quantized to integers q = round(W / g) with g chosen (bisection,
 *      mean |round(W/g)| is non-increasing in g) as the smallest scale with
 *      mean |q| <= R: the layer then costs on average R additions of a bx-bit
 *      value per input per output. No bound on |q| is imposed (an outlier
 *      weight just costs more additions, which the mean already counts).
 *   3. y = g*sx*(sum_{q>0} q*xq - sum_{q<0} |q|*xq) + b: the two sums are
 *      computed by repeated additions in two unsigned accumulators and
 *      combined by one subtraction per output.
 *   4. Optional bias correction: b += sum_i E[x_i] * (W_i - g*q_i) per output,
 *      with E[x_i] measured on calibration data; it removes the mean shift
 *      that rounding W causes.
 *   5. Optional least-squares scale per output (lsq): y_m = g'_m * sx * sum q x
 *      with g'_m = <w_m,q_m>/<q_m,q_m>; it only replaces the one multiplication
 *      per output that the rescaling already costs, and never increases the
 *      weight reconstruction error |w_m - g'_m q_m| (for ternary-like q it
 *      removes most of the gain error of rounding at a shared g).
 * The budget: the power of one b-bit MAC, P(b) = E_mult(b) + E_acc(2b), per
 * input per output, is matched by R * E_add(bx) on random reference streams
 * (MATCH_REF), or -- the honest comparison -- R is scaled until the PANN
 * network's model energy on its own products of a few calibration images
 * equals the b-bit network's on the same images (MATCH_TRACE: real
 * activations are sparse and small, which helps the b-bit multiplier more
 * than the additions, so at a trace-matched budget R is ~40% lower than at a
 * reference-matched one). For a fixed budget every bx gives its own R, and
 * the bx with the best validation accuracy is kept. R may differ per layer
 * (pp_pann_plan_run, ALLOC_GREEDY): sum_l MACs_l R_l E_l is held at the
 * budget while a greedy search on validation loss moves R between layers.
 * Moving the budget at deployment only re-runs steps 2-5 from the float
 * weights: no retraining.
 * During training (pp_pann_qat) the same quantizer runs in the forward pass
 * (straight-through to float shadow weights), activations optionally on the
 * deployment's bx-bit grid, R re-matched to the energy target as the weights
 * move; the biases learn the rounding's mean shift, so a QAT model is
 * deployed without bias correction, and at the R it was trained for (its
 * weights settle on that R's rounding thresholds: another R re-quantizes
 * them much worse than it does the pre-trained weights).
 * Sources of error: rounding of W at scale g (relative error grows as R
 * falls: with R < 1 most weights become 0 or +-1, and a layer with few
 * weights per output, such as conv1 with 25, loses whole features), rounding
 * and clipping of x at bx bits (the image included), the mean shift of
 * rounding (bias correction removes its mean, not its variance), a shared R
 * where layers differ in sensitivity (the allocation's job), and in the
 * budget: the fit error of the accumulator model reported by pp_pann_fit, the
 * few images the trace energies are measured on, and the granularity of R
 * (a layer's mean |q| moves in steps of 1/weights, so the trace match holds
 * to trace_tol, or to the nearest step).
 */
#ifndef PP_PANN_H
#define PP_PANN_H

#include <stddef.h>
#include <stdint.h>

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/nn.h"
#include "pp/util.h"

/* ---- least squares ---------------------------------------------------------- */

/* Quality of a fit on its samples. */
typedef struct pp_pann_fit_stats {
  long n;              /* samples */
  double r2;           /* coefficient of determination */
  double mean_rel_err; /* mean |pred - meas| / mean(meas) (per-sample relative errors explode near 0 fJ) */
  double rmse;         /* fJ */
  double mean_meas;    /* mean measured energy, fJ */
  double mean_pred;    /* mean predicted energy, fJ */
  double mean_err_rel; /* |mean_pred - mean_meas| / mean_meas: error of an average over the stream */
} pp_pann_fit_stats;

/* Least squares min ||X c - y|| for X (n x k, row-major), k <= 16, by
 * Householder QR (stable when features are nearly collinear). Columns that
 * are (numerically) dependent get coefficient 0. */
int pp_pann_lsq(const double *X, const double *y, long n, int k, double *c, pp_err *e);
/* The naive reference: normal equations X'X c = X'y by Gaussian elimination
 * with partial pivoting in long double. */
int pp_pann_lsq_naive(const double *X, const double *y, long n, int k, double *c, pp_err *e);
void pp_pann_fit_eval(const double *X, const double *y, long n, int k, const double *c,
                      pp_pann_fit_stats *s);

/* ---- bit-flip models --------------------------------------------------------- */

enum { PP_PANN_MULT_NF = 6, PP_PANN_ACC_NF = 6 };

typedef struct pp_pann_mult_model {
  int w_bits, a_bits;
  double c[PP_PANN_MULT_NF]; /* c0, cw, ca, cwa, cpp, cprod (fJ, fJ per flip, ...) */
  pp_pann_fit_stats fit;     /* on the fitting samples */
  pp_pann_fit_stats check;   /* on held-out samples (0 when none) */
  double leak_nw;            /* leakage of the part (nW) */
} pp_pann_mult_model;

typedef struct pp_pann_acc_model {
  int in_bits, acc_bits;
  double c[PP_PANN_ACC_NF]; /* c0, cx, cp, cy, cc */
  pp_pann_fit_stats fit;
  pp_pann_fit_stats check;
  double leak_nw;
} pp_pann_acc_model;

/* Width-independent multiplier model E = k0 + k1*(fa*w_bits + fw*a_bits). */
typedef struct pp_pann_mult_global {
  double k0, k1;
  pp_pann_fit_stats fit;
} pp_pann_mult_global;

static inline int pp_pann_popcount64(uint64_t v) { return __builtin_popcountll(v); }
static inline uint64_t pp_pann_mask(int bits) { return bits <= 0 ? 0 : bits >= 64 ? ~0ull : ((1ull << bits) - 1); }
/* v as a bits-wide two's-complement pattern (wraps like the hardware). */
static inline uint64_t pp_pann_bits(int64_t v, int bits) { return (uint64_t)v & pp_pann_mask(bits); }
/* The wrapped value of v in bits-wide two's complement. */
int64_t pp_pann_wrap(int64_t v, int bits);

void pp_pann_mult_features(int w_bits, int a_bits, int64_t w0, int64_t a0, int64_t w1, int64_t a1,
                           double f[PP_PANN_MULT_NF]);
double pp_pann_mult_energy(const pp_pann_mult_model *m, int64_t w0, int64_t a0, int64_t w1, int64_t a1);
/* p0, p1: the accumulator values before the two operations (x0 added to p0
 * gave y0, x1 added to p1 gives y1). */
void pp_pann_acc_features(int in_bits, int acc_bits, int64_t x0, int64_t p0, int64_t x1, int64_t p1,
                          double f[PP_PANN_ACC_NF]);
double pp_pann_acc_energy(const pp_pann_acc_model *m, int64_t x0, int64_t p0, int64_t x1, int64_t p1);

/* A stream of accumulator operations: at step t the adder gets (x[t], p[t]);
 * normally p[t+1] = wrap(p[t] + x[t]) unless the accumulator was reset. */
typedef struct pp_pann_acc_stream {
  int64_t *x, *p;
  long n, cap;
} pp_pann_acc_stream;
void pp_pann_acc_stream_free(pp_pann_acc_stream *s);
int pp_pann_acc_stream_push(pp_pann_acc_stream *s, int64_t x, int64_t p);
/* Model energy summed over the stream's n-1 transitions. */
double pp_pann_acc_stream_energy(const pp_pann_acc_model *m, const pp_pann_acc_stream *s);

/* ---- accumulation of a layer's integer product --------------------------------
 * Y[t][j] = sum_i A[t][i] * W[i][j] (A: T x K unsigned activations, W: K x N
 * signed weights, both row-major). Dataflows:
 *  SEQUENTIAL: one accumulator per output computes sum_i in order i = 0..K-1,
 *    outputs one after the other (the accumulator is reset to 0 between them).
 *  SYSTOLIC: weight-stationary array: the adder of the PE at row i of column j
 *    sees, for t = 0..T-1, x = A[t][i]*W[i][j] and p = partial sum of the rows
 *    above it in its tile of `rows` rows; the stream of one PE's adder runs
 *    over t.
 * Accumulation: SIGNED (products with their sign into one accumulator) or
 * SPLIT (|products| into the accumulator of the weight's sign; zero weights
 * add nothing in SEQUENTIAL and keep both accumulators idle in SYSTOLIC). */
enum { PP_PANN_SEQUENTIAL = 0, PP_PANN_SYSTOLIC = 1 };
enum { PP_PANN_SIGNED = 0, PP_PANN_SPLIT = 1 };

/* Appends the adder input streams to out[0] (signed: the one accumulator;
 * split: w+) and out[1] (split: w-). For SYSTOLIC only PEs j < max_cols and
 * rows < max_rows are taken (0: all) to bound the work. */
int pp_pann_layer_acc_streams(const int32_t *A, const int32_t *W, int T, int K, int N, int dataflow,
                              int accum, int acc_bits, int rows, int max_cols,
                              pp_pann_acc_stream out[2], pp_err *e);

/* ---- PANN quantization ------------------------------------------------------- */

/* Smallest scale g with mean_i |round(w_i / g)| <= R (R > 0), found by
 * bisection (the mean is non-increasing in g); q receives round(w/g)
 * (may be NULL). Returns the achieved mean |q| in *r_out. */
int pp_pann_weight_scale(const float *w, size_t n, double R, double *g, int32_t *q, double *r_out,
                         pp_err *e);
/* Mean |round(w/g)|. */
double pp_pann_mean_abs_q(const float *w, size_t n, double g);
/* Least-squares dequantization scale per output row: for the rows w_m (M x K)
 * and their integers q_m, gm[m] = <w_m,q_m>/<q_m,q_m> (g for an all-zero
 * row). Multiplying the sum of q*x by gm[m] instead of g costs no addition
 * and never increases |w_m - scale*q_m|. */
void pp_pann_lsq_scales(const float *w, int M, int K, const int32_t *q, double g, double *gm);

/* Symmetric uniform b-bit quantization (levels -(2^(b-1)-1)..2^(b-1)-1) with
 * the scale that minimizes the squared error (searched over fractions of
 * max|w|); the baseline "plain b-bit" weights. */
int pp_pann_uniform_scale(const float *w, size_t n, int bits, double *g, pp_err *e);

/* Unsigned bx-bit activation quantization: xq = clamp(round(x / s), 0, 2^bx - 1).
 * Calibration scale minimizing the squared error over the samples. */
double pp_pann_act_scale(const float *x, size_t n, int bits);

/* ---- budget --------------------------------------------------------------------
 * The reference energies that turn a budget into R: measured with the fitted
 * models on uniformly random streams (fixed seed) of K-long dot products. */
typedef struct pp_pann_power {
  int n_mult;                  /* models for widths 2..8 (index b-2) */
  pp_pann_mult_model mult[7];  /* w_bits = a_bits = b */
  pp_pann_acc_model acc[7];    /* adder for the b-bit MAC: in_bits = 2b, acc_bits */
  pp_pann_acc_model add[7];    /* PANN adder for bx = b bit activations: in_bits = max(4, b+1) */
  int acc_bits;
  int have[7];                 /* width fitted */
} pp_pann_power;

/* Mean energy (fJ) of one b-bit MAC operation (multiplier + accumulation, accum
 * SIGNED or SPLIT) on uniformly random w (signed) and a (unsigned) of b bits,
 * dot products of length K, from the models. */
double pp_pann_ref_mac_energy(const pp_pann_power *pw, int b, int accum, int K, uint64_t seed);
/* The same split into multiplier and accumulator parts (NAN when not fitted). */
void pp_pann_ref_mac_parts(const pp_pann_power *pw, int b, int accum, int K, uint64_t seed, double *e_mult,
                           double *e_acc);
/* Mean energy (fJ) of one PANN addition of a random bx-bit unsigned x, with x
 * added |w| times in a row (the repeated additions of one product), into an
 * unsigned accumulator; R sets the mean repeat count. */
double pp_pann_ref_add_energy(const pp_pann_power *pw, int bx, double R, int K, uint64_t seed);
/* The R that spends budget P (fJ per input per output) with bx-bit
 * activations: solves R * E_add(bx, R) = P. NAN when the width is not fitted. */
double pp_pann_budget_R(const pp_pann_power *pw, int bx, double P, int K, uint64_t seed);

/* ---- fitting against the gate-level simulator -------------------------------------
 * For each width b: the multiplier part (b x b), the MAC's adder part (2b-bit
 * addend into acc_bits) and the PANN adder for b-bit activations (addend port
 * max(4, b+1) bits) are generated with pp_mac_generate, simulated with the
 * timed event engine of module sim on mixed streams (see fit.c), and fitted;
 * every 5th transition is held out (the `check` statistics). Energies are
 * dynamic (switching + internal); leakage is reported per part. The
 * accumulator register is not part of the netlist: its energy (~ fy) is not
 * in the measured numbers. */
typedef struct pp_pann_fit_opts {
  int acc_bits;      /* accumulator width B (default 22, the project's array) */
  int samples;       /* transitions per part (default 3000) */
  int mult_arch;     /* PP_MULT_* (default PP_MAC_MULT_DEFAULT) */
  int adder_arch;    /* PP_ADDER_* (default PP_MAC_ADDER_DEFAULT) */
  uint64_t seed;
  int min_bits, max_bits; /* widths fitted, within 2..8 */
} pp_pann_fit_opts;
void pp_pann_fit_defaults(pp_pann_fit_opts *o);

/* What the fit says about PANN's claims. */
typedef struct pp_pann_claims {
  double mult_random_fj[7]; /* simulated mean multiplier energy, uniform random operands, per width */
  double mult_exponent;     /* slope of log E vs log b (2: quadratic) */
  pp_pann_mult_global global; /* E = k0 + k1*(fa*w_bits + fw*a_bits) over all widths */
  double acc_signed_fj[7];  /* model: accumulator energy per MAC, random dot products, signed */
  double acc_split_fj[7];   /* ... split into w+ / w- unsigned accumulators */
  double add_random_fj[7];  /* model: PANN addition of a random b-bit unsigned x (R = 1) */
  double add_exponent;      /* slope of log E_add vs log b (1: linear) */
} pp_pann_claims;

/* lib: the cell library to generate the parts in. */
int pp_pann_fit(const pp_lib *lib, const pp_pann_fit_opts *o, pp_pann_power *pw, pp_pann_claims *cl, pp_err *e);

/* Signed against split accumulation on real streams: the integer products of
 * module nn's int8 path on `images` images feed the accumulator (sequential
 * or systolic dataflow, tiles of `rows` rows); the 8-bit MAC's adder part is
 * simulated at gate level on an evenly spaced subsample of at most
 * max_transitions transitions per accumulator kind, scaled to the whole
 * stream. Energies per MAC operation of the network (zero weights included). */
typedef struct pp_pann_accum_opts {
  int acc_bits, adder_arch, images, dataflow, rows;
  long max_transitions;
  uint64_t seed;
} pp_pann_accum_opts;
void pp_pann_accum_defaults(pp_pann_accum_opts *o);
typedef struct pp_pann_accum_result {
  double macs;
  double signed_fj_per_mac, split_fj_per_mac;
  long sim_signed, sim_split; /* transitions simulated */
} pp_pann_accum_result;
int pp_pann_accum_trace(const pp_lib *lib, const pp_nn_qmodel *q, const pp_nn_data *d, const pp_pann_accum_opts *o,
                        pp_pann_accum_result *r, pp_err *e);

/* The models as one JSON object ("format": "powerprune-pann-power/1"),
 * claims included when cl is not NULL; and read back (PP_EPARSE with file
 * and line on a malformed file). */
void pp_pann_power_json(pp_json *j, const pp_pann_power *pw, const pp_pann_claims *cl);
int pp_pann_power_parse(const char *text, const char *file, pp_pann_power *pw, pp_err *e);
int pp_pann_power_load(const char *path, pp_pann_power *pw, pp_err *e);

/* ---- quantized networks -------------------------------------------------------
 * A quantized copy of an nn model (BN folded), run with integer products:
 *  FLOAT: the float model itself (a check against module nn's evaluation);
 *  UNIFORM: plain b-bit quantization, weights symmetric w_bits (per-tensor
 *    MSE scale), every conv/fc input unsigned a_bits (per-layer MSE scale
 *    from calibration), the image included;
 *  PANN: weights q = round(W/g) with mean |q| = R per layer (the scale of
 *    pp_pann_weight_scale), inputs unsigned a_bits.
 * Post-training only: the scales come from the float weights and from
 * calibration images, so a new budget is one pp_pann_net_quantize call. */
enum { PP_PANN_Q_FLOAT = 0, PP_PANN_Q_UNIFORM = 1, PP_PANN_Q_PANN = 2 };

typedef struct pp_pann_qspec {
  int mode;      /* PP_PANN_Q_* */
  int w_bits;    /* UNIFORM: 2..8 */
  int a_bits;    /* UNIFORM, PANN: 2..8 */
  double R;      /* PANN: additions per input (mean |q|) */
  int bias_corr; /* correct each output's bias for the mean shift of weight rounding */
  int lsq;       /* dequantize each output with its least-squares scale (pp_pann_lsq_scales) */
  const double *layer_R; /* PANN: R per conv/fc layer (pp_pann_net_nlayers entries); NULL: R everywhere */
} pp_pann_qspec;

typedef struct pp_pann_net pp_pann_net;

/* Calibrates on images [first, first+count) of calib (float pass: input
 * activation samples and input means of every conv/fc). m must outlive the
 * net. Layer types: conv (grouped too), fc, bn, relu, relu6, actq (identity:
 * quantization happens at the conv/fc inputs instead), max/avg pool, gap, add. */
int pp_pann_net_create(const pp_nn_model *m, const pp_nn_data *calib, int first, int count, pp_pann_net **out,
                       pp_err *e);
void pp_pann_net_free(pp_pann_net *n);
int pp_pann_net_quantize(pp_pann_net *n, const pp_pann_qspec *s, pp_err *e);
/* Accuracy (%) on images [first, first+count); logits (count x classes) may be NULL. */
int pp_pann_net_eval(pp_pann_net *n, const pp_nn_data *d, int first, int count, double *accuracy, float *logits,
                     pp_err *e);
/* The same with the mean cross-entropy loss (nats) too (either may be NULL). */
int pp_pann_net_eval_loss(pp_pann_net *n, const pp_nn_data *d, int first, int count, double *accuracy, double *loss,
                          float *logits, pp_err *e);

/* Energy of the network's own integer products under the bit-flip models
 * (sequential dataflow: one accumulator per output). UNIFORM: multiplier +
 * accumulator of the b-bit MAC (accum SIGNED or SPLIT); PANN: |q| additions
 * of each a_bits input into the accumulator of the weight's sign. */
typedef struct pp_pann_energy {
  double macs;      /* MAC operations the layer products stand for (zero weights included) */
  double additions; /* accumulator operations */
  double e_mult, e_acc, e_total; /* fJ */
  double e_per_mac; /* fJ per MAC-equivalent */
} pp_pann_energy;
int pp_pann_net_energy(pp_pann_net *n, const pp_pann_power *pw, int accum, const pp_nn_data *d, int first, int count,
                       pp_pann_energy *out, pp_err *e);
/* The same, also per conv/fc layer (layers: pp_pann_net_nlayers entries). */
int pp_pann_net_energy_layers(pp_pann_net *n, const pp_pann_power *pw, int accum, const pp_nn_data *d, int first,
                              int count, pp_pann_energy *out, pp_pann_energy *layers, pp_err *e);

typedef struct pp_pann_layer_info {
  char name[48];
  int M, K, N, groups;
  double g, sx, r; /* weight scale, activation scale, achieved mean |q| */
  int max_abs_q;
  double macs;     /* MAC operations per image (M*K*N) */
} pp_pann_layer_info;
int pp_pann_net_nlayers(const pp_pann_net *n);
void pp_pann_net_layer(const pp_pann_net *n, int i, pp_pann_layer_info *info);

/* ---- choosing a PANN network for a budget -------------------------------------
 * pp_pann_plan_run: for every activation width bx in bx_min..bx_max the budget
 * gives R; with MATCH_REF R * E_add(bx, R) equals the b-bit MAC's reference
 * energy (random streams); with MATCH_TRACE R is scaled (fixed-point steps
 * and bisection) until the PANN network's energy on its own products of the
 * trace images equals the b-bit network's energy on the same images, within
 * trace_tol. The width with the best validation accuracy is kept. With
 * ALLOC_GREEDY, R is then moved between layers: a move multiplies one layer's
 * R by f or 1/f and rescales all others so that sum_l w_l R_l stays fixed
 * (w_l = MACs_l for REF; MACs_l times the layer's trace energy per addition
 * for TRACE); the move that lowers the validation cross-entropy most is
 * taken, f shrinks (sqrt) when none does. For TRACE the result is re-matched
 * to the target energy, and kept only when its validation loss is below the
 * uniform allocation's. Deterministic (no random choice). */
enum { PP_PANN_ALLOC_UNIFORM = 0, PP_PANN_ALLOC_GREEDY = 1 };
enum { PP_PANN_MATCH_REF = 0, PP_PANN_MATCH_TRACE = 1, PP_PANN_MATCH_BOTH = 2 /* compare only */ };
#define PP_PANN_MAX_LAYERS 128

typedef struct pp_pann_plan_opts {
  int alloc;             /* PP_PANN_ALLOC_* (default uniform) */
  int match;             /* PP_PANN_MATCH_REF or _TRACE (default ref) */
  int lsq;               /* least-squares dequantization scales (default 1) */
  int bias_corr;         /* default 1 */
  int accum;             /* the b-bit MAC's accumulation (default split) */
  int K_ref;             /* reference streams' dot-product length (64) */
  int bx_min, bx_max;    /* activation widths tried (2..8) */
  const pp_nn_data *val; /* validation images [val_first, +val_count): width choice and allocation objective */
  int val_first, val_count;
  const pp_nn_data *trace; /* images whose products set the trace energies (MATCH_TRACE) */
  int trace_first, trace_count;
  double alloc_step;     /* first multiplicative move of the greedy (1.3) */
  int alloc_max_evals;   /* bound on validation evaluations of the greedy (120) */
  double trace_tol;      /* relative tolerance of the trace match (0.005) */
  uint64_t seed;         /* reference streams */
  double fixed_R;        /* > 0: R everywhere, no matching, no allocation (for experiments) */
  const double *layer_R; /* not NULL: these R per layer, no matching, no allocation */
} pp_pann_plan_opts;
void pp_pann_plan_defaults(pp_pann_plan_opts *o);

typedef struct pp_pann_plan {
  int budget_bits;       /* 0 when the budget was given in fJ */
  double budget_fj;      /* reference energy of the b-bit MAC (or the given budget), fJ per MAC */
  double target_fj;      /* energy per MAC matched: budget_fj (REF) or the b-bit network's trace energy (TRACE) */
  double achieved_fj;    /* the plan's energy per MAC on the same terms */
  int a_bits;            /* chosen activation width */
  double R;              /* MAC-weighted mean additions per input */
  double R_uniform, val_acc_uniform; /* the uniform allocation at a_bits */
  int nl;
  double layer_R[PP_PANN_MAX_LAYERS];
  double val_acc, val_loss;
  double cand_R[7], cand_val_acc[7], cand_fj[7]; /* per width 2..8 (uniform R; NAN when not tried) */
  int evals;             /* validation evaluations spent */
} pp_pann_plan;

/* Scales R (pp_pann_net_nlayers entries, in place) so that the PANN network
 * with bx-bit activations spends `target` fJ per MAC on the products of o's
 * trace images (o: trace images, accum, lsq, bias_corr, trace_tol). */
int pp_pann_match_trace(pp_pann_net *n, const pp_pann_power *pw, const pp_pann_plan_opts *o, int bx, double *R,
                        double target, double *achieved, pp_err *e);

/* budget_bits 2..8 (or 0 and budget_fj > 0 with MATCH_REF). Leaves n
 * quantized at the plan. */
int pp_pann_plan_run(pp_pann_net *n, const pp_pann_power *pw, int budget_bits, double budget_fj,
                     const pp_pann_plan_opts *o, pp_pann_plan *out, pp_err *e);

/* ---- PANN during training (quantization-aware, straight-through) ------------------
 * One optimizer step of module nn's trainer per mini-batch at the PANN-
 * quantized weights gm*round(W/g) (mean |q| = R per conv/fc layer, or
 * layer_R, scale refreshed every rescale_every steps, gm the least-squares
 * scales with lsq), its change applied to the float shadow weights; Adam with
 * a cosine-decayed learning rate. act_bits = 0 keeps activations float;
 * act_bits = bx quantizes every conv/fc input on the bx-bit grid pann_net
 * deploys (the MSE scale of calibration images [0, calib_images), refreshed
 * every act_every steps; the image too) through module nn's fake
 * quantization, straight-through inside the range. BN is then frozen and
 * folded, as in nn's QAT, and the folded weights are the ones quantized. The
 * model ends with the float weights (quantization state and activation
 * ranges as before), ready for pp_pann_net at this or any other budget. */
typedef struct pp_pann_qat_opts {
  double R;          /* additions per input the training targets */
  const double *layer_R; /* per conv/fc layer (NULL: R everywhere) */
  int act_bits;      /* 0: float activations; 2..8: quantized in training */
  int lsq;           /* least-squares scale per output (default 1) */
  long steps;        /* mini-batches (default 2000) */
  int batch;         /* default 64 */
  double lr;         /* Adam learning rate (default 1e-4) */
  int cosine;        /* cosine decay of lr to 0 over the steps (default 1) */
  int rescale_every; /* default 25 */
  int act_every;     /* activation scales refreshed every this many steps (100) */
  int calib_images;  /* images [0, n) of the training set for the scales (1000) */
  int skip_first, skip_count; /* training images never sampled (the validation images that judge the result) */
  uint64_t seed;
  /* Energy held during training (act_bits > 0, target_fj > 0): at every
   * act_every refresh R is rescaled (pp_pann_match_trace with match_opts)
   * so that the network at the current weights spends target_fj per MAC;
   * the R of the end are written to layer_R_out (may be NULL) */
  const pp_pann_power *pw;
  const pp_pann_plan_opts *match_opts;
  double target_fj;
  double *layer_R_out;
  /* called every progress_every steps (100) with the mean training loss and
   * accuracy (%) of the quantized network over those steps (may be NULL) */
  void (*progress)(long step, double loss, double acc, void *ctx);
  void *progress_ctx;
  int progress_every;
  /* pp_pann_qat_probe: called with progress_ctx before each width's probe
   * (the probe's steps then report through progress); may be NULL */
  void (*probe_start)(int act_bits, double R, long steps, void *ctx);
} pp_pann_qat_opts;
void pp_pann_qat_defaults(pp_pann_qat_opts *o);
int pp_pann_qat(pp_nn_model *m, const pp_nn_data *d, const pp_pann_qat_opts *o, pp_err *e);

/* ---- choosing the activation width by what fine-tuning makes of it ---------------
 * pp_pann_qat_probe: post-training accuracy favours wide activations (their
 * few additions hurt least before training) but says little about what QAT
 * can recover at a narrower width with more additions per input. For every
 * width bx in po's bx_min..bx_max the budget is planned at bx (uniform R,
 * po's matching), a short QAT probe (qo with steps = probe_steps, training
 * images outside po's validation range) fine-tunes a copy of the weights at
 * that plan with the energy held, and the probe is judged on po's validation
 * images at the R it ended with (no bias correction: the trained biases
 * replace it). The width with the best probe validation accuracy wins (ties:
 * lower validation loss). m keeps its weights and buffers; its optimizer
 * state is reset (pp_nn_model_reset_training). Test images are never read. */
typedef struct pp_pann_probe {
  int n;                   /* widths probed */
  int bits[7];
  double R[7];             /* planned mean R before the probe */
  double post_val_acc[7];  /* validation accuracy after quantization, before any training (%) */
  double probe_val_acc[7]; /* validation accuracy after the probe (%) */
  double probe_val_loss[7];
  long steps;
  int chosen;              /* index into the arrays above */
} pp_pann_probe;
int pp_pann_qat_probe(pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw, int budget_bits,
                      const pp_pann_plan_opts *po, const pp_pann_qat_opts *qo, long probe_steps, pp_pann_probe *out,
                      pp_err *e);

/* ---- from a float model to the fine-tuned network of a budget ------------------------
 * pp_pann_deploy_run: with a range of activation widths in plan (bx_min <
 * bx_max), probe_steps > 0 and quantized activations in training
 * (qat.act_bits != 0), the width is chosen by pp_pann_qat_probe; then the
 * budget is planned at that width (plan's matching and allocation, qat's
 * calibration images), the plan's test accuracy and energy are measured, m is
 * fine-tuned at it (pp_pann_qat with the energy held to the plan's trace
 * target under MATCH_TRACE, plan's validation images never trained on), and
 * the R the training ended with is deployed and measured again (no bias
 * correction, no new matching). qat's R, layer_R, act_bits, skip_*, pw,
 * match_opts, target_fj and layer_R_out are set here. m must be the float model (not in QAT mode); it ends with the
 * fine-tuned float weights. Test images are read only for the figures
 * reported, never for a choice. */
typedef struct pp_pann_deploy_opts {
  int budget_bits;         /* 2..8: the energy of a b-bit MAC */
  pp_pann_plan_opts plan;  /* validation and trace images, widths, matching, allocation, accum */
  pp_pann_qat_opts qat;    /* steps, lr, seed, lsq, calib_images, progress; act_bits -1 (default): the
                            * plan's width, 0: float activations in training */
  long probe_steps;        /* steps of each width's probe (default 300; 0: the planner's post-training choice) */
  const pp_nn_data *test;  /* images [test_first, +test_count) give the reported accuracies */
  int test_first, test_count;
  int energy_images;       /* the first this many of them give the reported energy per MAC (default 10) */
} pp_pann_deploy_opts;
void pp_pann_deploy_defaults(pp_pann_deploy_opts *o);

typedef struct pp_pann_deploy {
  double float_test_acc;   /* the float model on the same test images (%) */
  int probed;              /* the width came from the probes below */
  pp_pann_probe probe;
  pp_pann_plan before, after; /* after.achieved_fj: on the trace images; after.target_fj: before's target */
  double test_acc_before, test_acc_after; /* (%) */
  double test_fj_before, test_fj_after;   /* energy per MAC on the energy images (fJ) */
  int act_bits_trained;    /* the activation width in training (0: float) */
} pp_pann_deploy;
int pp_pann_deploy_run(pp_nn_model *m, const pp_nn_data *train, const pp_pann_power *pw, const pp_pann_deploy_opts *o,
                       pp_pann_deploy *out, pp_err *e);

/* ---- comparison at equal power -------------------------------------------------- */
typedef struct pp_pann_compare_opts {
  int calib_images;  /* training images [0, n) for calibration (default 1000) */
  int val_images;    /* the next training images, to choose PANN's activation width (default 2000) */
  int test_images;   /* test images evaluated (0: all) */
  int energy_images; /* test images whose integer products go through the models (default 10) */
  int accum;         /* the b-bit MAC's accumulation (default SPLIT: the cheaper, fairer baseline) */
  int K_ref;         /* dot-product length of the reference energies (default 64) */
  int bias_corr;     /* default 1, for both methods */
  int min_bits, max_bits; /* baseline widths (default 2..8) */
  uint64_t seed;
  /* PANN side (pp_pann_plan_run): */
  int lsq;           /* least-squares dequantization scales (default 1) */
  int alloc;         /* PP_PANN_ALLOC_* (default uniform; greedy costs ~100 validation passes per budget) */
  int match;         /* PP_PANN_MATCH_TRACE (default), _REF or _BOTH (both sets of points) */
  int trace_images;  /* training images [0, n) whose products set the trace energies (default 10) */
  int pann_bx_min, pann_bx_max; /* activation widths tried (default 2..8) */
  int alloc_max_evals; /* greedy bound (default 120) */
} pp_pann_compare_opts;
void pp_pann_compare_defaults(pp_pann_compare_opts *o);

typedef struct pp_pann_point {
  char method[16];   /* "uniform" or "pann" */
  char match[8];     /* pann: "trace" or "ref" (how the budget was met); uniform: "" */
  double target_fj;  /* pann: the energy per MAC matched (trace: the b-bit network's on the trace images) */
  double achieved_fj; /* pann: its own energy on the same terms */
  int greedy;        /* pann: R allocated per layer by the greedy */
  int budget_bits;   /* the b-bit MAC whose power this point spends */
  int w_bits, a_bits;
  double R;          /* mean additions per input (uniform: mean |q| for information) */
  double budget_fj;  /* reference energy of the b-bit MAC, fJ per MAC */
  double ref_fj;     /* reference energy of this configuration, fJ per MAC */
  double trace_fj;   /* model energy on the network's own products (chosen points), fJ per MAC */
  double val_acc, test_acc; /* %, test NAN for PANN candidates not chosen */
  int chosen;        /* the point reported for its budget */
} pp_pann_point;

typedef struct pp_pann_compare {
  double float_acc;
  int test_images;
  pp_pann_point *pts;
  int n, cap;
} pp_pann_compare;

int pp_pann_compare_run(const pp_nn_model *m, const pp_nn_data *train, const pp_nn_data *test, const pp_pann_power *pw,
                        const pp_pann_compare_opts *o, pp_pann_compare *out, pp_err *e);
/* The planner's options of the comparison's PANN side (validation and trace
 * images from train as o says, widths, allocation, accumulation, seed; match
 * left to the caller). */
void pp_pann_compare_plan_opts(const pp_pann_compare_opts *o, const pp_nn_data *train, pp_pann_plan_opts *po);
void pp_pann_compare_free(pp_pann_compare *c);

/* Energy of module nn's int8 integer path (its own products, through the
 * qgemm hook) under the 8-bit MAC models: the int8 network, or a network
 * PowerPruning restricted, on the same scale as the points above. */
int pp_pann_qmodel_energy(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count, const pp_pann_power *pw,
                          int accum, pp_pann_energy *out, pp_err *e);

#endif

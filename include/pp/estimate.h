/* estimate: power of a network on the systolic array from per-weight MAC
 * power, and supply-voltage scaling from the delay the selection saved
 * (paper section IV, Table I).
 *
 * What counts: the MAC units of the N x N array (the table P[w] is one MAC's
 * power), nothing else (no SRAM, no registers outside the MAC, no clock tree).
 * Time is measured in PE-cycles: every PE exists for every cycle of the run.
 * A PE-cycle is one of
 *   - a MAC with weight w (w = 0 included): mac_cycles[w];
 *   - idle: the PE holds no weight of the current tile, or the wave front has
 *     not reached it (fill/drain);
 *   - of those idle ones, gated_pe_cycles lie in columns the current tile does
 *     not use at all.
 * Standard HW (nothing gated): a MAC cycle with weight w costs dyn[w]
 * (zero weights included: activations and partial sums still switch the
 * multiplier's inputs and the adder); every PE leaks all the time. An idle
 * PE-cycle costs no MAC dynamic power by default (idle_mode HOLD: the array
 * module's PEs have valid-gated input registers that hold their value when no
 * data arrives, so the MAC's inputs do not switch; the registers' own clock
 * power is outside the MAC table). idle_mode ZERO_WEIGHT instead charges
 * dyn[0] per idle PE-cycle: an array without valid gating, where data keeps
 * streaming through PEs that hold weight 0.
 * Optimized HW: a PE whose weight is 0 is clock gated (no dynamic power, so
 * zero-weight MACs and idle PEs cost only leakage); unused columns are power
 * gated (neither dynamic power nor leakage).
 * Power = energy / time: sum over PE-cycles of the per-cycle power, divided
 * by the number of cycles.
 *
 * Voltage: the alpha-power law delay(V) ∝ V / (V - Vth)^alpha (Sakurai and
 * Newton). Defaults Vth = 0.43 V, alpha = 1.3 (a short-channel alpha) were
 * fitted so that a 180 ps MAC at 0.8 V whose critical delay drops by 40, 30
 * and 20 ps can run at 0.71, 0.73, 0.75 V (Table I); the fit gives 0.707,
 * 0.730, 0.752 V. At the scaled voltage the clock stays: dynamic power scales
 * with (V/V0)^2; leakage power I_leak * V with I_leak ∝ exp(k (V - V0)) (DIBL:
 * k = eta / (n vT) with eta = 0.05 V/V for a FinFET, n = 1.1, vT = 25.9 mV,
 * k = 1.75 / V), so leak(V) = leak(V0) * (V/V0) * exp(k (V - V0)). */
#ifndef PP_ESTIMATE_H
#define PP_ESTIMATE_H

#include "pp/array.h"
#include "pp/characterize.h"
#include "pp/select.h"

/* ---- voltage model --------------------------------------------------------- */
typedef struct pp_est_vmodel {
  double v_nom; /* V0: the library's nominal supply */
  double vth;   /* V */
  double alpha;
  double leak_k; /* 1/V */
  double v_step; /* > 0: round the scaled voltage UP to this grid (safe side); 0: exact */
  int fitted;    /* 0: the defaults above; n >= 2: vth, alpha, leak_k fitted to n library points */
} pp_est_vmodel;

void pp_est_vmodel_default(pp_est_vmodel *m); /* 0.8 V, 0.43 V, 1.3, 1.75/V, 0, not fitted */

/* The voltage law fitted to the MAC under one library characterized at
 * several supplies: the STA critical delay and the leakage at each. */
#define PP_EST_VFIT_MAX 8
typedef struct pp_est_vpoint {
  double v;        /* V: the library's supply */
  double delay_ps; /* the MAC's critical path there */
  double leak_nw;  /* the MAC's leakage there */
  char lib[512];   /* the library file */
} pp_est_vpoint;
typedef struct pp_est_vfit {
  int n;                             /* points; pt[0] is the nominal one (v = the model's v_nom) */
  pp_est_vpoint pt[PP_EST_VFIT_MAX];
  int alpha_fitted;                  /* 0: two points, alpha kept (one ratio fixes one parameter) */
  int vth_at_zero;                   /* two points whose ratio no vth >= 0 gives at that alpha: vth 0, alpha fitted */
  int leak_fitted;                   /* 0: a leakage <= 0 somewhere, leak_k kept */
  double rms_log_delay, rms_log_leak; /* residuals of the fitted laws at the points, natural log */
} pp_est_vfit;
/* Fits vth and alpha of the delay law to the ratios delay(V_i) / delay(V_0)
 * (least squares in log; with two points alpha stays as m has it, unless no
 * vth >= 0 reproduces the ratio, then vth = 0 and alpha is solved), and
 * leak_k to leak(V_i) / leak(V_0) = (V_i / V_0) exp(k (V_i - V_0)) (least
 * squares in log). m->v_nom is set to pt[0].v. PP_EINVAL for fewer than two
 * points, equal or non-positive voltages, non-positive delays, or delays
 * that fall as the supply drops. */
int pp_est_vmodel_fit(pp_est_vfit *f, pp_est_vmodel *m, pp_err *e);
/* delay(V) / delay(v_nom) */
double pp_est_delay_factor(const pp_est_vmodel *m, double v);
/* Lowest V in (vth, v_nom] at which a circuit whose critical delay at v_nom
 * is d_sel_ps is still no slower than d_nom_ps: d_sel * factor(V) <= d_nom.
 * d_sel >= d_nom gives v_nom. */
int pp_est_scaled_voltage(const pp_est_vmodel *m, double d_nom_ps, double d_sel_ps, double *v, pp_err *e);
double pp_est_dyn_scale(const pp_est_vmodel *m, double v);
double pp_est_leak_scale(const pp_est_vmodel *m, double v);

/* ---- usage of the array ---------------------------------------------------- */
typedef struct pp_est_usage {
  int rows, cols;        /* array size */
  double cycles;         /* array cycles of the run (or of the part measured) */
  int w_min, n_w;        /* weight values, as in the power table */
  double mac_cycles[PP_CHAR_MAX_W]; /* PE-cycles doing a MAC with weight w */
  double gated_pe_cycles; /* idle PE-cycles in columns the tile leaves unused */
  int idle_mode;          /* PP_EST_IDLE_* */
} pp_est_usage;

enum { PP_EST_IDLE_HOLD = 0, PP_EST_IDLE_ZERO_WEIGHT = 1 };

/* From the statistics of `powerprune trace`: cycles = weight loading +
 * streaming; mac_cycles = mac_per_weight; the gated PE-cycles are the mean
 * share of unused columns per tile times all PE-cycles (the statistics keep
 * unused columns per tile, not per cycle, so tiles count equally). This is
 * the fallback of pp_est_usage_from_layers for statistics without per-layer
 * records; callers (`run`, `estimate`) use pp_est_usage_from_layers. */
int pp_est_usage_from_stats(const pp_array_stats *s, pp_est_usage *u, pp_err *e);
/* The same, with the power-gated PE-cycles counted per layer from its tiling
 * (the array module's model, array.h): a tile lasts N load cycles plus
 * N_out + N + C - 2 streaming cycles, and in an ungrouped product (M x K, N
 * x N array) only the last column block leaves columns unused, N - C of them
 * with C = M - floor((M - 1) / N) * N, in each of the ceil(K / N) row blocks:
 *   gated = sum over layers of gemms * ceil(K/N) * N * (N - C) * (2N + N_out - 2 + C).
 * Packed grouped products use their tiles' mean used width C = N - U/T (U
 * unused columns over T tiles): gated = N * U * (2N + N_out - 2 + C), exact
 * when all their tiles are equally wide. Layers without unused columns add
 * nothing. Statistics without per-layer records fall back to the per-tile
 * mean above. PP_EPARSE for counters that contradict each other. */
int pp_est_usage_from_layers(const pp_array_stats *s, pp_est_usage *u, pp_err *e);

/* Checks the PE-cycle budget: MAC + gated <= rows * cols * cycles, all >= 0. */
int pp_est_usage_check(const pp_est_usage *u, pp_err *e);
/* The weights a restricted network would use without retraining: every
 * weight moves to the nearest allowed value (ties towards zero); allowed
 * has n_w entries over w_min.. (weight 0 must be allowed). */
int pp_est_usage_restrict(const pp_est_usage *in, const uint8_t *allowed, pp_est_usage *out, pp_err *e);

/* ---- power ------------------------------------------------------------------ */
typedef struct pp_est_hw {
  double dyn_uw, leak_uw, total_uw;
} pp_est_hw;

typedef struct pp_est_power {
  double v;        /* supply used */
  pp_est_hw shw;   /* Standard HW */
  pp_est_hw ohw;   /* Optimized HW */
} pp_est_power;

/* Power at supply v (v_nom: the table as is). The table's weight range must
 * cover the usage's. */
int pp_est_power_at(const pp_est_usage *u, const pp_char_power *p, const pp_est_vmodel *m, double v,
                    pp_est_power *out, pp_err *e);

/* Table I in one struct: the original network (all values, nominal V) against
 * the selected one, without and with voltage scaling. Reductions are shares of
 * the original power; the share from voltage scaling is
 *   v_share = (P_sel(V0) - P_sel(Vs)) / P_orig,
 * i.e. the reduction with scaling minus the reduction without it (the paper's
 * V_SHW and V_OHW columns). */
typedef struct pp_est_compare {
  pp_est_power orig, sel, sel_scaled;
  double d_orig_ps, d_sel_ps, v_scaled;
  double red_shw, red_ohw;                 /* with voltage scaling */
  double red_shw_noscale, red_ohw_noscale; /* selection alone */
  double v_share_shw, v_share_ohw;
} pp_est_compare;

int pp_est_compare_run(const pp_est_usage *orig, const pp_est_usage *sel, const pp_char_power *p, double d_orig_ps,
                       double d_sel_ps, const pp_est_vmodel *m, pp_est_compare *out, pp_err *e);
#define PP_EST_COMPARE_FORMAT "powerprune-estimate-compare/1"
/* One object, "format": PP_EST_COMPARE_FORMAT (the flow's estimate.json). */
void pp_est_compare_json(const pp_est_compare *c, const pp_est_vmodel *m, pp_json *j);

/* ---- check against gate-level simulation of a layer's real streams ------------ */
/* One integer product (a layer for one image, as the nn hook delivers it) is
 * tiled as the array module does (PE(r, c) of tile (kt, mt) holds
 * w[mt*N + c][kt*N + r]; groups == 1). A seeded sample of used PEs is taken;
 * each PE's real input streams are rebuilt: activations X[k][n] for n = 0..,
 * partial sums sum_{r' < r} w[m][kt*N + r'] X[kt*N + r'][n] (tile-local, as
 * the array's partial sums enter each tile as 0), and the full MAC is
 * simulated at gate level (timed engine) on every consecutive pair n-1 -> n
 * (or max_steps of them, one per equal stratum of the stream) with the PE's weight
 * held (the first item of a tile, which follows whatever the PE held before,
 * is left out). The table prices the same transitions at
 * E[w] = dyn_uw[w] * clock_ps / 1000 fJ each. */
#define PP_EST_CHECK_MAX_PES 16384
typedef struct pp_est_check_opts {
  int array_size; /* N, default 64 */
  int n_pes;      /* PEs sampled, default 32 (at most PP_EST_CHECK_MAX_PES) */
  int max_steps;  /* transitions per PE, default 0: all; fewer: one at a seeded random place per stratum */
  uint64_t seed;
  /* pp_est_check_layer: the table's side */
  long transitions; /* T sampled from the layer's statistics, default 10000 */
  int bins;         /* partial-sum bins, default 50 */
  double clock_ps;  /* <= 0: the MAC's STA critical path */
  int reservoir;    /* 1: sample joint tuples from the reservoir instead of the bins */
} pp_est_check_opts;
void pp_est_check_opts_default(pp_est_check_opts *o);

typedef struct pp_est_check {
  int n_pes;
  int pe_w[PP_EST_CHECK_MAX_PES];      /* weight of each sampled PE */
  int pe_m[PP_EST_CHECK_MAX_PES], pe_k[PP_EST_CHECK_MAX_PES]; /* its output row m and weight column k */
  long pe_steps[PP_EST_CHECK_MAX_PES]; /* transitions simulated */
  double pe_sim_fj[PP_EST_CHECK_MAX_PES];
  long transitions;
  double sim_fj;   /* gate-level energy, all sampled PEs */
  double table_fj; /* the table's price for the same transitions (after pp_est_check_price) */
  double error;    /* table_fj / sim_fj - 1 */
  /* Standard error of `error` as an estimate of the whole layer's, from the
   * spread of the per-PE differences (table - gate level) over the sampled
   * PEs, with the finite-population correction for total_pes: a PE's own
   * streams differ from the layer's average, so a few dozen PEs leave
   * several percent of sampling noise. */
  double error_se;
  long total_pes; /* M x K: the used PEs the sample is drawn from */
} pp_est_check;

/* Simulates the sampled PEs' streams (OpenMP over PEs, deterministic). */
int pp_est_check_streams(const pp_nn_qgemm *g, const pp_sim_model *mac, const pp_est_check_opts *o,
                         pp_est_check *out, pp_err *e);
/* Prices the simulated transitions with the power table; sets table_fj, error. */
int pp_est_check_price(pp_est_check *c, const pp_char_power *p, pp_err *e);
/* The whole check for one layer, as the flow would do it: the product is
 * streamed through the array module (a calibration pass builds the
 * partial-sum bins, a counting pass the statistics), T transitions are
 * sampled from those statistics (pp_char_trace_tuples, the paper's method),
 * E[w] is characterized for the weights of the sampled PEs (table entries of
 * other weights stay 0), then the sampled PEs' real streams are simulated and
 * priced. table (may be NULL) receives that partial power table. */
int pp_est_check_layer(const pp_nn_qgemm *g, const pp_sim_model *mac, const pp_est_check_opts *o,
                       pp_est_check *out, pp_char_power *table, pp_err *e);

#endif

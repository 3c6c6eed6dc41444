/* flow/flow_internal: the state of one run, shared by the files of module flow. */
#ifndef PP_FLOW_INTERNAL_H
#define PP_FLOW_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "pp/array.h"
#include "pp/characterize.h"
#include "pp/estimate.h"
#include "pp/flow.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/plot.h"
#include "pp/report.h"
#include "pp/retrain.h"
#include "pp/select.h"

typedef struct flow_membuf {
  FILE *f;
  char *text;
  size_t len;
} flow_membuf;

typedef struct flow_ctx {
  const pp_flow_opts *o;
  pp_flow_ledger L;
  pp_report *r;
  /* val: the decision images, held out of the training file (seeded); every
   * accept/reject and automatic choice reads val, test only feeds the report */
  pp_nn_data train, val, test;
  char data_desc[1024];
  /* resolved settings */
  int epochs, qat_epochs, retrain_epochs, trace_images, transitions, array, repeats, power_divisions;
  double tick_ps;
  pp_select_method select_method;
  int power_counts[32], n_power_counts;
  /* results of the stages */
  /* test accuracies (reported) and decision accuracies (val, what every choice reads) */
  double acc_float, acc_int8, acc_pruned, acc_final, sparsity;
  double dec_float, dec_int8, dec_pruned;
  int refine_retrains;
  double prune_share;        /* share of --tolerance conventional pruning may spend under --sparsity auto */
  int n_sparsity_tried;
  double sparsity_tried[8], sparsity_tried_dec[8]; /* the auto search's probes and their decision accuracies */
  int min_acts;              /* delay phase: fewest activation values a selected set may keep */
  int n_cand;                /* delay-selection candidates ranked by the proxy per threshold */
  /* test accuracy of each retrained step, by tag (for the report; decisions never read it) */
  char step_tag[PP_RETRAIN_MAX_STEPS][32];
  double step_test[PP_RETRAIN_MAX_STEPS];
  int n_step_test;
  pp_char_power P;
  pp_char_delay D;
  double usage_w[255];  /* saliency of each weight value in the trace (select's objective, hw.c) */
  double act_mass[256]; /* how often each activation value enters a PE */
  pp_est_usage u_orig, u_pruned, u_final;
  pp_retrain_result rt;
  pp_est_compare cmp, cmp_pruned;
  pp_est_vmodel vm;
  pp_est_vfit vfit;     /* --lib-at: the library points the voltage law was fitted to */
  pp_est_vmodel vm_fit; /* that law (vm_fit.fitted 0: none, vm is the default) */
  pp_report_pann pann; /* PowerPruning beside PANN (pann.c); present == 0 when skipped */
  double seconds;
} flow_ctx;

int flow_membuf_open(flow_membuf *m);
char *flow_membuf_close(flow_membuf *m);
/* "path (N bytes, mtime T)": a stage's option, so that an edited input redoes it */
int flow_file_id(const char *path, char *buf, size_t n, pp_err *e);
void flow_mask_hex(const uint8_t *m, int n, char *out);
/* Cache file for what `opts` produce ("float", ".ppnn"); 0 when caching is off. */
int flow_cache_path(flow_ctx *c, const char *kind, const pp_flow_opts_str *opts, const char *ext, char *buf,
                    size_t n);
void flow_log(flow_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int flow_commit(flow_ctx *c, const char *name, const pp_flow_opts_str *os, flow_membuf *m, const char *const *files,
                double t0, pp_err *e);

/* hw.c */
int flow_stage_hw(flow_ctx *c, pp_err *e);
int flow_stage_final(flow_ctx *c, pp_err *e);
void flow_free_hw(flow_ctx *c);
/* The estimated Optimized-HW power (µW) of a weight set with max MAC delay
 * max_delay_ps, without retraining: the pruned network's weight usage moved
 * to the nearest allowed value, priced at the voltage the delay allows. */
int flow_hw_score(flow_ctx *c, const uint8_t *W, double max_delay_ps, double *cost_uw, pp_err *e);
/* The least proxy accuracy (%) a delay candidate needs to be retrained, from the proxy of the network it would
 * retrain from (base_pct) and the class count: half of base's margin over chance. */
double flow_proxy_floor(double base_pct, int classes);
/* mac.c: the MAC's tables, from the built-in or given netlist and library */
int flow_hw_characterize(flow_ctx *c, const char *power_json_path, pp_err *e);
int flow_hw_timing(flow_ctx *c, const char *delay_path, pp_err *e);
/* before any training: library and netlists read, each part exact, widths composing */
int flow_check_inputs(flow_ctx *c, pp_err *e);
/* --lib-at: the voltage law fitted to the MAC at every supply given (c->vm_fit,
 * c->vfit, voltage_fit.json); without it, the default law and no file. */
int flow_voltage_fit(flow_ctx *c, pp_err *e);
/* the built-in MAC's multiplier and adder (PP_MULT_*, PP_ADDER_*) as the flow generates it */
void flow_mac_arch(flow_ctx *c, int *mult, int *adder);
/* pann.c: PowerPruning beside PANN and plain low-bit quantization */
int flow_stage_pann_sweep(flow_ctx *c, pp_err *e); /* 01-pann, a side stage after 01-train */
int flow_stage_pann(flow_ctx *c, pp_err *e);       /* 21-pann: the run's networks beside it */
/* output.c */
int flow_write_report(flow_ctx *c, pp_err *e);

#endif

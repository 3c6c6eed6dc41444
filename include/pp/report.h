/* report: what a researcher publishes from one PowerPruning run. A pp_report
 * holds the paper's Table I columns for one network/data set, the comparison
 * with conventional pruning alone, the retraining steps (accuracy against the
 * number of selected weights/activations), the figures and the inputs and
 * options that produced it. It is written as summary.json (versioned),
 * table.csv and report.html (figures referenced relatively, so the folder
 * opens in a browser with no server), and read back from summary.json.
 * summary.json and the stage files are read with util's JSON reader
 * (pp/util_json.h), included here for the modules above. */
#ifndef PP_REPORT_H
#define PP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "pp/util.h"
#include "pp/util_json.h"

#define PP_REPORT_FORMAT "powerprune-summary/1"

/* ---- the report ------------------------------------------------------------- */
/* Power of the network on one hardware variant, in mW. */
typedef struct pp_report_hw {
  double orig_mw;     /* unpruned int8 network, nominal voltage */
  double pruned_mw;   /* conventional magnitude pruning alone, nominal voltage */
  double prop_nv_mw;  /* proposed (restricted) network at nominal voltage */
  double prop_mw;     /* proposed network with voltage scaling */
} pp_report_hw;

/* One retraining step of the threshold-lowering loops (Figs. 8 and 9). */
typedef struct pp_report_step {
  int phase;           /* 0: power threshold, 1: delay threshold, 2: sparsity (final pruning) */
  double threshold;    /* µW (phase 0), ps (phase 1) or a fraction of zero weights (phase 2) */
  int n_weights;       /* allowed weight values, zero included */
  int n_acts;          /* allowed activation values */
  double max_delay_ps; /* max MAC delay over the allowed combinations */
  double accuracy;     /* percent, after retraining */
  int accepted;        /* within tolerance of the original accuracy */
} pp_report_step;

typedef struct pp_report_figure {
  char file[256];     /* relative to the report folder, e.g. "power_per_weight.svg" */
  char caption[512];
} pp_report_figure;

typedef struct pp_report_kv {
  char key[64];
  char value[512];
} pp_report_kv;

/* ---- PowerPruning beside PANN and plain low-bit quantization ------------------
 * Accuracy against energy per MAC under the bit-flip power models of module
 * pann (fitted to the gate-level simulator, sequential accumulation: one
 * accumulator per output): plain b-bit networks and PANN at each b-bit
 * budget (from the run's float model), and module nn's int8 integer path of
 * the run's own networks (unpruned int8, conventional pruning, PowerPruning).
 * This scale is not the one of Table I (module estimate: P[w] tables on the
 * systolic array); the two are never mixed. */
#define PP_REPORT_PANN_FORMAT "powerprune-pann-section/1"
#define PP_REPORT_MAX_PANN 40

typedef struct pp_report_pann_point {
  char method[16];  /* "uniform", "pann", "pann-qat", "int8", "pruned", "powerpruning" */
  int budget_bits;  /* the b-bit MAC whose power it spends (the int8 networks: 8) */
  int w_bits;       /* 0: not a fixed width (PANN weights are addition counts) */
  int a_bits;
  double R;         /* PANN: mean additions per input; NAN otherwise */
  double budget_fj; /* reference energy of the b-bit MAC on random operands, fJ per MAC (NAN: none) */
  double power_fj;  /* energy on the network's own products, fJ per MAC (= uW per MAC unit at 1 GHz) */
  double acc;       /* test accuracy, percent */
} pp_report_pann_point;

typedef struct pp_report_pann {
  int present;
  double float_acc;  /* the float model PANN and the b-bit networks start from */
  int test_images;   /* accuracy measured on these */
  int energy_images; /* energy measured on the products of these */
  char accum[16];    /* accumulation of the b-bit MACs: "split" or "signed" */
  char models[512];  /* what the bit-flip models were fitted to */
  char figure[256];  /* the plot, relative to the folder ("" when none) */
  int npts;
  pp_report_pann_point pts[PP_REPORT_MAX_PANN];
} pp_report_pann;

#define PP_REPORT_MAX_STEPS 128
/* One weight layer of the network, under the name the model carries (for an
 * ONNX import, the graph's node name). */
#define PP_REPORT_MAX_LAYERS 256
typedef struct pp_report_layer {
  char name[48];
  char kind[8];       /* "conv", "dwconv" or "fc" */
  int in_ch, out_ch;  /* input and output channels (features for fc) */
  int k;              /* kernel size (1 for fc) */
  long weights;       /* weight count */
  double pruned_pct;  /* share of its weights pruned (zero in the mask) in the final network (%) */
} pp_report_layer;

#define PP_REPORT_MAX_FIGS 32
#define PP_REPORT_MAX_KV 96

#define PP_REPORT_MAX_STAGES 160
typedef struct pp_report_stage_time {
  char name[40];
  double seconds;
  int ran;
} pp_report_stage_time;
typedef struct pp_report {
  char network[64];
  char dataset[64];
  double acc_orig;   /* percent, unpruned int8 network */
  double acc_pruned; /* percent, conventional pruning alone */
  double acc_prop;   /* percent, proposed */
  pp_report_hw std;  /* Standard HW: nothing gated */
  pp_report_hw opt;  /* Optimized HW: zero weights clock-gated, unused columns power-gated */
  int n_weights;     /* selected weight values (zero included) */
  int n_acts;        /* selected activation values */
  double max_delay_orig_ps, max_delay_prop_ps;
  double v_nominal, v_scaled; /* volts */
  double sparsity;   /* fraction of zero weights after conventional pruning */
  double sparsity_final; /* ... of the proposed network (the final pruning phase may raise it; NaN: unknown) */
  char weights_file[256]; /* allowed-set files, relative to the folder */
  char acts_file[256];
  int nsteps;
  pp_report_step steps[PP_REPORT_MAX_STEPS];
  int nfigs;
  pp_report_figure figs[PP_REPORT_MAX_FIGS];
  int nlayers;       /* the weight layers (0: not recorded) */
  pp_report_layer layers[PP_REPORT_MAX_LAYERS];
  int nkv;           /* inputs and options that produced the run, in order */
  pp_report_kv kv[PP_REPORT_MAX_KV];
  double seconds;    /* wall time of the run */
  /* every stage checked, in order: what it took when it ran, and whether it
   * ran in this run (0: done already, its recorded time) */
  int n_stage_times;
  pp_report_stage_time stage_times[PP_REPORT_MAX_STAGES];
  /* how the run decided: every choice read decision images held out of the
   * training file (disjoint from the test images); the budget is in decision
   * accuracy points against the unpruned int8 network */
  int decision_images;  /* 0: not recorded */
  double budget_pts, spent_pruning, spent_power, spent_delay, spent_sparsity;
  int accepted_steps;   /* PowerPruning steps accepted (-1: not recorded) */
  char headline[512];   /* said first in report.html ("" none) */
  pp_report_pann pann; /* present == 0: the run skipped the comparison */
} pp_report;

/* The stage times as one line: "01-train 110.2 s, ..., 10-* (14 retraining
 * steps) 225.0 s; N s in stages run now, of M s recorded". */
void pp_report_stage_line(const pp_report *r, char *buf, size_t n);

void pp_report_init(pp_report *r);
/* "power", "delay", "sparsity"; the phase of such a name (-1: none). */
const char *pp_report_phase_name(int phase);
int pp_report_phase_of(const char *name);
int pp_report_add_figure(pp_report *r, const char *file, const char *caption, pp_err *e);
int pp_report_add_kv(pp_report *r, const char *key, const char *value, pp_err *e);
int pp_report_add_step(pp_report *r, const pp_report_step *s, pp_err *e);
int pp_report_add_layer(pp_report *r, const pp_report_layer *l, pp_err *e);

/* Derived columns, computed from the powers (never stored separately):
 * reduction = (orig - prop) / orig * 100; voltage share = (prop_nv - prop) /
 * orig * 100, the percentage points of the original power that voltage
 * scaling saved (the paper's V_SHW / V_OHW). */
double pp_report_reduction_pct(double orig, double prop);
double pp_report_voltage_share_pct(const pp_report_hw *h);
/* "0.71/0.8" */
void pp_report_voltage_factor(const pp_report *r, char *buf, size_t n);

/* Checks that the numbers make sense (finite, non-negative powers, orig > 0,
 * accuracies in [0,100], counts in range); PP_EINVAL names the field. */
int pp_report_validate(const pp_report *r, pp_err *e);

/* Writes dir/summary.json, dir/table.csv and dir/report.html atomically (and
 * dir/pann_compare.csv when the report has the PANN comparison). */
int pp_report_write_json(const pp_report *r, const char *path, pp_err *e);
int pp_report_write_csv(const pp_report *r, const char *path, pp_err *e);
/* table.csv's header (no newline) and r's row under it (no newline): what
 * table.csv holds and `powerprune compare` puts one row per run of. */
const char *pp_report_csv_header(void);
void pp_report_csv_row(FILE *f, const pp_report *r);
/* The escapes report.html and table.csv use, for pages built beside them
 * (compare.html): s as one CSV field (quoted when it holds , " or a newline),
 * as HTML text, as a relative URL; and " Data: BASE.csv; also BASE.pdf,
 * BASE.png." linking what module plot writes beside the figure BASE.svg. */
void pp_report_csv_str(FILE *f, const char *s);
void pp_report_html_esc(FILE *f, const char *s);
void pp_report_url_esc(FILE *f, const char *s);
void pp_report_fig_links(FILE *f, const char *svg);
int pp_report_write_html(const pp_report *r, const char *path, pp_err *e);
int pp_report_write_all(const pp_report *r, const char *dir, pp_err *e);
/* Removes what pp_report_write_all writes, so that a run that fails leaves
 * no summary of an earlier run looking current. */
void pp_report_remove_all(const char *dir);
/* Adds a point to the section (and sets present). */
int pp_report_pann_add(pp_report_pann *s, const pp_report_pann_point *p, pp_err *e);
/* The point of `method` (the first one), NULL when absent. */
const pp_report_pann_point *pp_report_pann_find(const pp_report_pann *s, const char *method);
/* The section as summary.json holds it (one JSON value: an object with
 * "format": PP_REPORT_PANN_FORMAT, or null when not present), and read back
 * from that value (NULL or null: not present; PP_EPARSE naming `name` on
 * another format). */
void pp_report_pann_json(pp_json *j, const pp_report_pann *s);
int pp_report_pann_parse(const pp_jv *s, pp_report_pann *d, const char *name, pp_err *e);
/* DIR/pann_compare.csv: one row per point (written by pp_report_write_all
 * when r->pann.present). */
int pp_report_write_pann_csv(const pp_report *r, const char *path, pp_err *e);
/* Draws dir/pann_accuracy_power.svg/.png through module plot (one series per
 * method, the run's networks as labelled points) and sets r->pann.figure. */
int pp_report_plot_pann(pp_report *r, const char *dir, pp_err *e);

/* The run's result as one JSON object, what `run --json` and `report --json`
 * print: "format": PP_REPORT_RESULT_FORMAT, "dir", Table I's numbers under
 * the names summary.json uses (accuracy_pct, standard_hw, optimized_hw with
 * their mW, selected, delay_ps, voltage), sparsity, seconds, "files" (paths
 * of summary.json, table.csv, report.html, the allowed sets, the figures,
 * dir prefixed) and the PANN section. */
#define PP_REPORT_RESULT_FORMAT "powerprune-result/1"
void pp_report_summary_json(pp_json *j, const pp_report *r, const char *dir);

/* Reads summary.json back (the inverse of pp_report_write_json). */
int pp_report_load(const char *path, pp_report *r, pp_err *e);

#endif

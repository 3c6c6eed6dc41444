/* cli/pann_cli: what the files of `powerprune pann` share (cmd_pann.c parses
 * the options and dispatches; cmd_pann_<action>.c holds each action): the
 * parsed options, the loaded model and data, and their helpers. Internal to
 * src/cli. */
#ifndef PP_CLI_PANN_CLI_H
#define PP_CLI_PANN_CLI_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "pp/netlist.h"
#include "pp/nn.h"
#include "pp/pann.h"
#include "pp/plot.h"

/* Where the human-readable results go: stdout, or stderr with --json so that
 * stdout holds the one JSON document and nothing else. */
extern FILE *pp_cli_pann_out;
/* One progress line on stderr, "powerprune pann <action>: <what> (<seconds since the start>s)", before each
 * phase of an action that takes more than a few seconds, so that it is never silent. */
void pp_cli_pann_phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The options of every action (one table in cmd_pann.c). */
typedef struct args {
  const char *sub, *power, *lib, *out, *model, *data, *data_dir, *pp_model, *act_bits, *save;
  int steps, probe_steps;
  double lr;
  int json, samples, samples_set, acc_bits, mult, adder, calib, val, test, energy_images, accum, bias_corr;
  int budget_bits, images, transitions;
  int lsq, alloc, match, trace_images, alloc_evals, float_acts, bx_min, bx_max;
  double R_fixed;
  double budget_fj, budget_uw, clock_mhz;
  int seed;
} args;

/* A trained model with its data set. */
typedef struct loaded {
  pp_nn_model *m;
  pp_nn_data train, test;
} loaded;

/* The fitted power models: read from --power, or fitted now (*fitted = 1, cl
 * the claims checked). */
int pp_cli_pann_power(const args *a, pp_pann_power *pw, pp_pann_claims *cl, int *fitted, pp_err *e);
/* Loads --model-file and --data into L (pp_cli_pann_unload frees it). */
int pp_cli_pann_load(const args *a, loaded *L, pp_err *e);
void pp_cli_pann_unload(loaded *L);
/* The planner's options from the command line. */
void pp_cli_pann_plan_opts(const args *a, const loaded *L, pp_pann_plan_opts *po);

/* The actions; each returns the exit code. */
int pp_cli_pann_fit(const args *a);
int pp_cli_pann_quantize(const args *a);
int pp_cli_pann_compare(const args *a);
int pp_cli_pann_accum(const args *a);
int pp_cli_pann_qat(const args *a);

#endif

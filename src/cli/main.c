/* cli/main: the table of subcommands, as git does it: name, handler, one-line help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *help;
} pp_cmd;

static const pp_cmd commands[] = {
    {"mac", pp_cmd_mac, "generate, synthesize (Yosys) and exhaustively check MAC netlists"},
    {"sim", pp_cmd_sim, "timed gate-level simulation: energy and settle times of transitions"},
    {"sta", pp_cmd_sta, "static timing: critical path and input-to-output delays"},
    {"train", pp_cmd_train, "train a network (float, int8 QAT, pruning, restricted values)"},
    {"eval", pp_cmd_eval, "evaluate a saved model (float and integer paths)"},
    {"trace", pp_cmd_trace, "run a model on the systolic array and collect transition statistics"},
    {"characterize", pp_cmd_characterize, "average power of the MAC per weight value"},
    {"timing", pp_cmd_timing, "dynamic timing of the MAC per weight value and activation transition"},
    {"select", pp_cmd_select, "choose allowed weight and activation values from power and delay thresholds"},
    {"estimate", pp_cmd_estimate, "network power on the array, Standard and Optimized HW, voltage scaling"},
    {"run", pp_cmd_run, "the whole PowerPruning flow with its report"},
    {"pann", pp_cmd_pann, "PANN: bit-flip power model and multiplication-free quantization"},
    {"check", pp_cmd_check, "cross-checks against independent tools: power against OpenSTA"},
    {"report", pp_cmd_report, "write report.html, tables and figures from a run folder"},
    {"compare", pp_cmd_compare, "runs side by side: Table I rows, differing options, power-accuracy plot"},
    {"import", pp_cmd_import, "read an ONNX model into a powerprune model file"},
    {"export", pp_cmd_export, "write a model as ONNX (float, or int8 QuantizeLinear/DequantizeLinear)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fprintf(f, "usage: powerprune <command> [options]   (powerprune <command> --help)\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
}

/* OpenMP threads wait passively (sleep, not spin) between parallel regions:
 * on a shared machine a spinning idle thread takes a core from another job.
 * libgomp reads OMP_WAIT_POLICY only when it loads, so the process restarts
 * itself once with it set; a user's own setting is kept. */
static void passive_wait(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || setenv("OMP_WAIT_POLICY", "PASSIVE", 1)) return;
  execv("/proc/self/exe", argv); /* on failure: carry on with the default policy */
}

int main(int argc, char **argv) {
  passive_wait(argv);
  if (argc < 2) {
    usage(stderr);
    return PP_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return PP_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("powerprune 0.1.0\n");
    return PP_EXIT_OK;
  }
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "powerprune: '%s' is not a command\n", argv[1]);
  usage(stderr);
  return PP_EXIT_USAGE;
}

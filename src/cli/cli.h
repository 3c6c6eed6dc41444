/* cli: the `powerprune` command. main.c holds the table of subcommands; each
 * subcommand lives in cmd_<name>.c. Only this layer prints and exits. */
#ifndef PP_CLI_H
#define PP_CLI_H

#include "pp/util.h"

/* Named exit codes, shared by every subcommand. */
enum {
  PP_EXIT_OK = 0,       /* success */
  PP_EXIT_FAIL = 1,     /* ran, but the result is a failure (e.g. mismatches found) */
  PP_EXIT_USAGE = 2,    /* bad command line */
  PP_EXIT_INPUT = 3,    /* malformed or inconsistent input file */
  PP_EXIT_IO = 4,       /* cannot read or write a file */
  PP_EXIT_INTERNAL = 5  /* bug or resource exhaustion */
};

/* Prints "powerprune <cmd>: file:line: message" and returns the exit code
 * that matches e->status. */
int pp_cli_fail(const char *cmd, const pp_err *e);
/* Prints a usage error for cmd and returns PP_EXIT_USAGE. */
int pp_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a whole decimal integer/double; returns 0 on success. */
int pp_cli_parse_long(const char *s, long lo, long hi, long *out);
int pp_cli_parse_double(const char *s, double *out);
/* Applies --part/--mult/--adder VALUE to a MAC generator's options; on a bad
 * value prints the usage error and returns non-zero. */
struct pp_mac_opts;
int pp_cli_mac_arch(const char *cmd, const char *opt, const char *v, struct pp_mac_opts *mo);

/* Subcommand handlers: argv[0] is the subcommand name. */
int pp_cmd_mac(int argc, char **argv);
int pp_cmd_sim(int argc, char **argv);
int pp_cmd_sta(int argc, char **argv);
int pp_cmd_train(int argc, char **argv);
int pp_cmd_eval(int argc, char **argv);
int pp_cmd_trace(int argc, char **argv);
int pp_cmd_characterize(int argc, char **argv);
int pp_cmd_timing(int argc, char **argv);
int pp_cmd_select(int argc, char **argv);
int pp_cmd_estimate(int argc, char **argv);
int pp_cmd_run(int argc, char **argv);
int pp_cmd_pann(int argc, char **argv);
int pp_cmd_report(int argc, char **argv);

#endif

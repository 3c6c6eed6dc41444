/* cli: the `powerprune` command. main.c holds the table of subcommands; each
 * subcommand lives in cmd_<name>.c, its options in a table (opt.h). Only this
 * layer prints and exits. */
#ifndef PP_CLI_H
#define PP_CLI_H

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/sim.h"
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

/* The run file every `powerprune run` writes as OUT/run.json (opt.h's run
 * files) and `run --config` reads back. */
#define PP_CLI_RUN_FORMAT "powerprune-run/1"

/* Prints "powerprune <cmd>: file:line: message" and returns the exit code
 * that matches e->status. */
int pp_cli_fail(const char *cmd, const pp_err *e);
/* Prints a usage error for cmd and returns PP_EXIT_USAGE. */
int pp_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The checks export and import share: one positional model (what names it in the message), -o given,
 * --data-dir only with --data. Returns 0, or the usage error's exit code. */
int pp_cli_convert_args(const char *cmd, int npos, char **argv, const char *what, const char *out, const char *data,
                        const char *dir);
/* Parses a whole decimal integer/double; returns 0 on success. */
int pp_cli_parse_long(const char *s, long lo, long hi, long *out);
int pp_cli_parse_double(const char *s, double *out);
/* Where a command's netlist comes from (sim, sta, mac check): the file path
 * read with the Liberty library lib_path (NULL: pp_lib_default_path()), or,
 * with no path, the built-in MAC generated with mo. */
typedef struct pp_cli_netlist_src {
  const char *path, *lib_path, *top;
  pp_mac_opts mo;
  /* assumptions overriding the library's (< 0: keep): load on each primary
   * output and the wire-load estimate cap + cap_per_fanout x fanout (fF) */
  double output_load_ff, wire_cap_ff, wire_cap_per_fanout_ff;
  const char *wire_load; /* --wire-load: NULL or "library", "none", a wire_load group */
} pp_cli_netlist_src;
void pp_cli_netlist_src_default(pp_cli_netlist_src *s);
/* Applies the overrides (< 0: keep) to a library read for this run, before
 * any netlist is read with it. */
void pp_cli_assume_apply(pp_lib *lib, double output_load_ff, double wire_cap_ff, double wire_cap_per_fanout_ff);
/* Reads the library and the netlist (generating the MAC into a temporary file
 * when there is no path); on error frees what it read and leaves both NULL. */
int pp_cli_netlist_load(const pp_cli_netlist_src *s, pp_lib **lib, pp_netlist **nl, pp_err *e);
/* The library path s reads. */
const char *pp_cli_netlist_lib_path(const pp_cli_netlist_src *s);
/* Opens the JSON object of sim/sta output: "format", then where the netlist
 * came from ("netlist", "top", "lib"), "tick_ps" and "assumptions"; the caller adds the
 * rest and closes it. */
void pp_cli_netlist_json_begin(pp_json *j, const char *format, const pp_cli_netlist_src *s, const pp_netlist *nl,
                               const pp_sim_opts *so);

/* For characterize and timing: requires -o DIR (out_dir), creates it and
 * loads the MAC parts of s, generating the missing ones into it. Returns
 * PP_EXIT_OK, or the exit code after printing the error. */
struct pp_char_mac_spec;
struct pp_char_mac;
int pp_cli_char_mac_open(const char *cmd, struct pp_char_mac_spec *s, const char *out_dir, unsigned parts,
                         struct pp_char_mac *mac);

/* "assumptions": the input slew, output load and wire model a timing or
 * power result assumed (so: the simulation options it used). */
void pp_cli_assumptions_json(pp_json *j, const pp_lib *lib, const pp_sim_opts *so);

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
int pp_cmd_compare(int argc, char **argv);
int pp_cmd_check(int argc, char **argv);
int pp_cmd_import(int argc, char **argv);
int pp_cmd_export(int argc, char **argv);

#endif

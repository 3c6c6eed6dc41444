/* cli: the `powerprune` command. main.c holds the table of subcommands; each
 * subcommand lives in cmd_<name>.c. Only this layer prints and exits. */
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

/* Prints "powerprune <cmd>: file:line: message" and returns the exit code
 * that matches e->status. */
int pp_cli_fail(const char *cmd, const pp_err *e);
/* Prints a usage error for cmd and returns PP_EXIT_USAGE. */
int pp_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a whole decimal integer/double; returns 0 on success. */
int pp_cli_parse_long(const char *s, long lo, long hi, long *out);
int pp_cli_parse_double(const char *s, double *out);
/* The value of option `name` at argv[*i], given as "NAME VALUE" (then *i
 * moves to VALUE) or "NAME=VALUE"; "" when VALUE is missing; NULL when
 * argv[*i] is not that option. */
const char *pp_cli_optval(int argc, char **argv, int *i, const char *name);

/* Options of the built-in MAC generator, shared by every command that makes
 * one: --part full|mult|adder, --mult array|booth, --adder ripple|prefix,
 * --w-bits 2..8, --a-bits 2..8, --p-bits 4..p_bits_max. Applies option opt
 * with value v to mo and returns 1; returns 0 when opt is none of them; on a
 * bad value prints one usage error naming the option, what it takes and v,
 * and returns -1 (the caller exits with PP_EXIT_USAGE). */
int pp_cli_mac_gen_option(const char *cmd, const char *opt, const char *v, int p_bits_max, pp_mac_opts *mo);
/* --part/--mult/--adder only (the above, restricted): 0 when applied,
 * PP_EXIT_USAGE after the usage error otherwise. */
int pp_cli_mac_arch(const char *cmd, const char *opt, const char *v, pp_mac_opts *mo);

/* Where a command's netlist comes from (sim, sta, mac check): the file path
 * read with the Liberty library lib_path (NULL: pp_lib_default_path()), or,
 * with no path, the built-in MAC generated with mo. */
typedef struct pp_cli_netlist_src {
  const char *path, *lib_path, *top;
  pp_mac_opts mo;
  /* assumptions overriding the library's (< 0: keep): load on each primary
   * output and the wire-load estimate cap + cap_per_fanout x fanout (fF) */
  double output_load_ff, wire_cap_ff, wire_cap_per_fanout_ff;
} pp_cli_netlist_src;
void pp_cli_netlist_src_default(pp_cli_netlist_src *s);
/* "--lib FILE", "--top NAME", "--part/--mult/--adder VALUE" at argv[*i]
 * (value in the next argument): 1 when applied (*i moved to the value), 0
 * when argv[*i] is none of them or has no value, -1 after a usage error. */
int pp_cli_netlist_option(const char *cmd, int argc, char **argv, int *i, pp_cli_netlist_src *s);
/* The assumption options of every timing and power command, at argv[*i]
 * ("NAME VALUE" or "NAME=VALUE"): --input-slew PS (so->input_slew_ps),
 * --output-load FF, --wire-cap FF, --wire-cap-per-fanout FF (into the three
 * doubles, NULL to refuse them), --delay-model transport|inertial
 * (so->inertial). 1 when applied, 0 when none of them, -1 after a usage error. */
int pp_cli_assume_option(const char *cmd, int argc, char **argv, int *i, pp_sim_opts *so, double *output_load_ff,
                         double *wire_cap_ff, double *wire_cap_per_fanout_ff);
/* Applies the overrides (< 0: keep) to a library read for this run, before
 * any netlist is read with it. */
void pp_cli_assume_apply(pp_lib *lib, double output_load_ff, double wire_cap_ff, double wire_cap_per_fanout_ff);
/* The last branch of the option loops of sim and sta, after their own
 * options: pp_cli_netlist_option's options, pp_cli_assume_option's, --tick PS (so->tick_ps > 0), or
 * the one positional NETLIST (s->path); anything else starting with '-' is
 * an unknown option. 1 when argv[*i] was consumed, -1 after a usage error. */
int pp_cli_netlist_arg(const char *cmd, int argc, char **argv, int *i, pp_cli_netlist_src *s, pp_sim_opts *so);
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

/* The options choosing the MAC of characterize and timing (spec of module
 * characterize): --lib FILE, --netlist FILE, --mult, --adder, --w-bits,
 * --a-bits, --p-bits (4..31: the characterization keeps partial sums in 32
 * bits), as "NAME VALUE" or "NAME=VALUE". 1 when argv[*i] was one of them,
 * 0 when not, -1 after a usage error. */
struct pp_char_mac_spec;
int pp_cli_mac_option(const char *cmd, int argc, char **argv, int *i, struct pp_char_mac_spec *s);
/* For characterize and timing: requires -o DIR (out_dir), creates it and
 * loads the MAC parts of s, generating the missing ones into it. Returns
 * PP_EXIT_OK, or the exit code after printing the error. */
struct pp_char_mac;
int pp_cli_char_mac_open(const char *cmd, struct pp_char_mac_spec *s, const char *out_dir, unsigned parts,
                         struct pp_char_mac *mac);

/* "--delay-model transport|inertial": sets so->inertial; 0, or
 * PP_EXIT_USAGE after the usage error. */
int pp_cli_delay_model(const char *cmd, const char *v, pp_sim_opts *so);
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
int pp_cmd_check(int argc, char **argv);
int pp_cmd_import(int argc, char **argv);
int pp_cmd_export(int argc, char **argv);

#endif

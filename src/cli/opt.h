/* cli/opt: a subcommand's options as one table, in the style of git's
 * parse-options.h. The parser and the --help text both come from the table,
 * so they cannot drift: every option parsed is listed, and each default shown
 * is read from its destination before parsing (the library's *_defaults()
 * fill the destinations first, so help shows the defaults the code uses). */
#ifndef PP_CLI_OPT_H
#define PP_CLI_OPT_H

#include <math.h>
#include <stdio.h>

#include "pp/util_json.h"

typedef enum {
  PP_OT_END = 0,  /* ends a table */
  PP_OT_GROUP,    /* a heading or paragraph in --help (help: the text) */
  PP_OT_FLAG,     /* --name: *(int *)dst = 1 */
  PP_OT_BOOL,     /* --name: 1, --no-name: 0 */
  PP_OT_INT,      /* --name N: int in lo..hi */
  PP_OT_DOUBLE,   /* --name X: finite double in lo..hi (bounds excluded with PP_OPT_LO_OPEN/HI_OPEN) */
  PP_OT_STRING,   /* --name S: *(const char **)dst = S */
  PP_OT_PATH,     /* --name FILE: a string, non-empty */
  PP_OT_ENUM,     /* --name WORD: one of choices, *(int *)dst = its value */
  PP_OT_CALLBACK  /* --name [V]: cb decides */
} pp_opt_type;

/* flags */
#define PP_OPT_LO_OPEN 1u /* the lower bound itself is out of range ("> lo") */
#define PP_OPT_NOARG 2u   /* a callback option that takes no value */
#define PP_OPT_NODEF 4u   /* print no default (the value is not one the user chooses) */
#define PP_OPT_HI_OPEN 8u /* the upper bound itself is out of range ("< hi") */
#define PP_OPT_NOSAVE 16u /* not a setting of the result (--json, --force, --config): never in a run file */

/* One allowed word of an enum option and the value it stores; a list ends
 * with {NULL, 0}. */
typedef struct {
  const char *name;
  int value;
} pp_opt_choice;

typedef struct pp_opt pp_opt;
/* A callback option's handler: arg is the value (NULL with PP_OPT_NOARG).
 * Returns 0, or PP_EXIT_USAGE after printing one usage error. */
typedef int (*pp_opt_cb)(const char *cmd, const pp_opt *o, const char *arg);
/* A callback option's value as a run file holds it: writes exactly one JSON
 * value that pp_opt_jv_text turns back into what the callback accepts. */
typedef void (*pp_opt_fmt)(pp_json *j, const pp_opt *o);

struct pp_opt {
  const char *long_name; /* without "--"; NULL for a short-only option */
  void *dst;
  const char *argh; /* the value's name in help ("N", "FILE"); enums default to "a|b|c" */
  const char *help; /* may hold '\n' for more lines */
  const pp_opt_choice *choices; /* ENUM */
  pp_opt_cb cb;                 /* CALLBACK */
  pp_opt_fmt fmt;               /* CALLBACK: its value in a run file (NULL: never saved) */
  const char *def;              /* the default as help prints it, instead of the destination's value */
  double lo, hi;                /* range of INT and DOUBLE */
  pp_opt_type type;
  unsigned flags;
  char short_name; /* 'o' for -o; 0 for none */
};

/* Help was asked for and printed: the command returns PP_EXIT_OK. */
#define PP_OPT_HELP (-1)

/* Table entries. The destination's type is checked at compile time (a
 * mismatched pointer is a warning, so an error under -Werror); trailing
 * arguments are more designated initializers: .short_name = 'o', .def = "..",
 * .flags = PP_OPT_LO_OPEN. */
#define PP_OPT_TYPED_(T, p) ((void *)(1 ? (p) : (T *)0))
#define PP_OPT_END() {.type = PP_OT_END}
#define PP_OPT_GROUP(text) {.type = PP_OT_GROUP, .help = (text)}
#define PP_OPT_FLAG(name, p, h, ...) \
  {.type = PP_OT_FLAG, .long_name = (name), .dst = PP_OPT_TYPED_(int, p), .help = (h), __VA_ARGS__}
#define PP_OPT_BOOL(name, p, h, ...) \
  {.type = PP_OT_BOOL, .long_name = (name), .dst = PP_OPT_TYPED_(int, p), .help = (h), __VA_ARGS__}
#define PP_OPT_INT(name, p, lo_, hi_, arg, h, ...)                                                              \
  {.type = PP_OT_INT, .long_name = (name), .dst = PP_OPT_TYPED_(int, p), .lo = (lo_), .hi = (hi_), .argh = (arg), \
   .help = (h), __VA_ARGS__}
#define PP_OPT_DOUBLE(name, p, lo_, hi_, arg, h, ...)                                                    \
  {.type = PP_OT_DOUBLE, .long_name = (name), .dst = PP_OPT_TYPED_(double, p), .lo = (lo_), .hi = (hi_), \
   .argh = (arg), .help = (h), __VA_ARGS__}
#define PP_OPT_STRING(name, p, arg, h, ...)                                                                \
  {.type = PP_OT_STRING, .long_name = (name), .dst = PP_OPT_TYPED_(const char *, p), .argh = (arg), .help = (h), \
   __VA_ARGS__}
#define PP_OPT_PATH(name, p, arg, h, ...)                                                                \
  {.type = PP_OT_PATH, .long_name = (name), .dst = PP_OPT_TYPED_(const char *, p), .argh = (arg), .help = (h), \
   __VA_ARGS__}
#define PP_OPT_ENUM(name, p, list, h, ...)                                                                \
  {.type = PP_OT_ENUM, .long_name = (name), .dst = PP_OPT_TYPED_(int, p), .choices = (list), .help = (h), \
   __VA_ARGS__}
#define PP_OPT_CALLBACK(name, p, fn, arg, h, ...) \
  {.type = PP_OT_CALLBACK, .long_name = (name), .dst = (p), .cb = (fn), .argh = (arg), .help = (h), __VA_ARGS__}

/* No upper bound for PP_OPT_INT / PP_OPT_DOUBLE. */
#define PP_OPT_INT_MAX 2147483647.0
#define PP_OPT_INF HUGE_VAL

/* The words of the MAC generator's enum options, shared by every command. */
extern const pp_opt_choice pp_opt_mult_choices[];  /* array, booth */
extern const pp_opt_choice pp_opt_adder_choices[]; /* ripple, prefix */
extern const pp_opt_choice pp_opt_part_choices[];  /* full, mult, adder */
extern const pp_opt_choice pp_opt_delay_model_choices[]; /* transport, inertial (value: inertial) */

/* Shared sub-tables, written into a command's table. */
#define PP_OPT_MULT(p) PP_OPT_ENUM("mult", p, pp_opt_mult_choices, "multiplier of the generated MAC")
#define PP_OPT_ADDER(p) PP_OPT_ENUM("adder", p, pp_opt_adder_choices, "partial-sum adder of the generated MAC")
#define PP_OPT_PART(p) PP_OPT_ENUM("part", p, pp_opt_part_choices, "which part of the MAC to generate")
/* --w-bits, --a-bits, --p-bits of a pp_mac_opts *mo; p_max: the widest partial sum */
#define PP_OPTS_MAC_SIZES(mo, p_max)                                                    \
  PP_OPT_INT("w-bits", &(mo)->w_bits, 2, 8, "N", "weight bits of the generated MAC"),   \
      PP_OPT_INT("a-bits", &(mo)->a_bits, 2, 8, "N", "activation bits of the generated MAC"), \
      PP_OPT_INT("p-bits", &(mo)->p_bits, 4, (p_max), "N", "partial-sum bits of the generated MAC")
/* The assumptions of every timing and power command: so is a pp_sim_opts *,
 * the three loads are doubles (< 0: the library's value), wire_load a
 * const char * (NULL: "library", see pp_lib_use_wire_load). */
#define PP_OPTS_ASSUME(so, output_load, wire_cap, wire_cap_per_fanout, wire_load)                              \
  PP_OPT_DOUBLE("input-slew", &(so)->input_slew_ps, 0, PP_OPT_INF, "PS", "slew of every primary input",        \
                .def = "the library's"),                                                                       \
      PP_OPT_DOUBLE("output-load", output_load, 0, PP_OPT_INF, "FF", "load on each primary output",           \
                    .def = "the library's"),                                                                   \
      PP_OPT_DOUBLE("wire-cap", wire_cap, 0, PP_OPT_INF, "FF", "wire-load estimate: cap per net",             \
                    .def = "the library's"),                                                                   \
      PP_OPT_DOUBLE("wire-cap-per-fanout", wire_cap_per_fanout, 0, PP_OPT_INF, "FF",                           \
                    "wire-load estimate: cap per fanout", .def = "the library's"),                             \
      PP_OPT_STRING("wire-load", wire_load, "none|library|NAME",                                              \
                    "wire model: none, the library's (default_wire_load and pp_wire_cap*),\n"               \
                    "or the library's wire_load group NAME (with --wire-cap* added)",                      \
                    .def = "library"),                                                                       \
      PP_OPT_ENUM("delay-model", &(so)->inertial, pp_opt_delay_model_choices, "how gate delays filter pulses")

/* The MAC of characterize and timing, a pp_char_mac_spec *s: --lib, --netlist,
 * --mult, --adder, the sizes (partial sums up to 31 bits: the
 * characterization keeps them in 32) and the assumptions. */
#define PP_OPTS_CHAR_MAC(s)                                                                                     \
  PP_OPT_PATH("lib", &(s)->lib_path, "FILE", "Liberty library", .def = "the built-in one"),                  \
      PP_OPT_PATH("netlist", &(s)->path[0], "FILE", "MAC netlist (ports w, a, p -> y)", .def = "generated"), \
      PP_OPT_MULT(&(s)->gen.mult), PP_OPT_ADDER(&(s)->gen.adder), PP_OPTS_MAC_SIZES(&(s)->gen, 31),          \
      PP_OPTS_ASSUME(&(s)->sim, &(s)->output_load_ff, &(s)->wire_cap_ff, &(s)->wire_cap_per_fanout_ff, &(s)->wire_load)

/* Where the netlist of sim and sta comes from, a pp_cli_netlist_src *s, and
 * the simulation options so (pp_sim_opts *): --lib, --top, the built-in MAC's
 * --part/--mult/--adder, --tick and the assumptions. */
#define PP_OPTS_NETLIST_SRC(s, so)                                                                              \
  PP_OPT_PATH("lib", &(s)->lib_path, "LIB", "Liberty library", .def = "the project's pp_cells.lib"),         \
      PP_OPT_STRING("top", &(s)->top, "NAME", "top module", .def = "the one nothing instantiates"),         \
      PP_OPT_PART(&(s)->mo.part), PP_OPT_MULT(&(s)->mo.mult), PP_OPT_ADDER(&(s)->mo.adder),                  \
      PP_OPT_DOUBLE("tick", &(so)->tick_ps, 0, PP_OPT_INF, "PS", "time quantum in ps", .flags = PP_OPT_LO_OPEN), \
      PP_OPTS_ASSUME(so, &(s)->output_load_ff, &(s)->wire_cap_ff, &(s)->wire_cap_per_fanout_ff, &(s)->wire_load)

/* Parses argv[1..argc-1] (argv[0] is the subcommand) against opts:
 * "--name VALUE", "--name=VALUE", "-x VALUE", "--no-name" for BOOL, "--"
 * ends the options. Positional arguments are moved to argv[1..*npos] (npos
 * NULL: none allowed). "--help"/"-h" prints the help (usage, then the
 * table) to stdout and returns PP_OPT_HELP. An unknown option, a missing
 * value, a number out of range or not finite, an enum word not in the list
 * each get one usage error naming the option, what it takes and what was
 * given, and PP_EXIT_USAGE is returned. 0 otherwise. */
int pp_opt_parse(const char *cmd, const char *usage, const pp_opt *opts, int argc, char **argv, int *npos);
/* The same, and seen[k] = 1 for each entry opts[k] the command line gave
 * (seen: pp_opt_count(opts) entries, zeroed by the caller): what a run file
 * read afterwards must not override. */
int pp_opt_parse_seen(const char *cmd, const char *usage, const pp_opt *opts, int argc, char **argv, int *npos,
                      unsigned char *seen);
/* Entries of the table before its PP_OPT_END. */
size_t pp_opt_count(const pp_opt *opts);

/* ---- run files ----------------------------------------------------------
 * A run file is {"format": FORMAT, "options": {...}}: one member per entry
 * with a long name and without PP_OPT_NOSAVE (callbacks only with a fmt),
 * keyed by the long name as typed after "--", in table order. Values: FLAG
 * and BOOL true/false, INT an integer, DOUBLE a number written with %.17g
 * (reads back to the same double), STRING and PATH a string, ENUM its word,
 * CALLBACK what its fmt writes. null means "the default the command works
 * out itself": written for an unset string and for a number the table's
 * range excludes (the sentinel of a default that depends on other options,
 * such as 0 for "5000; quick 1000"), and read as "leave the default". */
/* Writes the whole run file as one JSON object. */
void pp_opt_json_write(pp_json *j, const char *format, const pp_opt *opts);
/* Applies the members of a run file's "options" object obj (read from file)
 * to the entries whose seen[k] is 0 (seen NULL: all), with the checks of the
 * command line. Strict: an unknown key, a value of the wrong type, out of
 * range or not among an enum's words is one error naming the file, its
 * line:column and the key, printed; returns PP_EXIT_INPUT then, 0 otherwise.
 * Nothing is applied after the first error. */
int pp_opt_json_apply(const char *cmd, const pp_opt *opts, const pp_jv *obj, const char *file,
                      const unsigned char *seen);
/* Reads the run file at path (strict: "format" must be `format`, the only
 * other key "options") and applies it as pp_opt_json_apply. Returns 0 or the
 * exit code after printing one error naming path. *tree gets the parsed file,
 * which string options now point into: the caller frees it (pp_jv_free) when
 * done with the options (empty, safe to free, on error). */
int pp_opt_json_load(const char *cmd, const char *format, const pp_opt *opts, const char *path,
                     const unsigned char *seen, pp_jv *tree);
/* A scalar JSON value (or an array of them, joined by ',') as the text the
 * command line would give: strings as they are, integers exactly, other
 * numbers %.17g, true/false, null as "". Returns 0, or -1 for an object, a
 * nested array or a text longer than n - 1. */
int pp_opt_jv_text(const pp_jv *v, char *buf, size_t n);

/* The help text: usage, then one line (or more) per option with its
 * default. */
void pp_opt_help(FILE *f, const char *usage, const pp_opt *opts);
/* The word of value v in an enum list ("?" when none). */
const char *pp_opt_choice_name(const pp_opt_choice *c, int v);

#endif

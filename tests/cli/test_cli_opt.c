/* Tests of the option table (src/cli/opt.c): each option type in the
 * "--name VALUE" and "--name=VALUE" forms, one usage error per bad value
 * naming the option, what it takes and what was given (nothing applied),
 * positional arguments, and a --help that lists every option with the
 * default read from its destination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.c"
#include "cli/opt.c"

/* Runs call with stderr captured into buf. */
#define CAPTURE_STDERR(buf, call)                       \
  do {                                                  \
    fflush(stderr);                                     \
    FILE *tmp_ = tmpfile();                             \
    assert_non_null(tmp_);                              \
    int saved_ = dup(2);                                \
    dup2(fileno(tmp_), 2);                              \
    call;                                               \
    fflush(stderr);                                     \
    dup2(saved_, 2);                                    \
    close(saved_);                                      \
    rewind(tmp_);                                       \
    size_t n_ = fread((buf), 1, sizeof(buf) - 1, tmp_); \
    (buf)[n_] = 0;                                      \
    fclose(tmp_);                                       \
  } while (0)

static const pp_opt_choice colours[] = {{"red", 10}, {"green", 20}, {"blue", 30}, {NULL, 0}};

typedef struct {
  int flag, plot, n, colour, cb_calls;
  double x, y;
  const char *name, *file, *cb_arg;
  pp_mac_opts mo;
  pp_sim_opts so;
  double load, wire, wire_fo;
  const char *wire_load;
} vals;

static int count_cb(const char *cmd, const pp_opt *o, const char *arg) {
  vals *v = o->dst;
  if (arg && !strcmp(arg, "bad")) return pp_cli_usage(cmd, "--cb cannot take 'bad'");
  v->cb_calls++;
  v->cb_arg = arg;
  return 0;
}

static void vals_default(vals *v) {
  memset(v, 0, sizeof *v);
  v->plot = 1;
  v->n = 7;
  v->colour = 20;
  v->x = 0.5;
  v->y = 2;
  v->name = "anon";
  pp_mac_opts_default(&v->mo);
  pp_sim_opts_default(&v->so);
  v->load = v->wire = v->wire_fo = -1;
}

/* The table of the tests: every type, and the shared MAC and assumption groups. */
#define TABLE(v)                                                                                    \
  pp_opt opts[] = {                                                                                 \
      PP_OPT_GROUP("Own options:"),                                                                 \
      PP_OPT_FLAG("json", &(v).flag, "print JSON"),                                                 \
      PP_OPT_BOOL("plot", &(v).plot, "draw the plot"),                                              \
      PP_OPT_INT("count", &(v).n, 1, 100, "N", "how many"),                                        \
      PP_OPT_DOUBLE("frac", &(v).x, 0, 1, "X", "a fraction"),                                       \
      PP_OPT_DOUBLE("clock-ps", &(v).y, 0, PP_OPT_INF, "PS", "clock period", .flags = PP_OPT_LO_OPEN), \
      PP_OPT_DOUBLE("momentum", &(v).x, 0, 1, "M", "momentum", .flags = PP_OPT_HI_OPEN),             \
      PP_OPT_STRING("name", &(v).name, "S", "a name"),                                              \
      PP_OPT_PATH("out", &(v).file, "DIR", "output folder", .short_name = 'o'),                     \
      PP_OPT_ENUM("colour", &(v).colour, colours, "a colour"),                                      \
      PP_OPT_CALLBACK("cb", &(v), count_cb, "V", "calls back", .def = "none"),                      \
      PP_OPT_GROUP("MAC:"),                                                                         \
      PP_OPT_MULT(&(v).mo.mult),                                                                    \
      PP_OPT_ADDER(&(v).mo.adder),                                                                  \
      PP_OPT_PART(&(v).mo.part),                                                                    \
      PP_OPTS_MAC_SIZES(&(v).mo, 31),                                                               \
      PP_OPTS_ASSUME(&(v).so, &(v).load, &(v).wire, &(v).wire_fo, &(v).wire_load),                                 \
      PP_OPT_END()}

static int parse(vals *v, int argc, char **argv, int *npos) {
  TABLE(*v);
  return pp_opt_parse("cmdx", "usage: cmdx\n", opts, argc, argv, npos);
}

static void test_types(void **st) {
  (void)st;
  vals v;
  vals_default(&v);
  char *argv[] = {"cmdx", "--json", "--no-plot", "--count", "12", "--frac=0.25", "--clock-ps", "1e3",
                  "--name=", "-o", "out", "--colour", "blue", "--cb=x", "--mult=booth", "--adder", "prefix",
                  "--part", "mult", "--w-bits", "4", "--p-bits=31", "--input-slew", "30", "--wire-cap=0",
                  "--delay-model", "inertial"};
  int argc = (int)(sizeof argv / sizeof *argv), npos = -1;
  assert_int_equal(parse(&v, argc, argv, &npos), 0);
  assert_int_equal(npos, 0);
  assert_int_equal(v.flag, 1);
  assert_int_equal(v.plot, 0);
  assert_int_equal(v.n, 12);
  assert_true(v.x == 0.25);
  assert_true(v.y == 1000);
  assert_string_equal(v.name, ""); /* a string may be empty */
  assert_string_equal(v.file, "out");
  assert_int_equal(v.colour, 30);
  assert_int_equal(v.cb_calls, 1);
  assert_string_equal(v.cb_arg, "x");
  assert_int_equal(v.mo.mult, PP_MULT_BOOTH);
  assert_int_equal(v.mo.adder, PP_ADDER_PREFIX);
  assert_int_equal(v.mo.part, PP_MAC_MULT);
  assert_int_equal(v.mo.w_bits, 4);
  assert_int_equal(v.mo.p_bits, 31);
  assert_true(v.so.input_slew_ps == 30);
  assert_true(v.wire == 0);
  assert_true(v.load == -1); /* not given: kept */
  assert_int_equal(v.so.inertial, 1);
  /* the same again the other way round: --plot, space and = swapped */
  char *argv2[] = {"cmdx", "--plot", "--count=3", "--frac", "1", "--colour=red", "--delay-model=transport"};
  assert_int_equal(parse(&v, 7, argv2, NULL), 0);
  assert_int_equal(v.plot, 1);
  assert_int_equal(v.n, 3);
  assert_true(v.x == 1);
  assert_int_equal(v.colour, 10);
  assert_int_equal(v.so.inertial, 0);
}

static void test_positional(void **st) {
  (void)st;
  vals v;
  vals_default(&v);
  char *argv[] = {"cmdx", "a.v", "--count", "-5x", "b.v"};
  int npos = 0;
  char buf[512];
  int r = 0;
  CAPTURE_STDERR(buf, r = parse(&v, 5, argv, &npos));
  assert_int_equal(r, PP_EXIT_USAGE); /* "-5x" is --count's value, and a bad one */
  char *argv2[] = {"cmdx", "a.v", "--count", "5", "-", "--", "--json", "c.v"};
  assert_int_equal(parse(&v, 8, argv2, &npos), 0);
  assert_int_equal(npos, 4);
  assert_string_equal(argv2[1], "a.v");
  assert_string_equal(argv2[2], "-"); /* stdin, a positional */
  assert_string_equal(argv2[3], "--json");
  assert_string_equal(argv2[4], "c.v");
  assert_int_equal(v.flag, 0); /* after "--" nothing is an option */
  assert_int_equal(v.n, 5);
  char *argv3[] = {"cmdx", "a.v"};
  CAPTURE_STDERR(buf, r = parse(&v, 2, argv3, NULL));
  assert_int_equal(r, PP_EXIT_USAGE);
  assert_non_null(strstr(buf, "cmdx: unexpected argument 'a.v'"));
}

static void test_errors(void **st) {
  (void)st;
  static const struct {
    const char *a, *b, *want;
  } bad[] = {
      {"--frob", NULL, "cmdx: unknown option '--frob'"},
      {"--frob=1", NULL, "cmdx: unknown option '--frob'"},
      {"-x", NULL, "cmdx: unknown option '-x'"},
      {"--no-json", NULL, "cmdx: unknown option '--no-json'"}, /* only BOOL negates */
      {"--json=1", NULL, "cmdx: --json takes no value, got '1'"},
      {"--count", NULL, "cmdx: --count needs a value (N)"},
      {"--colour", NULL, "cmdx: --colour needs a value (red, green or blue)"},
      {"--count", "0", "cmdx: --count must be a whole number in 1..100, not '0'"},
      {"--count", "101", "cmdx: --count must be a whole number in 1..100, not '101'"},
      {"--count=", NULL, "cmdx: --count must be a whole number in 1..100, not ''"},
      {"--count", "4x", "cmdx: --count must be a whole number in 1..100, not '4x'"},
      {"--count", "2.5", "cmdx: --count must be a whole number in 1..100, not '2.5'"},
      {"--count", "99999999999999999999", "cmdx: --count must be a whole number in 1..100, not '9999"},
      {"--frac", "nan", "cmdx: --frac must be a finite number in 0..1, not 'nan'"},
      {"--frac", "inf", "cmdx: --frac must be a finite number in 0..1, not 'inf'"},
      {"--frac", "1.5", "cmdx: --frac must be a finite number in 0..1, not '1.5'"},
      {"--frac", "1e999", "cmdx: --frac must be a finite number in 0..1, not '1e999'"},
      {"--clock-ps", "0", "cmdx: --clock-ps must be a finite number > 0, not '0'"},
      {"--momentum", "1", "cmdx: --momentum must be a finite number >= 0 and < 1, not '1'"},
      {"--input-slew", "-1", "cmdx: --input-slew must be a finite number >= 0, not '-1'"},
      {"--wire-cap-per-fanout=inf", NULL, "cmdx: --wire-cap-per-fanout must be a finite number >= 0, not 'inf'"},
      {"-o", "", "cmdx: -o needs a file name, not ''"},
      {"--out=", NULL, "cmdx: --out needs a file name, not ''"},
      {"--colour", "purple", "cmdx: --colour must be red, green or blue, not 'purple'"},
      {"--mult", "wallace", "cmdx: --mult must be array or booth, not 'wallace'"},
      {"--adder=carry", NULL, "cmdx: --adder must be ripple or prefix, not 'carry'"},
      {"--part", "", "cmdx: --part must be full, mult or adder, not ''"},
      {"--delay-model", "ideal", "cmdx: --delay-model must be transport or inertial, not 'ideal'"},
      {"--w-bits", "9", "cmdx: --w-bits must be a whole number in 2..8, not '9'"},
      {"--p-bits", "32", "cmdx: --p-bits must be a whole number in 4..31, not '32'"},
      {"--cb", "bad", "cmdx: --cb cannot take 'bad'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    vals v, before;
    vals_default(&v);
    before = v;
    char *argv[] = {"cmdx", (char *)bad[k].a, (char *)bad[k].b, NULL};
    char buf[512];
    int r = 0;
    CAPTURE_STDERR(buf, r = parse(&v, bad[k].b ? 3 : 2, argv, NULL));
    assert_int_equal(r, PP_EXIT_USAGE);
    if (!strstr(buf, bad[k].want)) fail_msg("%s %s: got '%s', expected '%s'", bad[k].a, bad[k].b, buf, bad[k].want);
    assert_non_null(strstr(buf, "(see 'powerprune cmdx --help')"));
    assert_null(strchr(strchr(buf, '\n') + 1, '\n')); /* one line */
    assert_memory_equal(&before, &v, sizeof v);       /* nothing applied */
  }
}

static void test_help(void **st) {
  (void)st;
  vals v;
  vals_default(&v);
  v.mo.mult = PP_MULT_BOOTH; /* a default set before parsing is the one shown */
  v.n = 42;
  TABLE(v);
  FILE *f = tmpfile();
  assert_non_null(f);
  pp_opt_help(f, "usage: cmdx [options]\n", opts);
  long len = ftell(f);
  rewind(f);
  char *h = calloc((size_t)len + 1, 1);
  assert_non_null(h);
  assert_int_equal(fread(h, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  assert_true(!strncmp(h, "usage: cmdx [options]\n", 22));
  /* every option of the table, by name */
  for (const pp_opt *o = opts; o->type != PP_OT_END; o++) {
    if (o->type == PP_OT_GROUP) {
      assert_non_null(strstr(h, o->help));
      continue;
    }
    char name[64];
    snprintf(name, sizeof name, o->type == PP_OT_BOOL ? "--[no-]%s" : "--%s", o->long_name);
    if (!strstr(h, name)) fail_msg("help has no %s:\n%s", name, h);
  }
  static const char *want[] = {
      "--[no-]plot",         "draw the plot (default: on)",
      "--count N",           "how many (default: 42)",
      "--frac X",            "a fraction (default: 0.5)",
      "clock period (default: 2)",
      "a name (default: anon)",
      "-o, --out DIR",       "--colour red|green|blue",
      "a colour (default: green)",
      "calls back (default: none)",
      "--mult array|booth",  "multiplier of the generated MAC (default: booth)",
      "(default: ripple)",   "--part full|mult|adder",
      "--w-bits N",          "--p-bits N",
      "partial-sum bits of the generated MAC (default: 22)",
      "--input-slew PS",     "slew of every primary input (default: the library's)",
      "--delay-model transport|inertial",
      "how gate delays filter pulses (default: transport)",
  };
  for (size_t k = 0; k < sizeof want / sizeof *want; k++)
    if (!strstr(h, want[k])) fail_msg("help has no '%s':\n%s", want[k], h);
  assert_null(strstr(h, "print JSON (default")); /* a flag has none */
  assert_null(strstr(h, "output folder (default")); /* nor a path not set */
  free(h);
}

/* --help prints to stdout and returns PP_OPT_HELP, whatever follows */
static void test_help_option(void **st) {
  (void)st;
  vals v;
  vals_default(&v);
  char *argv[] = {"cmdx", "-h", "--frob"};
  fflush(stdout);
  int saved = dup(1);
  FILE *devnull = fopen("/dev/null", "w");
  assert_non_null(devnull);
  dup2(fileno(devnull), 1);
  int r = parse(&v, 3, argv, NULL);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  fclose(devnull);
  assert_int_equal(r, PP_OPT_HELP);
}

/* The run file of a table as text (caller frees). */
static char *run_file_text(vals *v) {
  TABLE(*v);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  pp_json j;
  pp_json_init(&j, f, 0);
  pp_opt_json_write(&j, "test-run/1", opts);
  pp_json_end(&j);
  fclose(f);
  return text;
}

/* Applies the "options" of run-file text to v (seen: from a command line
 * parsed into v first, NULL: none). Returns what pp_opt_json_apply returns;
 * tree keeps the strings v points to. */
static int apply_text(vals *v, const char *text, pp_jv *tree, int argc, char **argv) {
  TABLE(*v);
  unsigned char seen[sizeof opts / sizeof opts[0]] = {0};
  if (argc) assert_int_equal(pp_opt_parse_seen("cmdx", NULL, opts, argc, argv, NULL, seen), 0);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse(text, "f.json", tree, &e), PP_OK);
  const pp_jv *o = pp_jv_get(tree, "options");
  assert_non_null(o);
  return pp_opt_json_apply("cmdx", opts, o, "f.json", seen);
}

/* A run file holds every saved option and reads back to the same values,
 * doubles bit for bit; a sentinel outside the range is null and stays the
 * default; options seen on the command line win over the file. */
static void test_run_file_round_trip(void **st) {
  (void)st;
  vals v, w;
  vals_default(&v);
  v.flag = 1;
  v.plot = 0;
  v.n = 0; /* outside 1..100: "the command works it out" */
  v.x = 0.1 + 0.2;
  v.y = 1e-300;
  v.name = "a,\"b\"\n";
  v.colour = 30;
  v.mo.mult = PP_MULT_BOOTH;
  char *text = run_file_text(&v);
  pp_jv t;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_parse(text, "x", &t, &e), PP_OK);
  assert_string_equal(pp_jv_str(&t, "format", ""), "test-run/1");
  const pp_jv *o = pp_jv_get(&t, "options");
  assert_non_null(o);
  assert_int_equal(pp_jv_get(o, "count")->type, PP_JV_NULL);
  assert_int_equal(pp_jv_get(o, "out")->type, PP_JV_NULL);
  assert_null(pp_jv_get(o, "cb")); /* a callback without fmt is not saved */
  assert_string_equal(pp_jv_str(o, "colour", ""), "blue");
  assert_string_equal(pp_jv_str(o, "mult", ""), "booth");
  pp_jv_free(&t);

  vals_default(&w);
  pp_jv tree;
  assert_int_equal(apply_text(&w, text, &tree, 0, NULL), 0);
  assert_int_equal(w.flag, 1);
  assert_int_equal(w.plot, 0);
  assert_int_equal(w.n, 7); /* null: the default kept */
  assert_memory_equal(&w.x, &v.x, sizeof w.x);
  assert_memory_equal(&w.y, &v.y, sizeof w.y);
  assert_string_equal(w.name, v.name);
  assert_null(w.file);
  assert_int_equal(w.colour, 30);
  assert_int_equal(w.mo.mult, PP_MULT_BOOTH);
  pp_jv_free(&tree);

  /* the command line wins, the file fills the rest */
  vals_default(&w);
  char *argv[] = {"cmdx", "--colour", "red", "--plot"};
  assert_int_equal(apply_text(&w, text, &tree, 4, argv), 0);
  assert_int_equal(w.colour, 10);
  assert_int_equal(w.plot, 1);
  assert_int_equal(w.flag, 1);
  assert_memory_equal(&w.x, &v.x, sizeof w.x);
  pp_jv_free(&tree);
  free(text);
}

/* A bad member is one error naming the file, its position and the key. */
static void test_run_file_strict(void **st) {
  (void)st;
  static const struct {
    const char *text, *key;
  } cases[] = {
      {"{\"options\":{\"count\":1.5}}", "options.count"},   {"{\"options\":{\"count\":101}}", "options.count"},
      {"{\"options\":{\"frac\":\"0.5\"}}", "options.frac"}, {"{\"options\":{\"clock-ps\":0}}", "options.clock-ps"},
      {"{\"options\":{\"colour\":\"pink\"}}", "options.colour"}, {"{\"options\":{\"plot\":1}}", "options.plot"},
      {"{\"options\":{\"out\":\"\"}}", "options.out"},      {"{\"options\":{\"colr\":\"red\"}}", "options.colr"},
      {"{\"options\":{\"cb\":\"x\"}}", "options.cb"},       {"{\"options\":{\"mult\":1}}", "options.mult"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    vals v;
    vals_default(&v);
    pp_jv tree;
    char buf[1024];
    int rc = 0;
    CAPTURE_STDERR(buf, rc = apply_text(&v, cases[k].text, &tree, 0, NULL));
    pp_jv_free(&tree);
    assert_int_equal(rc, PP_EXIT_INPUT);
    if (!strstr(buf, "f.json:1:") || !strstr(buf, cases[k].key)) fail_msg("%s: got '%s'", cases[k].text, buf);
    assert_int_equal(v.n, 7);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types), cmocka_unit_test(test_positional), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_help),  cmocka_unit_test(test_help_option),
      cmocka_unit_test(test_run_file_round_trip), cmocka_unit_test(test_run_file_strict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

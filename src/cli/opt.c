/* cli/opt: the option-table parser and the --help text generated from the
 * same table (see opt.h). */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const pp_opt_choice pp_opt_mult_choices[] = {{"array", PP_MULT_ARRAY}, {"booth", PP_MULT_BOOTH}, {NULL, 0}};
const pp_opt_choice pp_opt_adder_choices[] = {{"ripple", PP_ADDER_RIPPLE}, {"prefix", PP_ADDER_PREFIX}, {NULL, 0}};
const pp_opt_choice pp_opt_part_choices[] = {
    {"full", PP_MAC_FULL}, {"mult", PP_MAC_MULT}, {"adder", PP_MAC_ADDER}, {NULL, 0}};
const pp_opt_choice pp_opt_delay_model_choices[] = {{"transport", 0}, {"inertial", 1}, {NULL, 0}};

const char *pp_opt_choice_name(const pp_opt_choice *c, int v) {
  for (; c && c->name; c++)
    if (c->value == v) return c->name;
  return "?";
}

/* "array, booth or wallace" */
static void choices_text(const pp_opt_choice *c, const char *sep, const char *sep_last, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (int k = 0; c[k].name && len < n; k++) {
    const char *s = k == 0 ? "" : c[k + 1].name ? sep : sep_last;
    int w = snprintf(buf + len, n - len, "%s%s", s, c[k].name);
    if (w < 0) break;
    len += (size_t)w;
  }
}

/* "--name" or "-x" as the user would type it, for messages. */
static const char *opt_label(const pp_opt *o, char *buf, size_t n) {
  if (o->long_name) snprintf(buf, n, "--%s", o->long_name);
  else snprintf(buf, n, "-%c", o->short_name);
  return buf;
}

static int takes_value(const pp_opt *o) {
  return !(o->type == PP_OT_FLAG || o->type == PP_OT_BOOL || (o->type == PP_OT_CALLBACK && (o->flags & PP_OPT_NOARG)));
}

/* "in 2..8", ">= 0", "> 0", "<= 1" or "" (unbounded), as %g. */
static void range_text(const pp_opt *o, char *buf, size_t n) {
  int has_lo = o->lo > -PP_OPT_INF, has_hi = o->type == PP_OT_INT ? o->hi < PP_OPT_INT_MAX : o->hi < PP_OPT_INF;
  const char *lo_op = (o->flags & PP_OPT_LO_OPEN) ? ">" : ">=";
  if (o->type == PP_OT_INT && o->lo <= -PP_OPT_INT_MAX) has_lo = 0;
  if (has_lo && has_hi && !(o->flags & PP_OPT_LO_OPEN)) snprintf(buf, n, " in %g..%g", o->lo, o->hi);
  else if (has_lo && has_hi) snprintf(buf, n, " %s %g and <= %g", lo_op, o->lo, o->hi);
  else if (has_lo) snprintf(buf, n, " %s %g", lo_op, o->lo);
  else if (has_hi) snprintf(buf, n, " <= %g", o->hi);
  else buf[0] = 0;
}

static int in_range(const pp_opt *o, double v) {
  if (o->flags & PP_OPT_LO_OPEN ? !(v > o->lo) : !(v >= o->lo)) return 0;
  return v <= o->hi;
}

/* Stores value v of option o, typed as lab ("--name" or "-x"). */
static int apply(const char *cmd, const pp_opt *o, const char *lab, const char *v) {
  char rt[96];
  switch (o->type) {
    case PP_OT_INT: {
      char *end;
      errno = 0;
      long x = *v ? strtol(v, &end, 10) : 0;
      range_text(o, rt, sizeof rt);
      if (!*v || errno || *end || !in_range(o, (double)x))
        return pp_cli_usage(cmd, "%s must be a whole number%s, not '%s'", lab, rt, v);
      *(int *)o->dst = (int)x;
      return 0;
    }
    case PP_OT_DOUBLE: {
      char *end;
      errno = 0;
      double x = *v ? strtod(v, &end) : 0;
      range_text(o, rt, sizeof rt);
      /* nan and inf parse as numbers but are never a meaningful setting */
      if (!*v || errno || *end || !isfinite(x) || !in_range(o, x))
        return pp_cli_usage(cmd, "%s must be a finite number%s, not '%s'", lab, rt, v);
      *(double *)o->dst = x;
      return 0;
    }
    case PP_OT_PATH:
      if (!*v) return pp_cli_usage(cmd, "%s needs a file name, not ''", lab);
      *(const char **)o->dst = v;
      return 0;
    case PP_OT_STRING: *(const char **)o->dst = v; return 0;
    case PP_OT_ENUM: {
      for (const pp_opt_choice *c = o->choices; c->name; c++)
        if (!strcmp(c->name, v)) {
          *(int *)o->dst = c->value;
          return 0;
        }
      char words[256];
      choices_text(o->choices, ", ", " or ", words, sizeof words);
      return pp_cli_usage(cmd, "%s must be %s, not '%s'", lab, words, v);
    }
    case PP_OT_CALLBACK: return o->cb(cmd, o, v);
    default: return 0;
  }
}

/* The entry a "--name" (nlen characters of name) or "-x" means; *negated
 * set for "--no-name" of a BOOL. */
static const pp_opt *find_long(const pp_opt *opts, const char *name, size_t nlen, int *negated) {
  *negated = 0;
  for (const pp_opt *o = opts; o->type != PP_OT_END; o++)
    if (o->long_name && strlen(o->long_name) == nlen && !strncmp(o->long_name, name, nlen)) return o;
  if (nlen > 3 && !strncmp(name, "no-", 3))
    for (const pp_opt *o = opts; o->type != PP_OT_END; o++)
      if (o->type == PP_OT_BOOL && o->long_name && strlen(o->long_name) == nlen - 3 &&
          !strncmp(o->long_name, name + 3, nlen - 3)) {
        *negated = 1;
        return o;
      }
  return NULL;
}

static const pp_opt *find_short(const pp_opt *opts, char c) {
  for (const pp_opt *o = opts; o->type != PP_OT_END; o++)
    if (o->short_name && o->short_name == c) return o;
  return NULL;
}

int pp_opt_parse(const char *cmd, const char *usage, const pp_opt *opts, int argc, char **argv, int *npos) {
  int n = 0, only_pos = 0;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (only_pos || a[0] != '-' || !a[1]) {
      if (!npos) return pp_cli_usage(cmd, "unexpected argument '%s'", a);
      argv[1 + n++] = a; /* n <= i - 1: never overwrites what is still to be read */
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      pp_opt_help(stdout, usage, opts);
      return PP_OPT_HELP;
    }
    const char *eq = strchr(a, '='), *v = NULL;
    const pp_opt *o;
    int negated = 0;
    if (a[1] == '-') {
      size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      o = find_long(opts, a + 2, nlen, &negated);
    } else {
      o = (a[2] == 0 || a[2] == '=') ? find_short(opts, a[1]) : NULL;
    }
    if (!o) {
      if (eq) return pp_cli_usage(cmd, "unknown option '%.*s'", (int)(eq - a), a);
      return pp_cli_usage(cmd, "unknown option '%s'", a);
    }
    char lab[128];
    if (a[1] == '-') opt_label(o, lab, sizeof lab);
    else snprintf(lab, sizeof lab, "-%c", a[1]);
    if (!takes_value(o)) {
      if (eq) return pp_cli_usage(cmd, "%s takes no value, got '%s'", lab, eq + 1);
      if (o->type == PP_OT_CALLBACK) {
        if (o->cb(cmd, o, NULL)) return PP_EXIT_USAGE;
      } else *(int *)o->dst = !negated;
      continue;
    }
    if (eq) v = eq + 1;
    else if (i + 1 < argc) v = argv[++i];
    else {
      char words[256];
      if (o->type == PP_OT_ENUM) choices_text(o->choices, ", ", " or ", words, sizeof words);
      return pp_cli_usage(cmd, "%s needs a value (%s)", lab,
                          o->type == PP_OT_ENUM ? words : o->argh ? o->argh : "VALUE");
    }
    if (apply(cmd, o, lab, v)) return PP_EXIT_USAGE;
  }
  if (npos) *npos = n;
  return 0;
}

/* The default of o as help prints it, or NULL for none. */
static const char *default_text(const pp_opt *o, char *buf, size_t n) {
  if (o->flags & PP_OPT_NODEF) return NULL;
  if (o->def) return o->def;
  switch (o->type) {
    case PP_OT_BOOL: return *(const int *)o->dst ? "on" : "off";
    case PP_OT_INT: snprintf(buf, n, "%d", *(const int *)o->dst); return buf;
    case PP_OT_DOUBLE: snprintf(buf, n, "%g", *(const double *)o->dst); return buf;
    case PP_OT_STRING:
    case PP_OT_PATH: {
      const char *s = *(const char *const *)o->dst;
      return s && *s ? s : NULL;
    }
    case PP_OT_ENUM: {
      const char *s = pp_opt_choice_name(o->choices, *(const int *)o->dst);
      return strcmp(s, "?") ? s : NULL;
    }
    default: return NULL;
  }
}

#define HELP_COL 26

void pp_opt_help(FILE *f, const char *usage, const pp_opt *opts) {
  if (usage) fputs(usage, f);
  for (const pp_opt *o = opts; o->type != PP_OT_END; o++) {
    if (o->type == PP_OT_GROUP) {
      fprintf(f, "\n%s\n", o->help);
      continue;
    }
    char left[256], words[256], dbuf[64];
    int len;
    const char *arg = o->argh;
    if (o->type == PP_OT_ENUM && !arg) {
      choices_text(o->choices, "|", "|", words, sizeof words);
      arg = words;
    }
    if (!takes_value(o)) arg = NULL;
    else if (!arg) arg = "VALUE";
    if (o->short_name && o->long_name)
      len = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->long_name, arg ? " " : "", arg ? arg : "");
    else if (o->long_name)
      len = snprintf(left, sizeof left, "  --%s%s%s%s", o->type == PP_OT_BOOL ? "[no-]" : "", o->long_name,
                     arg ? " " : "", arg ? arg : "");
    else len = snprintf(left, sizeof left, "  -%c%s%s", o->short_name, arg ? " " : "", arg ? arg : "");
    fputs(left, f);
    if (len >= HELP_COL - 1) fprintf(f, "\n%*s", HELP_COL, "");
    else fprintf(f, "%*s", HELP_COL - len, "");
    /* the help text, continuation lines indented to the column */
    const char *h = o->help ? o->help : "";
    size_t line = 0; /* length of the help's last line so far */
    for (const char *p = h; *p; p++) {
      fputc(*p, f);
      line++;
      if (*p == '\n') {
        fprintf(f, "%*s", HELP_COL, "");
        line = 0;
      }
    }
    const char *d = default_text(o, dbuf, sizeof dbuf);
    /* a default that would make the line long goes on a line of its own */
    if (d && line && HELP_COL + line + strlen(d) + 12 > 100) fprintf(f, "\n%*s(default: %s)", HELP_COL, "", d);
    else if (d) fprintf(f, "%s(default: %s)", *h ? " " : "", d);
    fputc('\n', f);
  }
}

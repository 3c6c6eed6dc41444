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

/* " in 2..8", " >= 0", " > 0", " >= 0 and < 1", " <= 1" or "" (unbounded), as %g. */
static void range_text(const pp_opt *o, char *buf, size_t n) {
  int has_lo = o->type == PP_OT_INT ? o->lo > -PP_OPT_INT_MAX : o->lo > -PP_OPT_INF;
  int has_hi = o->type == PP_OT_INT ? o->hi < PP_OPT_INT_MAX : o->hi < PP_OPT_INF;
  int open = (o->flags & (PP_OPT_LO_OPEN | PP_OPT_HI_OPEN)) != 0;
  const char *lo_op = (o->flags & PP_OPT_LO_OPEN) ? ">" : ">=", *hi_op = (o->flags & PP_OPT_HI_OPEN) ? "<" : "<=";
  if (has_lo && has_hi && !open) snprintf(buf, n, " in %g..%g", o->lo, o->hi);
  else if (has_lo && has_hi) snprintf(buf, n, " %s %g and %s %g", lo_op, o->lo, hi_op, o->hi);
  else if (has_lo) snprintf(buf, n, " %s %g", lo_op, o->lo);
  else if (has_hi) snprintf(buf, n, " %s %g", hi_op, o->hi);
  else buf[0] = 0;
}

static int in_range(const pp_opt *o, double v) {
  if (o->flags & PP_OPT_LO_OPEN ? !(v > o->lo) : !(v >= o->lo)) return 0;
  return o->flags & PP_OPT_HI_OPEN ? v < o->hi : v <= o->hi;
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

size_t pp_opt_count(const pp_opt *opts) {
  size_t n = 0;
  while (opts[n].type != PP_OT_END) n++;
  return n;
}

int pp_opt_parse(const char *cmd, const char *usage, const pp_opt *opts, int argc, char **argv, int *npos) {
  return pp_opt_parse_seen(cmd, usage, opts, argc, argv, npos, NULL);
}

int pp_opt_parse_seen(const char *cmd, const char *usage, const pp_opt *opts, int argc, char **argv, int *npos,
                      unsigned char *seen) {
  int n = 0, only_pos = 0;
  for (int i = 1; i < argc && argv[i]; i++) { /* argv[argc] is NULL; so may a caller's be earlier */
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
    if (seen) seen[o - opts] = 1;
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
    else if (i + 1 < argc && argv[i + 1]) v = argv[++i];
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

/* ---- run files ---------------------------------------------------------------- */
/* Whether o has a member in a run file. */
static int saved(const pp_opt *o) {
  if (o->type == PP_OT_GROUP || o->type == PP_OT_END || !o->long_name || (o->flags & PP_OPT_NOSAVE)) return 0;
  return o->type != PP_OT_CALLBACK || o->fmt != NULL;
}

void pp_opt_json_write(pp_json *j, const char *format, const pp_opt *opts) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", format);
  pp_json_key_obj_begin(j, "options");
  for (const pp_opt *o = opts; o->type != PP_OT_END; o++) {
    if (!saved(o)) continue;
    pp_json_key(j, o->long_name);
    switch (o->type) {
      case PP_OT_FLAG:
      case PP_OT_BOOL: pp_json_bool(j, *(const int *)o->dst != 0); break;
      case PP_OT_INT: {
        int v = *(const int *)o->dst;
        if (in_range(o, v)) pp_json_int(j, v);
        else pp_json_null(j); /* a sentinel: the command works the default out */
        break;
      }
      case PP_OT_DOUBLE: {
        double v = *(const double *)o->dst;
        if (isfinite(v) && in_range(o, v)) pp_json_num(j, v);
        else pp_json_null(j);
        break;
      }
      case PP_OT_STRING:
      case PP_OT_PATH: {
        const char *v = *(const char *const *)o->dst;
        if (v) pp_json_str(j, v);
        else pp_json_null(j);
        break;
      }
      case PP_OT_ENUM: {
        const char *w = pp_opt_choice_name(o->choices, *(const int *)o->dst);
        if (strcmp(w, "?")) pp_json_str(j, w);
        else pp_json_null(j);
        break;
      }
      case PP_OT_CALLBACK: o->fmt(j, o); break;
      default: pp_json_null(j); break;
    }
  }
  pp_json_obj_end(j);
  pp_json_obj_end(j);
}

static int jv_scalar_text(const pp_jv *v, char *buf, size_t n) {
  int w;
  switch (v->type) {
    case PP_JV_NULL: w = snprintf(buf, n, "%s", ""); break;
    case PP_JV_BOOL: w = snprintf(buf, n, "%s", v->num != 0 ? "true" : "false"); break;
    case PP_JV_STR: w = snprintf(buf, n, "%s", v->str); break;
    case PP_JV_NUM:
      if (v->ints & PP_JV_INT64) w = snprintf(buf, n, "%lld", (long long)v->i64);
      else if (v->ints & PP_JV_UINT64) w = snprintf(buf, n, "%llu", (unsigned long long)v->u64);
      else w = snprintf(buf, n, "%.17g", v->num);
      break;
    default: return -1;
  }
  return w < 0 || (size_t)w >= n ? -1 : 0;
}

int pp_opt_jv_text(const pp_jv *v, char *buf, size_t n) {
  if (v->type != PP_JV_ARR) return jv_scalar_text(v, buf, n);
  size_t len = 0;
  if (n) buf[0] = 0;
  for (size_t i = 0; i < v->n; i++) {
    if (v->items[i].type == PP_JV_ARR || v->items[i].type == PP_JV_OBJ) return -1;
    if (i) {
      if (len + 1 >= n) return -1;
      buf[len++] = ',';
      buf[len] = 0;
    }
    if (jv_scalar_text(&v->items[i], buf + len, n - len)) return -1;
    len += strlen(buf + len);
  }
  return 0;
}

/* One member of a run file's options into o (c names the file). */
static int apply_member(const char *cmd, const pp_opt *o, const pp_jv *v, const pp_jv_ctx *c, const char *path) {
  char rt[96], words[256];
  int rc = 0;
  switch (o->type) {
    case PP_OT_FLAG:
    case PP_OT_BOOL: {
      if (v->type != PP_JV_BOOL) return pp_jv_fail(c, v, path, "expected true or false");
      *(int *)o->dst = v->num != 0;
      return 0;
    }
    case PP_OT_INT: {
      if (v->type == PP_JV_NULL) return 0;
      range_text(o, rt, sizeof rt);
      if (v->type != PP_JV_NUM || !(v->ints & PP_JV_INT64) || !in_range(o, (double)v->i64))
        return pp_jv_fail(c, v, path, "expected null or a whole number%s", rt);
      *(int *)o->dst = (int)v->i64;
      return 0;
    }
    case PP_OT_DOUBLE:
      if (v->type == PP_JV_NULL) return 0;
      range_text(o, rt, sizeof rt);
      if (v->type != PP_JV_NUM || !isfinite(v->num) || !in_range(o, v->num))
        return pp_jv_fail(c, v, path, "expected null or a finite number%s", rt);
      *(double *)o->dst = v->num;
      return 0;
    case PP_OT_STRING:
    case PP_OT_PATH:
      if (v->type == PP_JV_NULL) return 0;
      if (v->type != PP_JV_STR || (o->type == PP_OT_PATH && !*v->str))
        return pp_jv_fail(c, v, path, "expected null or a %s", o->type == PP_OT_PATH ? "file name" : "string");
      *(const char **)o->dst = v->str; /* the caller keeps the tree while the value is used */
      return 0;
    case PP_OT_ENUM:
      if (v->type == PP_JV_NULL) return 0;
      choices_text(o->choices, ", ", " or ", words, sizeof words);
      if (v->type == PP_JV_STR)
        for (const pp_opt_choice *ch = o->choices; ch->name; ch++)
          if (!strcmp(ch->name, v->str)) {
            *(int *)o->dst = ch->value;
            return 0;
          }
      return pp_jv_fail(c, v, path, "expected null, %s", words);
    case PP_OT_CALLBACK: {
      char text[1024];
      if (v->type == PP_JV_NULL) return 0;
      if (o->flags & PP_OPT_NOARG) {
        if (v->type != PP_JV_BOOL) return pp_jv_fail(c, v, path, "expected true or false");
        rc = v->num != 0 ? o->cb(cmd, o, NULL) : 0;
      } else {
        if (v->type == PP_JV_OBJ || v->type == PP_JV_BOOL || pp_opt_jv_text(v, text, sizeof text))
          return pp_jv_fail(c, v, path, "expected null or a value of --%s (%s)", o->long_name,
                            o->argh ? o->argh : "VALUE");
        rc = o->cb(cmd, o, text);
      }
      /* the callback printed what it takes; the error says where it came from */
      return rc ? pp_jv_fail(c, v, path, "not a value of --%s", o->long_name) : 0;
    }
    default: return 0;
  }
}

int pp_opt_json_apply(const char *cmd, const pp_opt *opts, const pp_jv *obj, const char *file,
                      const unsigned char *seen) {
  pp_err e;
  pp_err_clear(&e);
  pp_jv_ctx c = {file, &e};
  if (obj->type != PP_JV_OBJ) {
    pp_jv_fail(&c, obj, "options", "expected an object");
    return pp_cli_fail(cmd, &e);
  }
  for (size_t i = 0; i < obj->n; i++) {
    const pp_opt *o = NULL;
    char path[160];
    snprintf(path, sizeof path, "options.%s", obj->keys[i]);
    for (const pp_opt *q = opts; q->type != PP_OT_END && !o; q++)
      if (saved(q) && !strcmp(q->long_name, obj->keys[i])) o = q;
    if (!o) {
      pp_jv_fail(&c, &obj->items[i], path, "unknown option (see 'powerprune %s --help')", cmd);
      return pp_cli_fail(cmd, &e);
    }
    if (seen && seen[o - opts]) continue; /* the command line wins */
    if (apply_member(cmd, o, &obj->items[i], &c, path)) return pp_cli_fail(cmd, &e);
  }
  return 0;
}

int pp_opt_json_load(const char *cmd, const char *format, const pp_opt *opts, const char *path,
                     const unsigned char *seen, pp_jv *tree) {
  pp_jv v;
  int rc;
  pp_err e;
  pp_err_clear(&e);
  pp_jv_ctx c = {path, &e};
  const char *fmt = NULL;
  const pp_jv *opt = NULL;
  memset(tree, 0, sizeof *tree);
  if (pp_jv_load(path, &v, &e)) return pp_cli_fail(cmd, &e);
  if (v.type != PP_JV_OBJ) {
    pp_jv_fail(&c, &v, "(top level)", "expected an object {\"format\": \"%s\", \"options\": {...}}", format);
    goto fail;
  }
  for (size_t i = 0; i < v.n; i++)
    if (strcmp(v.keys[i], "format") && strcmp(v.keys[i], "options")) {
      pp_jv_fail(&c, &v.items[i], v.keys[i], "unknown key; a run file holds only \"format\" and \"options\"");
      goto fail;
    }
  if (pp_jv_want_str(&c, &v, "", "format", 0, &fmt)) goto fail;
  if (strcmp(fmt, format)) {
    pp_jv_fail(&c, pp_jv_get(&v, "format"), "format", "is \"%s\", expected \"%s\"", fmt, format);
    goto fail;
  }
  if (pp_jv_want(&c, &v, "", "options", 0, PP_JV_OBJ, &opt)) goto fail;
  if ((rc = pp_opt_json_apply(cmd, opts, opt, path, seen))) {
    pp_jv_free(&v);
    return rc;
  }
  *tree = v;
  return 0;
fail:
  rc = pp_cli_fail(cmd, &e);
  pp_jv_free(&v);
  return rc;
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

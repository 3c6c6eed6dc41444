/* flow/ledger: stage files that make the flow resumable. Each finished stage
 * leaves DIR/stages/<name>.json (written atomically) with its options, a key
 * chained over every earlier stage, its result and the files it made; a rerun
 * with the same key skips the stage and reads its result back. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pp/flow.h"

uint64_t pp_flow_hash(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void pp_flow_log(pp_flow_ledger *l, const char *fmt, ...) {
  if (!l->log) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  l->log(l->log_user, msg);
}

int pp_flow_ledger_open(pp_flow_ledger *l, const char *dir, pp_err *e) {
  pp_flow_log_fn log = l->log;
  void *lu = l->log_user;
  int force = l->force;
  memset(l, 0, sizeof *l);
  l->log = log;
  l->log_user = lu;
  l->force = force;
  if (!dir || !*dir) return pp_err_set(e, PP_EINVAL, "", 0, "no output folder given");
  if (snprintf(l->dir, sizeof l->dir, "%s", dir) >= (int)sizeof l->dir - 64)
    return pp_err_set(e, PP_EINVAL, dir, 0, "output folder path too long");
  l->chain = 0xcbf29ce484222325ULL;
  char p[4200];
  snprintf(p, sizeof p, "%s/stages", dir);
  return pp_mkdirs(p, e);
}

const char *pp_flow_path(const pp_flow_ledger *l, const char *rel, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s", l->dir, rel);
  return buf;
}

void pp_flow_opt(pp_flow_opts_str *o, const char *key, const char *fmt, ...) {
  char val[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(val, sizeof val, fmt, ap);
  va_end(ap);
  for (char *c = val; *c; c++)
    if (*c == '\n') *c = ' ';
  int w = snprintf(o->buf + o->len, sizeof o->buf - o->len, "%s=%s\n", key, val);
  if (w < 0 || (size_t)w >= sizeof o->buf - o->len) o->overflow = 1;
  else o->len += (size_t)w;
}

static uint64_t stage_key(const pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts) {
  uint64_t h = pp_flow_hash(l->chain, name, strlen(name) + 1);
  return pp_flow_hash(h, opts->buf, opts->len);
}

static void stage_file(const pp_flow_ledger *l, const char *name, char *buf, size_t n) {
  snprintf(buf, n, "%s/stages/%s.json", l->dir, name);
}

int pp_flow_stage_check(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, pp_report_jv *result,
                        pp_err *e) {
  memset(result, 0, sizeof *result);
  if (opts->overflow) return pp_err_set(e, PP_EINTERNAL, "", 0, "stage %s: options too long", name);
  uint64_t key = stage_key(l, name, opts);
  char path[4400], want[32];
  stage_file(l, name, path, sizeof path);
  snprintf(want, sizeof want, "%016" PRIx64, key);
  l->nstages++;
  /* from here on, later stages chain on this one whether it runs or not */
  l->chain = key;
  if (l->force) return 0;
  struct stat sb;
  if (stat(path, &sb) != 0) return 0;
  pp_report_jv v;
  pp_err e2;
  pp_err_clear(&e2);
  if (pp_report_jv_load(path, &v, &e2)) {
    char buf[1200];
    pp_flow_log(l, "stage %s: cannot read %s (%s): running it again", name, path, pp_err_format(&e2, buf, sizeof buf));
    return 0;
  }
  int ok = !strcmp(pp_report_jv_str(&v, "format", ""), PP_FLOW_STAGE_FORMAT) &&
           !strcmp(pp_report_jv_str(&v, "stage", ""), name);
  if (ok && strcmp(pp_report_jv_str(&v, "key", ""), want)) {
    pp_flow_log(l, "stage %s: options or an earlier stage changed since %s: running it again", name, path);
    ok = 0;
  }
  const pp_report_jv *files = pp_report_jv_get(&v, "files");
  for (size_t i = 0; ok && files && files->type == PP_JV_ARR && i < files->n; i++) {
    if (files->items[i].type != PP_JV_STR) continue;
    char fp[8400];
    pp_flow_path(l, files->items[i].str, fp, sizeof fp);
    if (stat(fp, &sb) != 0) {
      pp_flow_log(l, "stage %s: %s is missing: running it again", name, fp);
      ok = 0;
    }
  }
  const pp_report_jv *res = pp_report_jv_get(&v, "result");
  if (ok && (!res || res->type != PP_JV_OBJ)) ok = 0;
  if (!ok) {
    pp_report_jv_free(&v);
    return 0;
  }
  /* hand the result object over, free the rest */
  size_t k = (size_t)(res - v.items);
  *result = *res;
  memset(&v.items[k], 0, sizeof v.items[k]);
  pp_report_jv_free(&v);
  l->nskipped++;
  pp_flow_log(l, "stage %s: done already (%s), skipped", name, path);
  (void)e;
  return 1;
}

int pp_flow_stage_commit(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, const char *result_json,
                         const char *const *files, double seconds, pp_err *e) {
  /* the key was chained by pp_flow_stage_check: l->chain is this stage's key */
  char path[4400];
  stage_file(l, name, path, sizeof path);
  pp_report_jv chk;
  int rc = pp_report_jv_parse(result_json, name, &chk, e);
  if (rc) return rc;
  int obj = chk.type == PP_JV_OBJ;
  pp_report_jv_free(&chk);
  if (!obj) return pp_err_set(e, PP_EINTERNAL, "", 0, "stage %s: result is not a JSON object", name);
  pp_outfile o;
  if ((rc = pp_outfile_open(&o, path, e))) return rc;
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_json_obj_begin(&j);
  pp_json_key(&j, "format");
  pp_json_str(&j, PP_FLOW_STAGE_FORMAT);
  pp_json_key(&j, "stage");
  pp_json_str(&j, name);
  char key[32];
  snprintf(key, sizeof key, "%016" PRIx64, l->chain);
  pp_json_key(&j, "key");
  pp_json_str(&j, key);
  pp_json_key(&j, "seconds");
  pp_json_num(&j, seconds);
  pp_json_key(&j, "options");
  pp_json_obj_begin(&j);
  for (const char *p = opts->buf; *p;) {
    const char *nl = strchr(p, '\n');
    const char *eq = memchr(p, '=', (size_t)(nl - p));
    char k[256], v[2048];
    snprintf(k, sizeof k, "%.*s", (int)(eq - p), p);
    snprintf(v, sizeof v, "%.*s", (int)(nl - eq - 1), eq + 1);
    pp_json_key(&j, k);
    pp_json_str(&j, v);
    p = nl + 1;
  }
  pp_json_obj_end(&j);
  pp_json_key(&j, "files");
  pp_json_arr_begin(&j);
  for (int i = 0; files && files[i]; i++) pp_json_str(&j, files[i]);
  pp_json_arr_end(&j);
  pp_json_key(&j, "result");
  /* the result is already JSON: write it as is after the key */
  fputs(result_json, o.f);
  fputs("\n}\n", o.f);
  return pp_outfile_commit(&o, e);
}

/* flow/ledger: stage files that make the flow resumable. Each finished stage
 * leaves DIR/stages/<name>.json (written atomically) with its options, a key
 * chained over every earlier stage, its result and the files it made; a rerun
 * with the same key skips the stage and reads its result back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* "<name>.tmp.<digits>" (pp_outfile) or "<name>.tmp.<digits>.<ext>". */
static int is_temporary(const char *name) {
  const char *t = strstr(name, ".tmp.");
  while (t) {
    const char *d = t + 5;
    size_t k = strspn(d, "0123456789");
    if (k > 0 && (d[k] == 0 || d[k] == '.')) return 1;
    t = strstr(t + 1, ".tmp.");
  }
  return 0;
}

/* Removes the temporary files of pp_outfile and the staging folders of
 * util/run (".pp-stage.*", one level of links and tool output) in dir;
 * returns how many it removed. */
static int clean_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent *de;
  char p[8400];
  while ((de = readdir(d))) {
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat sb;
    if (lstat(p, &sb) != 0) continue;
    if (S_ISREG(sb.st_mode) && is_temporary(de->d_name)) {
      n += unlink(p) == 0;
    } else if (S_ISDIR(sb.st_mode) && !strncmp(de->d_name, ".pp-stage.", 10)) {
      DIR *s = opendir(p);
      struct dirent *se;
      char q[8700];
      while (s && (se = readdir(s)))
        if (strcmp(se->d_name, ".") && strcmp(se->d_name, "..")) {
          snprintf(q, sizeof q, "%s/%s", p, se->d_name);
          unlink(q);
        }
      if (s) closedir(s);
      n += rmdir(p) == 0;
    }
  }
  closedir(d);
  return n;
}

/* The pid written in a lock file, 0 when none. */
static long lock_pid(int fd) {
  char buf[32] = "";
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = 0;
  return strtol(buf, NULL, 10);
}

static int take_lock(pp_flow_ledger *l, pp_err *e) {
  char p[4200];
  snprintf(p, sizeof p, "%s/" PP_FLOW_LOCK_NAME, l->dir);
  /* close-on-exec: a tool we start must not keep the folder locked after us */
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return pp_err_set(e, PP_EIO, p, 0, "cannot create the lock file: %s", strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      long pid = lock_pid(fd);
      close(fd);
      char who[64] = "another process";
      if (pid > 0) snprintf(who, sizeof who, "process %ld", pid);
      return pp_err_set(e, PP_EIO, p, 0,
                        "output folder %s is in use by another powerprune run (%s holds this lock); wait for it to "
                        "finish or choose another output folder",
                        l->dir, who);
    }
    if (err != ENOLCK && err != EOPNOTSUPP) {
      close(fd);
      return pp_err_set(e, PP_EIO, p, 0, "cannot lock the output folder: %s", strerror(err));
    }
    /* a file system without flock (some network mounts): go on unguarded, but say so */
    pp_flow_log(l, "warning: cannot lock %s (%s): make sure no other run writes to %s", p, strerror(err), l->dir);
  } else {
    long old = lock_pid(fd);
    if (old > 0 && old != (long)getpid())
      pp_flow_log(l, "%s: the run of process %ld %s; taking the folder over", p, old,
                  kill((pid_t)old, 0) == 0 || errno == EPERM ? "released its lock" : "is gone (stale lock)");
  }
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
    int err = errno;
    close(fd);
    return pp_err_set(e, PP_EIO, p, 0, "cannot write the lock file: %s", strerror(err));
  }
  l->lock_fd = fd;
  return PP_OK;
}

int pp_flow_ledger_open(pp_flow_ledger *l, const char *dir, pp_err *e) {
  pp_flow_log_fn log = l->log;
  void *lu = l->log_user;
  int force = l->force;
  memset(l, 0, sizeof *l);
  l->log = log;
  l->log_user = lu;
  l->force = force;
  l->lock_fd = -1;
  if (!dir || !*dir) return pp_err_set(e, PP_EINVAL, "", 0, "no output folder given");
  if (snprintf(l->dir, sizeof l->dir, "%s", dir) >= (int)sizeof l->dir - 64)
    return pp_err_set(e, PP_EINVAL, dir, 0, "output folder path too long");
  l->chain = PP_FLOW_HASH_INIT;
  char p[4200];
  snprintf(p, sizeof p, "%s/stages", dir);
  int rc = pp_mkdirs(p, e);
  if (rc) return rc;
  if ((rc = take_lock(l, e))) return rc;
  /* we are the only writer now: any temporary file is a killed run's */
  int n = clean_temporaries(l->dir) + clean_temporaries(p);
  if (n) pp_flow_log(l, "removed %d temporary file%s left by an interrupted run in %s", n, n > 1 ? "s" : "", l->dir);
  return PP_OK;
}

void pp_flow_ledger_close(pp_flow_ledger *l) {
  if (l->lock_fd >= 0) close(l->lock_fd); /* drops the flock */
  l->lock_fd = -1;
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

static void note_time(pp_flow_ledger *l, const char *name, double seconds, int ran) {
  if (l->n_times < PP_REPORT_MAX_STAGES) {
    pp_report_stage_time *t = &l->times[l->n_times];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->seconds = seconds;
    t->ran = ran;
  }
  l->n_times++;
}

int pp_flow_stage_check(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, pp_jv *result,
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
  pp_jv v;
  pp_err e2;
  pp_err_clear(&e2);
  if (pp_jv_load(path, &v, &e2)) {
    char buf[1200];
    pp_flow_log(l, "stage %s: cannot read %s (%s): running it again", name, path, pp_err_format(&e2, buf, sizeof buf));
    return 0;
  }
  int ok = !strcmp(pp_jv_str(&v, "format", ""), PP_FLOW_STAGE_FORMAT) &&
           !strcmp(pp_jv_str(&v, "stage", ""), name);
  if (!ok)
    pp_flow_log(l, "stage %s: %s is not a %s file of this stage: running it again", name, path, PP_FLOW_STAGE_FORMAT);
  if (ok && strcmp(pp_jv_str(&v, "key", ""), want)) {
    pp_flow_log(l, "stage %s: options or an earlier stage changed since %s: running it again", name, path);
    ok = 0;
  }
  /* every file the stage made must still hold what it held then */
  const pp_jv *files = pp_jv_get(&v, "files");
  if (ok && (!files || files->type != PP_JV_ARR)) ok = 0;
  for (size_t i = 0; ok && i < files->n; i++) {
    const pp_jv *f = &files->items[i];
    const char *rel = pp_jv_str(f, "name", "");
    uint64_t want_bytes = 0; /* exact: a size is an integer, not a double */
    const char *want_crc = pp_jv_str(f, "crc32", "");
    if (f->type != PP_JV_OBJ || !*rel || pp_jv_uint64(f, "bytes", &want_bytes) || strlen(want_crc) != 8) {
      pp_flow_log(l, "stage %s: %s lists a file without its size and CRC: running it again", name, path);
      ok = 0;
      break;
    }
    char fp[8400], got[16];
    pp_flow_path(l, rel, fp, sizeof fp);
    uint32_t crc;
    uint64_t bytes;
    pp_err_clear(&e2);
    if (pp_file_crc32(fp, &crc, &bytes, &e2)) {
      pp_flow_log(l, "stage %s: %s is missing or unreadable (%s): running it again", name, fp, e2.msg);
      ok = 0;
      break;
    }
    snprintf(got, sizeof got, "%08" PRIx32, crc);
    if (bytes != want_bytes || strcmp(got, want_crc)) {
      pp_flow_log(l,
                  "stage %s: %s changed since the stage made it (%" PRIu64 " bytes, CRC %s; recorded %" PRIu64 " bytes, CRC %s): "
                  "running it again",
                  name, fp, bytes, got, want_bytes, want_crc);
      ok = 0;
    }
  }
  const pp_jv *res = pp_jv_get(&v, "result");
  if (ok && (!res || res->type != PP_JV_OBJ)) ok = 0;
  if (!ok) {
    pp_jv_free(&v);
    return 0;
  }
  note_time(l, name, pp_jv_num(&v, "seconds", 0), 0);
  /* hand the result object over, free the rest */
  size_t k = (size_t)(res - v.items);
  *result = *res;
  memset(&v.items[k], 0, sizeof v.items[k]);
  pp_jv_free(&v);
  l->nskipped++;
  pp_flow_log(l, "stage %s: done already (%s), skipped", name, path);
  (void)e;
  return 1;
}

void pp_flow_side_begin(const pp_flow_ledger *l, pp_flow_mark *m) {
  m->chain = l->chain;
  m->nstages = l->nstages;
}

void pp_flow_side_end(pp_flow_ledger *l, const pp_flow_mark *m) {
  l->chain = m->chain;
  l->nstages = m->nstages;
}

int pp_flow_stage_commit(pp_flow_ledger *l, const char *name, const pp_flow_opts_str *opts, const char *result_json,
                         const char *const *files, double seconds, pp_err *e) {
  /* the key was chained by pp_flow_stage_check: l->chain is this stage's key */
  char path[4400];
  stage_file(l, name, path, sizeof path);
  pp_jv chk;
  int rc = pp_jv_parse(result_json, name, &chk, e);
  if (rc) return rc;
  int obj = chk.type == PP_JV_OBJ;
  pp_jv_free(&chk);
  if (!obj) return pp_err_set(e, PP_EINTERNAL, "", 0, "stage %s: result is not a JSON object", name);
  /* size and CRC of what the stage made, so that a rerun trusts content, not existence */
  int nf = 0;
  while (files && files[nf]) nf++;
  uint32_t *crcs = calloc((size_t)nf + 1, sizeof *crcs);
  uint64_t *sizes = calloc((size_t)nf + 1, sizeof *sizes);
  if (!crcs || !sizes) {
    free(crcs), free(sizes);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  for (int i = 0; i < nf; i++) {
    char fp[8400];
    if ((rc = pp_file_crc32(pp_flow_path(l, files[i], fp, sizeof fp), &crcs[i], &sizes[i], e))) {
      free(crcs), free(sizes);
      return rc;
    }
  }
  pp_outfile o;
  if ((rc = pp_outfile_open(&o, path, e))) {
    free(crcs), free(sizes);
    return rc;
  }
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_json_obj_begin(&j);
  pp_json_key_str(&j, "format", PP_FLOW_STAGE_FORMAT);
  pp_json_key_str(&j, "stage", name);
  char key[32];
  snprintf(key, sizeof key, "%016" PRIx64, l->chain);
  pp_json_key_str(&j, "key", key);
  pp_json_key_num(&j, "seconds", seconds);
  pp_json_key_obj_begin(&j, "options");
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
  pp_json_key_arr_begin(&j, "files");
  for (int i = 0; i < nf; i++) {
    char crc[16];
    snprintf(crc, sizeof crc, "%08" PRIx32, crcs[i]);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "name", files[i]);
    pp_json_key_uint(&j, "bytes", sizes[i]);
    pp_json_key_str(&j, "crc32", crc);
    pp_json_obj_end(&j);
  }
  pp_json_arr_end(&j);
  free(crcs), free(sizes);
  pp_json_key(&j, "result");
  /* the result is already JSON: write it as is after the key */
  fputs(result_json, o.f);
  fputs("\n}\n", o.f);
  rc = pp_outfile_commit(&o, e);
  if (!rc) note_time(l, name, seconds, 1);
  return rc;
}

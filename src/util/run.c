/* util/run: runs external programs (Yosys, Icarus, gnuplot, OpenSTA) from an
 * argument vector with fork/execvp, never through a shell, so that no file
 * name is ever parsed as shell syntax; quotes words for the Tcl scripts we
 * hand such programs; and a private staging folder that gives user files
 * fixed, safe names for tools whose scripts cannot quote. */
#include "pp/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHDIR_FAILED 0x10000

/* In the child: only async-signal-safe calls until exec. The exec errno goes
 * back through a close-on-exec pipe so that the parent can tell "not
 * installed" from "ran and failed". */
static void child(char *const argv[], const pp_run_opts *o, int out_fd, int err_fd, int err_pipe) {
  int in = open("/dev/null", O_RDONLY);
  if (in >= 0) dup2(in, 0);
  int quiet = o && o->quiet;
  int nul = quiet || (o && o->stderr_mode == PP_RUN_STDERR_NULL) ? open("/dev/null", O_WRONLY) : -1;
  if (out_fd >= 0) {
    dup2(out_fd, 1);
    if (o && o->stderr_mode == PP_RUN_STDERR_MERGE) dup2(out_fd, 2);
  } else if (quiet && nul >= 0) {
    dup2(nul, 1);
  }
  if (nul >= 0 && (quiet || o->stderr_mode == PP_RUN_STDERR_NULL)) dup2(nul, 2);
  if (err_fd >= 0) dup2(err_fd, 2);
  if (o && o->cwd && chdir(o->cwd) != 0) {
    int err = errno | CHDIR_FAILED;
    if (write(err_pipe, &err, sizeof err) < 0) _exit(126);
    _exit(126);
  }
  execvp(argv[0], argv);
  int err = errno;
  if (write(err_pipe, &err, sizeof err) < 0) _exit(127);
  _exit(127);
}

static int start(char *const argv[], const pp_run_opts *o, int capture, pp_proc *p, pp_err *e) {
  p->pid = -1;
  p->out = NULL;
  if (!argv || !argv[0] || !argv[0][0]) return pp_err_set(e, PP_EINVAL, "", 0, "run: no program given");
  snprintf(p->name, sizeof p->name, "%s", argv[0]);
  int ep[2], cp[2] = {-1, -1}, log_fd = -1, err_fd = -1;
  if (pipe(ep) != 0) return pp_err_set(e, PP_EIO, "", 0, "cannot start %s: pipe: %s", argv[0], strerror(errno));
  fcntl(ep[1], F_SETFD, FD_CLOEXEC);
  if (capture && pipe(cp) != 0) {
    int err = errno;
    close(ep[0]), close(ep[1]);
    return pp_err_set(e, PP_EIO, "", 0, "cannot start %s: pipe: %s", argv[0], strerror(err));
  }
  if (!capture && o && o->log_path) {
    log_fd = open(o->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      int err = errno;
      close(ep[0]), close(ep[1]);
      return pp_err_set(e, PP_EIO, o->log_path, 0, "cannot create log of %s: %s", argv[0], strerror(err));
    }
  }
  if (o && o->err_path) {
    err_fd = open(o->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err_fd < 0) {
      int err = errno;
      close(ep[0]), close(ep[1]);
      if (capture) close(cp[0]), close(cp[1]);
      if (log_fd >= 0) close(log_fd);
      return pp_err_set(e, PP_EIO, o->err_path, 0, "cannot create the error log of %s: %s", argv[0], strerror(err));
    }
  }
  fflush(NULL); /* the child must not write our buffered output twice */
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(ep[0]), close(ep[1]);
    if (capture) close(cp[0]), close(cp[1]);
    if (log_fd >= 0) close(log_fd);
    if (err_fd >= 0) close(err_fd);
    return pp_err_set(e, PP_EIO, "", 0, "cannot start %s: fork: %s", argv[0], strerror(err));
  }
  if (pid == 0) {
    close(ep[0]);
    if (capture) close(cp[0]);
    child(argv, o, capture ? cp[1] : log_fd, err_fd, ep[1]);
  }
  close(ep[1]);
  if (log_fd >= 0) close(log_fd);
  if (err_fd >= 0) close(err_fd);
  int cerr = 0;
  ssize_t k;
  while ((k = read(ep[0], &cerr, sizeof cerr)) < 0 && errno == EINTR) {
  }
  close(ep[0]);
  if (k == (ssize_t)sizeof cerr) { /* exec (or chdir) failed: reap the child */
    if (capture) close(cp[0]), close(cp[1]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (cerr & CHDIR_FAILED)
      return pp_err_set(e, PP_EIO, o && o->cwd ? o->cwd : "", 0, "cannot run '%s' in this folder: %s", argv[0],
                        strerror(cerr & ~CHDIR_FAILED));
    if (cerr == ENOENT)
      return pp_err_set(e, PP_EIO, "", 0, "cannot run '%s': not installed (not found on PATH)", argv[0]);
    return pp_err_set(e, PP_EIO, "", 0, "cannot run '%s': %s", argv[0], strerror(cerr));
  }
  p->pid = (int)pid;
  if (capture) {
    close(cp[1]);
    p->out = fdopen(cp[0], "r");
    if (!p->out) {
      int err = errno;
      close(cp[0]);
      int st;
      kill(pid, SIGKILL);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      p->pid = -1;
      return pp_err_set(e, PP_EIO, "", 0, "cannot read the output of %s: %s", argv[0], strerror(err));
    }
  }
  return PP_OK;
}

int pp_proc_start(char *const argv[], const pp_run_opts *o, pp_proc *p, pp_err *e) {
  return start(argv, o, 1, p, e);
}

int pp_proc_finish(pp_proc *p, int *code, pp_err *e) {
  if (p->out) fclose(p->out);
  p->out = NULL;
  if (p->pid < 0) return pp_err_set(e, PP_EINTERNAL, "", 0, "run: %s was not started", p->name);
  int st = 0;
  pid_t r;
  while ((r = waitpid((pid_t)p->pid, &st, 0)) < 0 && errno == EINTR) {
  }
  p->pid = -1;
  if (r < 0) return pp_err_set(e, PP_EIO, "", 0, "waiting for %s failed: %s", p->name, strerror(errno));
  int c = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  if (code) {
    *code = c;
    return PP_OK;
  }
  if (c == 0) return PP_OK;
  if (WIFSIGNALED(st)) return pp_err_set(e, PP_EIO, "", 0, "%s was killed by signal %d", p->name, WTERMSIG(st));
  return pp_err_set(e, PP_EIO, "", 0, "%s failed (exit status %d)", p->name, c);
}

int pp_run(char *const argv[], const pp_run_opts *o, int *code, pp_err *e) {
  pp_proc p;
  int st = start(argv, o, 0, &p, e);
  if (st) return st;
  return pp_proc_finish(&p, code, e);
}

/* ---- finding programs and quoting for their scripts ----------------------- */

int pp_program_available(const char *name) {
  if (!name || !*name) return 0;
  if (strchr(name, '/')) return access(name, X_OK) == 0;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t dl = colon ? (size_t)(colon - path) : strlen(path);
    char buf[4096];
    int k = dl ? snprintf(buf, sizeof buf, "%.*s/%s", (int)dl, path, name) : snprintf(buf, sizeof buf, "./%s", name);
    struct stat st;
    if (k > 0 && (size_t)k < sizeof buf && stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
      return 1;
    if (!colon) break;
    path = colon + 1;
  }
  return 0;
}

/* Tcl: one word with every character that Tcl gives a meaning escaped by a
 * backslash (no braces, so unbalanced braces in a name cannot break out). */
char *pp_tcl_quote(const char *s) {
  size_t n = 1;
  for (const char *p = s; *p; p++) n += 4;
  char *out = malloc(n + 2);
  if (!out) return NULL;
  char *q = out;
  if (!*s) {
    *q++ = '{', *q++ = '}';
  }
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '\n') *q++ = '\\', *q++ = 'n';
    else if (c == '\r') *q++ = '\\', *q++ = 'r';
    else if (c == '\t') *q++ = '\\', *q++ = 't';
    else if (strchr("\\$[]{}\"; #", c)) *q++ = '\\', *q++ = (char)c;
    else *q++ = (char)c;
  }
  *q = 0;
  return out;
}

/* ---- staging folder --------------------------------------------------------- */

int pp_stage_open(pp_stage *s, const char *near, pp_err *e) {
  s->n = 0;
  s->dir[0] = 0;
  /* Beside `near` so that a result can be renamed onto its final name (same
   * file system); the name is only ever given to system calls. */
  char parent[4096];
  if (snprintf(parent, sizeof parent, "%s", near && *near ? near : ".") >= (int)sizeof parent)
    return pp_err_set(e, PP_EINVAL, near, 0, "path too long");
  char *slash = strrchr(parent, '/');
  if (!slash) snprintf(parent, sizeof parent, ".");
  else if (slash == parent) parent[1] = 0;
  else *slash = 0;
  if (snprintf(s->dir, sizeof s->dir, "%s/.pp-stage.XXXXXX", parent) >= (int)sizeof s->dir)
    return pp_err_set(e, PP_EINVAL, near, 0, "path too long");
  if (!mkdtemp(s->dir)) {
    int err = errno;
    s->dir[0] = 0;
    return pp_err_set(e, PP_EIO, parent, 0, "cannot create a temporary folder: %s", strerror(err));
  }
  return PP_OK;
}

static int remember(pp_stage *s, const char *name, pp_err *e) {
  if (s->n >= (int)(sizeof s->names / sizeof s->names[0]))
    return pp_err_set(e, PP_EINTERNAL, "", 0, "stage: too many files");
  snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
  return PP_OK;
}

/* Names given to the stage are ours (fixed, [A-Za-z0-9_.-]); refuse anything
 * else so that they are safe in any tool's script. */
static int safe_name(const char *name) {
  if (!name || !*name || strlen(name) >= 64 || name[0] == '.' || name[0] == '-') return 0;
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
          *c == '.' || *c == '-'))
      return 0;
  return 1;
}

int pp_stage_link(pp_stage *s, const char *name, const char *target, pp_err *e) {
  if (!safe_name(name)) return pp_err_set(e, PP_EINTERNAL, "", 0, "stage: unsafe name '%s'", name);
  char *abs = realpath(target, NULL);
  if (!abs) return pp_err_set(e, PP_EIO, target, 0, "cannot open: %s", strerror(errno));
  struct stat sb;
  if (stat(abs, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    free(abs);
    return pp_err_set(e, PP_EIO, target, 0, "not a regular file");
  }
  char link[4200];
  snprintf(link, sizeof link, "%s/%s", s->dir, name);
  int rc = symlink(abs, link);
  int err = errno;
  free(abs);
  if (rc != 0) return pp_err_set(e, PP_EIO, link, 0, "cannot create link: %s", strerror(err));
  return remember(s, name, e);
}

int pp_stage_path(pp_stage *s, const char *name, char *buf, size_t n, pp_err *e) {
  if (!safe_name(name)) return pp_err_set(e, PP_EINTERNAL, "", 0, "stage: unsafe name '%s'", name);
  if (snprintf(buf, n, "%s/%s", s->dir, name) >= (int)n) return pp_err_set(e, PP_EINVAL, s->dir, 0, "path too long");
  return remember(s, name, e);
}

void pp_stage_close(pp_stage *s) {
  if (!s->dir[0]) return;
  char p[sizeof s->dir + sizeof s->names[0] + 1]; /* dir, '/', name: always fits */
  for (int i = 0; i < s->n; i++) {
    if (snprintf(p, sizeof p, "%s/%s", s->dir, s->names[i]) >= (int)sizeof p) continue;
    unlink(p);
  }
  rmdir(s->dir);
  s->dir[0] = 0;
  s->n = 0;
}

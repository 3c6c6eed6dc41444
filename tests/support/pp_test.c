/* tests/support: the shared test helpers declared in pp_test.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include "pp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int pp_test_tmpdir(char *buf, size_t n, const char *prefix) {
  int k = snprintf(buf, n, "/tmp/%s_XXXXXX", prefix);
  if (k < 0 || (size_t)k >= n) return -1;
  return mkdtemp(buf) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb, (void)ftw;
  int rc = type == FTW_DP ? rmdir(path) : unlink(path);
  return rc && errno != ENOENT ? -1 : 0;
}

int pp_test_rmtree(const char *path) {
  struct stat sb;
  if (lstat(path, &sb) && errno == ENOENT) return 0;
  /* PP_TEST_KEEP=1 leaves a failed test's files (logs, outputs) to read afterwards */
  const char *keep = getenv("PP_TEST_KEEP");
  if (keep && *keep && strcmp(keep, "0")) {
    fprintf(stderr, "PP_TEST_KEEP: left %s\n", path);
    return 0;
  }
  /* depth first, so that each directory is empty when it is removed */
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}

const char *pp_test_path(const char *dir, const char *name) {
  static char ring[16][4096];
  static int next;
  char *p = ring[next];
  next = (next + 1) % 16;
  snprintf(p, sizeof ring[0], "%s/%s", dir, name);
  return p;
}

static int redirect(const char *file, int fd) {
  int f = open(file ? file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return -1;
  int rc = dup2(f, fd) < 0 ? -1 : 0;
  close(f);
  return rc;
}

int pp_test_exec(char *const argv[], const char *out_file, const char *err_file) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (redirect(out_file, 1) || redirect(err_file, 2)) _exit(126);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

char *pp_test_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0, k;
  char *s = malloc(cap);
  while (s && (k = fread(s + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n - 1 == 0) {
      char *t = realloc(s, cap * 2);
      if (!t) free(s);
      s = t;
      cap *= 2;
    }
  }
  fclose(f);
  if (s) s[n] = 0;
  return s;
}

int pp_test_cliv(const char *dir, char **out, const char *const *args) {
  const char *exe = getenv("PP_EXE");
  if (out) *out = NULL;
  if (!exe) {
    fprintf(stderr, "pp_test_cli: PP_EXE is not set\n");
    return -1;
  }
  size_t n = 0;
  while (args[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  if (!argv) return -1;
  argv[0] = (char *)exe;
  for (size_t i = 0; i < n; i++) argv[i + 1] = (char *)args[i];
  char of[4096], ef[4096];
  snprintf(of, sizeof of, "%s/stdout.txt", dir);
  snprintf(ef, sizeof ef, "%s/stderr.txt", dir);
  int rc = pp_test_exec(argv, of, ef);
  free(argv);
  if (out) *out = pp_test_slurp(of);
  return rc;
}

int pp_test_cli(const char *dir, char **out, const char *arg, ...) {
  const char *args[256];
  size_t n = 0;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a; a = va_arg(ap, const char *)) {
    if (n == 255) {
      va_end(ap);
      fprintf(stderr, "pp_test_cli: more than 255 arguments\n");
      return -1;
    }
    args[n++] = a;
  }
  va_end(ap);
  args[n] = NULL;
  return pp_test_cliv(dir, out, args);
}

/* Every number inside double quotes on line ln, times k, into f. */
static void scale_quoted(FILE *f, const char *ln, double k) {
  int in_q = 0;
  for (const char *q = ln; *q;) {
    if (*q == '"') in_q = !in_q;
    if (in_q && (isdigit((unsigned char)*q) || *q == '-' || *q == '.')) {
      char *end;
      double v = strtod(q, &end);
      if (end != q) {
        fprintf(f, "%.9g", v * k);
        q = end;
        continue;
      }
    }
    fputc(*q++, f);
  }
}

int pp_test_scaled_lib(const char *dst, double volt, double dscale, double escale, double lscale) {
  char *text = pp_test_slurp(PP_SOURCE_DIR "/data/pp_cells.lib");
  FILE *f = text ? fopen(dst, "w") : NULL;
  if (!f) {
    free(text);
    return -1;
  }
  double k = 1; /* scale of the table being copied, 1 outside one */
  for (char *ln = text, *next; ln && *ln; ln = next) {
    next = strchr(ln, '\n');
    if (next) *next++ = 0;
    const char *t = ln + strspn(ln, " \t");
    if (!strncmp(t, "cell_rise", 9) || !strncmp(t, "cell_fall", 9) || !strncmp(t, "rise_transition", 15) ||
        !strncmp(t, "fall_transition", 15))
      k = dscale;
    else if (!strncmp(t, "rise_power", 10) || !strncmp(t, "fall_power", 10))
      k = escale;
    if (!strncmp(t, "nom_voltage", 11)) fprintf(f, "  nom_voltage : %.9g;", volt);
    else if (!strncmp(t, "operating_conditions", 20))
      fprintf(f, "  operating_conditions (typical) { process : 1; voltage : %.9g; temperature : 25; }", volt);
    else if (!strncmp(t, "cell_leakage_power", 18))
      fprintf(f, "    cell_leakage_power : %.9g;", strtod(strchr(t, ':') + 1, NULL) * lscale);
    else if (!strncmp(t, "pp_default_input_slew", 21))
      fprintf(f, "  pp_default_input_slew : %.9g;", strtod(strchr(t, ':') + 1, NULL) * dscale);
    else if (!strncmp(t, "index_1", 7)) scale_quoted(f, ln, dscale);
    else scale_quoted(f, ln, k);
    fputc('\n', f);
    if (strchr(t, '}')) k = 1;
  }
  free(text);
  return fclose(f) ? -1 : 0;
}

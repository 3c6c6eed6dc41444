/* util/tcl_run (from the oracle branch; to fold into util/run): running an external program without a shell (fork/execvp with
 * an argument vector, output to files) and quoting words for the script
 * files we hand to such programs (Tcl), so that no user-given name is ever
 * parsed as shell or Tcl syntax. */
#include "pp/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

static int redirect(const char *path, int fd) {
  int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return -1;
  if (dup2(f, fd) < 0) {
    close(f);
    return -1;
  }
  close(f);
  return 0;
}

int pp_run_program(const char *const argv[], const char *stdout_path, const char *stderr_path, int *exit_status,
                   pp_err *e) {
  if (exit_status) *exit_status = -1;
  if (!argv || !argv[0]) return pp_err_set(e, PP_EINVAL, "", 0, "run: no program given");
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return pp_err_set(e, PP_EIO, "", 0, "cannot start %s: %s", argv[0], strerror(errno));
  if (pid == 0) {
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0), close(nul);
    if (redirect(stdout_path, 1) || redirect(stderr_path, 2)) _exit(126);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return pp_err_set(e, PP_EIO, "", 0, "waiting for %s: %s", argv[0], strerror(errno));
  if (WIFEXITED(st)) {
    int code = WEXITSTATUS(st);
    if (exit_status) *exit_status = code;
    if (code == 127) return pp_err_set(e, PP_EIO, "", 0, "cannot run '%s' (is it installed and on PATH?)", argv[0]);
    return PP_OK;
  }
  return pp_err_set(e, PP_EIO, "", 0, "%s was killed by signal %d", argv[0], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
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

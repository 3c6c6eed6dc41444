/* util/datadir: where the project's own data files (the built-in cell
 * library, the MAC RTL) are found, so that an installed binary and a build
 * tree both work without the source tree's path mattering. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/util.h"

#ifndef PP_SOURCE_DIR
#define PP_SOURCE_DIR "."
#endif

static int readable(const char *p) { return access(p, R_OK) == 0; }

/* The folder of the running executable, or "" when it cannot be told. */
static void exe_dir(char *buf, size_t n) {
  buf[0] = 0;
  char p[PATH_MAX];
  ssize_t k = readlink("/proc/self/exe", p, sizeof p - 1);
  if (k <= 0) return;
  p[k] = 0;
  char *slash = strrchr(p, '/');
  if (!slash) return;
  *slash = 0;
  snprintf(buf, n, "%s", p);
}

int pp_data_path(const char *name, char *buf, size_t n) {
  const char *env = getenv("PP_DATA_DIR");
  if (env && *env) {
    snprintf(buf, n, "%s/%s", env, name);
    return readable(buf) ? PP_OK : PP_EIO;
  }
  char dir[PATH_MAX];
  exe_dir(dir, sizeof dir);
  if (dir[0]) {
    /* installed: PREFIX/bin/powerprune and PREFIX/share/powerprune/NAME */
    snprintf(buf, n, "%s/../share/powerprune/%s", dir, name);
    if (readable(buf)) return PP_OK;
    /* a build folder inside the source tree: SRC/build/powerprune */
    snprintf(buf, n, "%s/../data/%s", dir, name);
    if (readable(buf)) return PP_OK;
  }
  /* the source tree the binary was built from */
  snprintf(buf, n, "%s/data/%s", PP_SOURCE_DIR, name);
  return readable(buf) ? PP_OK : PP_EIO;
}

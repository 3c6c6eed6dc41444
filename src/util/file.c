/* util/file: atomic output (temp name, then rename) so that no partial result
 * ever looks complete, plus small filesystem helpers. */
#include "pp/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pp_outfile_open(pp_outfile *o, const char *path, pp_err *e) {
  o->f = NULL;
  if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path)
    return pp_err_set(e, PP_EINVAL, path, 0, "path too long");
  snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
  o->f = fopen(o->tmp, "wb");
  if (!o->f) return pp_err_set(e, PP_EIO, path, 0, "cannot create: %s", strerror(errno));
  return PP_OK;
}

int pp_outfile_commit(pp_outfile *o, pp_err *e) {
  if (!o->f) return pp_err_set(e, PP_EIO, o->path, 0, "not open");
  int bad = ferror(o->f);
  if (fclose(o->f) != 0) bad = 1;
  o->f = NULL;
  if (bad) {
    remove(o->tmp);
    return pp_err_set(e, PP_EIO, o->path, 0, "write failed");
  }
  if (rename(o->tmp, o->path) != 0) {
    int err = errno;
    remove(o->tmp);
    return pp_err_set(e, PP_EIO, o->path, 0, "cannot rename into place: %s", strerror(err));
  }
  return PP_OK;
}

void pp_outfile_abort(pp_outfile *o) {
  if (o->f) fclose(o->f);
  o->f = NULL;
  remove(o->tmp);
}

int pp_mkdirs(const char *path, pp_err *e) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return pp_err_set(e, PP_EINVAL, path, 0, "path too long");
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return pp_err_set(e, PP_EIO, buf, 0, "cannot create directory: %s", strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST)
    return pp_err_set(e, PP_EIO, buf, 0, "cannot create directory: %s", strerror(errno));
  return PP_OK;
}

int pp_read_file(const char *path, char **data, size_t *len, pp_err *e) {
  *data = NULL;
  if (len) *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return pp_err_set(e, PP_EIO, path, 0, "cannot open: %s", strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
  }
  for (;;) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        fclose(f);
        return pp_err_set(e, PP_ENOMEM, path, 0, "out of memory");
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return pp_err_set(e, PP_EIO, path, 0, "read error");
  }
  buf[n] = 0;
  *data = buf;
  if (len) *len = n;
  return PP_OK;
}

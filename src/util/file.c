/* util/file: atomic output (temp name, then rename) so that no partial result
 * ever looks complete, plus small filesystem helpers. */
#include "pp/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int pp_outfile_open(pp_outfile *o, const char *path, pp_err *e) {
  o->f = NULL;
  if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path)
    return pp_err_set(e, PP_EINVAL, path, 0, "path too long");
  snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
  o->f = fopen(o->tmp, "wb");
  if (!o->f) return pp_err_set(e, PP_EIO, path, 0, "cannot create: %s", strerror(errno));
  return PP_OK;
}

/* fsync of the folder holding path, so that a rename in it survives a crash. */
static int sync_parent(const char *path) {
  char d[4096];
  snprintf(d, sizeof d, "%s", path);
  char *slash = strrchr(d, '/');
  if (!slash) snprintf(d, sizeof d, ".");
  else if (slash == d) d[1] = 0;
  else *slash = 0;
  int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  /* some file systems cannot sync a folder; that is not a write error */
  if (rc != 0 && (errno == EINVAL || errno == EROFS || errno == EBADF)) rc = 0;
  close(fd);
  return rc;
}

int pp_outfile_commit(pp_outfile *o, pp_err *e) {
  if (!o->f) return pp_err_set(e, PP_EIO, o->path, 0, "not open");
  /* The data reach the disk before the new name does (fsync, then rename,
   * then fsync of the folder): after a crash the final name holds either
   * the old file or the whole new one. */
  int err = 0;
  if (ferror(o->f)) err = EIO;
  if (fflush(o->f) != 0 && !err) err = errno;
  if (!err && fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS) err = errno;
  if (fclose(o->f) != 0 && !err) err = errno;
  o->f = NULL;
  if (err) {
    remove(o->tmp);
    return pp_err_set(e, PP_EIO, o->path, 0, "write failed: %s", strerror(err));
  }
  if (rename(o->tmp, o->path) != 0) {
    err = errno;
    remove(o->tmp);
    return pp_err_set(e, PP_EIO, o->path, 0, "cannot rename into place: %s", strerror(err));
  }
  if (sync_parent(o->path) != 0)
    return pp_err_set(e, PP_EIO, o->path, 0, "cannot sync its folder: %s", strerror(errno));
  return PP_OK;
}

int pp_file_crc32(const char *path, uint32_t *crc, uint64_t *size, pp_err *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return pp_err_set(e, PP_EIO, path, 0, "cannot open: %s", strerror(errno));
  unsigned char buf[1 << 16];
  uLong c = crc32(0L, Z_NULL, 0);
  uint64_t n = 0;
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
    c = crc32(c, buf, (uInt)k);
    n += k;
  }
  int bad = ferror(f);
  int err = errno;
  fclose(f);
  if (bad) return pp_err_set(e, PP_EIO, path, 0, "read error: %s", strerror(err));
  *crc = (uint32_t)c;
  if (size) *size = n;
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
  int bad = ferror(f), err = errno;
  fclose(f);
  if (bad) {
    free(buf);
    return pp_err_set(e, PP_EIO, path, 0, "read error: %s", strerror(err));
  }
  buf[n] = 0;
  *data = buf;
  if (len) *len = n;
  return PP_OK;
}

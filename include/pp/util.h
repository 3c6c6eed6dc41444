/* util: the bottom of the module stack. Error context, status codes, a seeded
 * random generator, a small JSON writer, atomic file output and progress.
 * Every other module may use it; it uses none of them. */
#ifndef PP_UTIL_H
#define PP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- status and error context ------------------------------------------ */
/* Library functions return PP_OK (0) or a negative status and fill a pp_err
 * with where the problem is (file, line when known) and what was expected.
 * Only the CLI prints and exits. */
enum {
  PP_OK = 0,
  PP_EINVAL = -1, /* impossible option or argument */
  PP_EPARSE = -2, /* malformed input file */
  PP_EIO = -3,    /* cannot open/read/write */
  PP_ENOMEM = -4, /* allocation failed */
  PP_ECHECK = -5, /* a verification found a mismatch */
  PP_EINTERNAL = -6
};

typedef struct pp_err {
  int status;      /* the PP_E* code of the first error, PP_OK when none */
  char file[256];  /* input file the error is about, "" when none */
  int line;        /* 1-based line in that file, 0 when not applicable */
  int col;         /* 1-based column on that line, 0 when not known */
  char msg[768];   /* what was wrong / what was expected */
} pp_err;

void pp_err_clear(pp_err *e);
/* Sets e (when e is non-NULL and holds no earlier error) and returns status. */
int pp_err_set(pp_err *e, int status, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same with the column (for readers that know it, e.g. JSON). */
int pp_err_set_at(pp_err *e, int status, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
#ifdef __clang_analyzer__
/* For clang-tidy's path analysis only: it cannot see into err.c, and would
 * otherwise follow `return pp_err_set(e, PP_ENOMEM, ...)` as if it returned
 * PP_OK, reporting every error path as a success path. */
#define pp_err_set(e, status, ...) (pp_err_set((e), (status), __VA_ARGS__), (status))
#define pp_err_set_at(e, status, ...) (pp_err_set_at((e), (status), __VA_ARGS__), (status))
#endif
/* "file:line:col: msg" (parts omitted when empty) into buf. */
const char *pp_err_format(const pp_err *e, char *buf, size_t n);

/* Checked allocation helpers: NULL on failure (callers set PP_ENOMEM). */
void *pp_xcalloc(size_t n, size_t size);

/* ---- deterministic random numbers -------------------------------------- */
/* xoshiro256** seeded through splitmix64: same seed, same stream, any platform. */
typedef struct pp_rng { uint64_t s[4]; } pp_rng;
void pp_rng_seed(pp_rng *r, uint64_t seed);
uint64_t pp_rng_u64(pp_rng *r);
uint32_t pp_rng_below(pp_rng *r, uint32_t n); /* uniform in [0, n), unbiased */
double pp_rng_uniform(pp_rng *r);             /* [0, 1) with 53 bits */
double pp_rng_normal(pp_rng *r);              /* standard normal (Box-Muller) */
void pp_rng_shuffle_u32(pp_rng *r, uint32_t *a, size_t n);

/* ---- JSON writer --------------------------------------------------------- */
/* Streams JSON with correct commas and escaping; nesting up to 32 levels.
 * The reader is in pp/util_json.h. */
typedef struct pp_json {
  FILE *f;
  int depth;
  int pretty;
  unsigned char first[33]; /* per level: no element written yet */
  int after_key;
} pp_json;
void pp_json_init(pp_json *j, FILE *f, int pretty);
void pp_json_obj_begin(pp_json *j);
void pp_json_obj_end(pp_json *j);
void pp_json_arr_begin(pp_json *j);
void pp_json_arr_end(pp_json *j);
void pp_json_key(pp_json *j, const char *key);
void pp_json_str(pp_json *j, const char *s);
void pp_json_int(pp_json *j, long long v);
void pp_json_uint(pp_json *j, unsigned long long v); /* seeds: all 64 bits */
/* The shortest of %.15g..%.17g that parses back to v exactly (integral values as
 * "329.0"), NaN/Inf written as null: every number of every JSON document goes
 * through it. */
void pp_json_num(pp_json *j, double v);
/* The same text into buf (40 bytes hold any double); returns its length. */
int pp_json_num_format(char *buf, size_t n, double v);
void pp_json_bool(pp_json *j, int v);
void pp_json_null(pp_json *j);
void pp_json_end(pp_json *j); /* final newline */
/* A member of the object being written: the key and its value in one call. */
void pp_json_key_str(pp_json *j, const char *key, const char *s);
void pp_json_key_int(pp_json *j, const char *key, long long v);
void pp_json_key_uint(pp_json *j, const char *key, unsigned long long v);
void pp_json_key_num(pp_json *j, const char *key, double v);
void pp_json_key_bool(pp_json *j, const char *key, int v);
void pp_json_key_null(pp_json *j, const char *key);
void pp_json_key_obj_begin(pp_json *j, const char *key);
void pp_json_key_arr_begin(pp_json *j, const char *key);

/* ---- atomic output ------------------------------------------------------- */
/* Writes go to "<path>.tmp.<pid>"; commit flushes and fsyncs it, renames it
 * over path and fsyncs the folder; abort removes it. A crash never leaves a
 * partial file under the final name. Errors carry strerror (e.g. "No space
 * left on device"). */
typedef struct pp_outfile {
  FILE *f;
  char path[4096];
  char tmp[4200];
} pp_outfile;
int pp_outfile_open(pp_outfile *o, const char *path, pp_err *e);
int pp_outfile_commit(pp_outfile *o, pp_err *e);
void pp_outfile_abort(pp_outfile *o);
/* mkdir -p */
int pp_mkdirs(const char *path, pp_err *e);
/* CRC-32 (zlib's) and size of a file's content. */
int pp_file_crc32(const char *path, uint32_t *crc, uint64_t *size, pp_err *e);
/* Whole file into a NUL-terminated buffer (caller frees). */
int pp_read_file(const char *path, char **data, size_t *len, pp_err *e);

/* The path of the project data file NAME (e.g. "pp_cells.lib") in buf: from
 * $PP_DATA_DIR if set, else beside the running binary (PREFIX/share/powerprune
 * when installed, ../data in a build folder of the source tree), else the
 * source tree it was built from. PP_OK when the file is readable there,
 * PP_EIO otherwise (buf still holds the path last tried, for the message). */
int pp_data_path(const char *name, char *buf, size_t n);

/* ---- external programs ---------------------------------------------------- */
/* External tools run from an argument vector (fork/execvp), never through a
 * shell: file names are passed as arguments and are never parsed. stdin is
 * /dev/null. */
enum { PP_RUN_STDERR_KEEP = 0, PP_RUN_STDERR_MERGE = 1, PP_RUN_STDERR_NULL = 2 };
typedef struct pp_run_opts {
  const char *cwd;      /* run in this folder (NULL: ours) */
  const char *log_path; /* pp_run: the program's stdout goes to this file (NULL: ours) */
  const char *err_path; /* the program's stderr goes to this file (NULL: as stderr_mode says) */
  int stderr_mode;      /* PP_RUN_STDERR_*: keep ours, into stdout's destination, or discard */
  int quiet;            /* stdout and stderr to /dev/null (overrides log_path for stderr) */
} pp_run_opts;
/* Runs argv[0] (searched on PATH) with arguments argv (NULL-terminated); o may
 * be NULL. A program that cannot be started (not installed) is PP_EIO with
 * its name. With code non-NULL, *code gets the exit status (128+signal when
 * killed) and any status returns PP_OK; with code NULL a non-zero exit is PP_EIO. */
int pp_run(char *const argv[], const pp_run_opts *o, int *code, pp_err *e);
/* The same with the program's stdout readable from p->out until
 * pp_proc_finish, which closes it and waits (code as for pp_run). */
typedef struct pp_proc {
  int pid;
  FILE *out;
  char name[128];
} pp_proc;
int pp_proc_start(char *const argv[], const pp_run_opts *o, pp_proc *p, pp_err *e);
int pp_proc_finish(pp_proc *p, int *code, pp_err *e);

/* A private temporary folder beside a path (same file system, so results
 * can be renamed into place) in which user files appear under fixed safe
 * names ([A-Za-z0-9_.-]) through symbolic links: for tool scripts (Yosys)
 * that have no way to quote an arbitrary file name. */
typedef struct pp_stage {
  char dir[4160];
  char names[8][64];
  int n;
} pp_stage;
int pp_stage_open(pp_stage *s, const char *near, pp_err *e);
/* dir/name -> realpath(target); target must be a regular file. */
int pp_stage_link(pp_stage *s, const char *name, const char *target, pp_err *e);
/* dir/name into buf, for a file the tool will write (removed by close). */
int pp_stage_path(pp_stage *s, const char *name, char *buf, size_t n, pp_err *e);
/* Removes the links, files named by pp_stage_path, and the folder. */
void pp_stage_close(pp_stage *s);

/* ---- numbers from text -------------------------------------------------- */
/* The next whitespace-led decimal integer / finite double at *s: 0 and *s
 * moved past it, or -1 (no number there, out of range, or not finite) with
 * *s and *out untouched. */
int pp_scan_long(const char **s, long *out);
int pp_scan_double(const char **s, double *out);

/* ---- progress and time ---------------------------------------------------- */
double pp_now(void); /* monotonic seconds */
/* Progress with ETA on stderr, only when stderr is a terminal. */
typedef struct pp_progress {
  const char *what;
  double start, last;
  long long total;
  int enabled;
  int lines;      /* pp_progress_start_lines on a stderr that is no terminal */
  int next_quarter; /* lines: the next 25% step to report */
} pp_progress;
void pp_progress_start(pp_progress *p, const char *what, long long total);
/* The same on a terminal; elsewhere (a log, CI) plain lines at 25%, 50%, 75%
 * and the end, so that a command of many seconds is never silent. */
void pp_progress_start_lines(pp_progress *p, const char *what, long long total);
void pp_progress_update(pp_progress *p, long long done);
void pp_progress_end(pp_progress *p);

/* ---- external programs, continued ---------------------------------------- */
/* 1 when name (or a path) is an executable file found on PATH. */
int pp_program_available(const char *name);
/* s as one Tcl word, every special character backslash-escaped (malloc'd;
 * NULL when out of memory). The one place script files get their names. */
char *pp_tcl_quote(const char *s);

#endif

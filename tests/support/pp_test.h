/* tests/support: helpers shared by the test programs (CMake links
 * every tests/support source into each one): a temporary directory made and removed
 * without a shell, and the powerprune CLI run from an argument vector with
 * its output captured in files. */
#ifndef PP_TEST_H
#define PP_TEST_H

#include <stddef.h>

/* Makes a new directory /tmp/<prefix>_XXXXXX and writes its path to buf.
 * Returns 0, or -1 when it cannot. */
int pp_test_tmpdir(char *buf, size_t n, const char *prefix);

/* Removes path and everything under it (symbolic links are removed, not
 * followed). Returns 0, or -1 when something could not be removed; a path
 * that does not exist is not an error. */
int pp_test_rmtree(const char *path);

/* "dir/name" in one of 16 rotating static buffers, so that paths can be
 * built inside one argument list. */
const char *pp_test_path(const char *dir, const char *name);

/* Runs argv[0] with argv (fork + execv, no shell). Its stdout goes to
 * out_file and its stderr to err_file (NULL: /dev/null). Returns its exit
 * status, 128 + the signal number when a signal ended it, or -1 when it
 * could not be started. */
int pp_test_exec(char *const argv[], const char *out_file, const char *err_file);

/* Runs the CLI ($PP_EXE, which must be set) with the NULL-terminated
 * arguments, stdout into dir/stdout.txt and stderr into dir/stderr.txt.
 * When out is non-NULL, *out receives the stdout text (caller frees).
 * Returns as pp_test_exec. */
int pp_test_cli(const char *dir, char **out, const char *arg, ...);
/* The same with an array of arguments ending in NULL. */
int pp_test_cliv(const char *dir, char **out, const char *const *args);

/* The whole file as a NUL-terminated string (caller frees); NULL when it
 * cannot be read. */
char *pp_test_slurp(const char *path);

/* The project's library (data/pp_cells.lib) as if characterized at another
 * supply: nom_voltage and the operating voltage become volt, every delay
 * and transition table, the templates' slew axes (index_1) and the input
 * slew are scaled by dscale (so static timing scales by exactly dscale),
 * internal energies
 * by escale and cell_leakage_power by lscale. Written to dst; 0 or -1. */
int pp_test_scaled_lib(const char *dst, double volt, double dscale, double escale, double lscale);

/* Writes one small valid file per reader into dir (liberty, verilog, idx,
 * cifar, model, onnx, stats, delay, power, pann, summary, values, json: the
 * names of fuzz/fuzz_readers.h). Returns 0, or -1 when one cannot be made. */
int pp_test_write_seeds(const char *dir);
/* The path of reader's seed in dir (pp_test_path buffer); NULL: unknown. */
const char *pp_test_seed_path(const char *dir, const char *reader);

#endif

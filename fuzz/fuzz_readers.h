/* fuzz/fuzz_readers.h: the shared entry of fuzz_readers.c (see there). */
#ifndef PP_FUZZ_READERS_H
#define PP_FUZZ_READERS_H

#include <stddef.h>
#include <stdint.h>

#include "pp/util.h"

/* Reader names, NULL-terminated: liberty, verilog, idx, cifar, model, onnx,
 * stats, delay, power, pann, summary, values, json. */
extern const char *const pp_fuzz_readers[];

/* Feeds data to one reader (files go into dir, an existing scratch folder).
 * Returns the reader's status and fills e (may be NULL); aborts when an error
 * has no message or a failing reader left its output allocated. Every
 * allocation failure, the harness's own included, is PP_ENOMEM with a
 * message, so that tests/util/test_alloc_fail drives the readers through it. */
int pp_fuzz_one(const char *reader, const uint8_t *data, size_t size, const char *dir, pp_err *e);

#endif

/* array/trace: a whole network on the array. A calibration pass over the first
 * images builds the partial-sum bins; the counting pass then streams every
 * requested image through the integer path of module nn, whose hook hands
 * each layer's product (with the integer path's own accumulator) to the
 * simulator, which checks the array's outputs against it bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"

/* Runs images one at a time so the hook's error and progress stay precise. */
static int run_images(pp_array_sim *sim, const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count,
                      int count_images, pp_progress *pg, long long *done, pp_err *e) {
  for (int i = 0; i < count; i++) {
    pp_err qe;
    pp_err_clear(&qe);
    int rc = pp_nn_qrun(q, d, first + i, 1, pp_array_sim_hook, sim, NULL, NULL, NULL, &qe);
    if (rc) {
      const pp_err *he = pp_array_sim_hook_error(sim);
      if (he->status != PP_OK) {
        pp_err_set(e, he->status, he->file[0] ? he->file : NULL, he->line, "image %d: %s", first + i, he->msg);
        return he->status;
      }
      pp_err_set(e, qe.status, qe.file[0] ? qe.file : NULL, qe.line, "image %d: %s", first + i, qe.msg);
      return rc;
    }
    if (count_images) pp_array_sim_image_done(sim);
    if (pg) pp_progress_update(pg, ++*done);
  }
  return PP_OK;
}

int pp_array_trace(const pp_nn_qmodel *q, const pp_nn_data *d, int first, int count, const pp_array_opts *o,
                   pp_array_stats **out, pp_err *e) {
  *out = NULL;
  pp_array_opts def;
  if (!o) {
    pp_array_opts_defaults(&def);
    o = &def;
  }
  if (!q || !d) return pp_err_set(e, PP_EINVAL, NULL, 0, "array: trace needs a model and a data set");
  if (count < 1 || first < 0 || first > d->n - count)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: images %d..%d requested, the data set has %d", first,
                      first + count - 1, d->n);
  if (o->reservoir < 1)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "array: trace needs a reservoir of at least 1 tuple (the bins are built from it)");
  pp_array_sim *sim;
  int rc = pp_array_sim_create(o, &sim, e);
  if (rc) return rc;
  int ncal = o->calib_images < 1 ? 1 : o->calib_images;
  if (ncal > count) ncal = count;
  pp_progress pg;
  long long done = 0;
  if (o->progress) pp_progress_start(&pg, "array trace", (long long)ncal + count);
  rc = run_images(sim, q, d, first, ncal, 0, o->progress ? &pg : NULL, &done, e);
  if (!rc) rc = pp_array_sim_calibrate(sim, e);
  if (!rc) rc = run_images(sim, q, d, first, count, 1, o->progress ? &pg : NULL, &done, e);
  if (o->progress) pp_progress_end(&pg);
  if (!rc) *out = pp_array_sim_take_stats(sim);
  pp_array_sim_free(sim);
  return rc;
}

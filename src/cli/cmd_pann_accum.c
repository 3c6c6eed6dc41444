/* cli/cmd_pann_accum: `powerprune pann accum`, signed against split accumulation on
 * the int8 network's accumulator streams, at gate level */
#include "pann_cli.h"

int pp_cli_pann_accum(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  loaded L;
  pp_lib *lib = NULL;
  pp_nn_qmodel *q = NULL;
  int rc;
  if (pp_cli_pann_load(a, &L, &e)) goto fail;
  if (pp_lib_read(a->lib ? a->lib : pp_lib_default_path(), &lib, &e)) goto fail;
  if (pp_nn_qmodel_build(L.m, &q, &e)) goto fail;
  pp_pann_accum_opts o;
  pp_pann_accum_defaults(&o);
  o.acc_bits = a->acc_bits;
  o.adder_arch = a->adder;
  o.images = a->images;
  o.max_transitions = a->transitions;
  o.seed = (uint64_t)a->seed;
  pp_pann_accum_result r[2];
  for (int df = 0; df < 2; df++) {
    o.dataflow = df;
    if (pp_pann_accum_trace(lib, q, &L.test, &o, &r[df], &e)) goto fail;
    fprintf(pp_cli_pann_out, "%-10s signed %.3f fJ per MAC, split (w+/w- unsigned) %.3f fJ per MAC: split saves %.1f%%"
           " (%ld/%ld transitions simulated)\n",
           df ? "systolic" : "sequential", r[df].signed_fj_per_mac, r[df].split_fj_per_mac,
           100 * (1 - r[df].split_fj_per_mac / r[df].signed_fj_per_mac), r[df].sim_signed, r[df].sim_split);
  }
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-pann-accum/1");
    pp_json_key_str(&j, "model_file", a->model);
    pp_json_key_int(&j, "acc_bits", a->acc_bits);
    for (int df = 0; df < 2; df++) {
      pp_json_key(&j, df ? "systolic" : "sequential");
      pp_json_obj_begin(&j);
      pp_json_key_num(&j, "signed_fj_per_mac", r[df].signed_fj_per_mac);
      pp_json_key_num(&j, "split_fj_per_mac", r[df].split_fj_per_mac);
      pp_json_key_num(&j, "saving_pct", 100 * (1 - r[df].split_fj_per_mac / r[df].signed_fj_per_mac));
      pp_json_key_int(&j, "signed_transitions", r[df].sim_signed);
      pp_json_key_int(&j, "split_transitions", r[df].sim_split);
      pp_json_obj_end(&j);
    }
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  pp_nn_qmodel_free(q);
  pp_lib_free(lib);
  pp_cli_pann_unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_nn_qmodel_free(q);
  pp_lib_free(lib);
  pp_cli_pann_unload(&L);
  return rc;
}

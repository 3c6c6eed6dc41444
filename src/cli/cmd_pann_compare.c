/* cli/cmd_pann_compare: `powerprune pann compare`, accuracy against power: plain b-bit
 * quantization beside PANN at equal power, with the float, int8 and
 * PowerPruning networks */
#include "pann_cli.h"

/* Accuracy and energy of a model through module nn's int8 integer path. */
static int nn_int8_point(pp_nn_model *m, const pp_nn_data *test, int nt, int ne, const pp_pann_power *pw, int accum,
                         double *acc, double *efj, pp_err *e) {
  pp_nn_qmodel *q;
  int st = pp_nn_qmodel_build(m, &q, e);
  if (st) return st;
  int *pred = malloc(sizeof(int) * (size_t)nt);
  if (!pred) {
    pp_nn_qmodel_free(q);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  st = pp_nn_qrun(q, test, 0, nt, NULL, NULL, NULL, pred, NULL, e);
  if (!st) {
    int hits = 0;
    for (int i = 0; i < nt; i++) hits += pred[i] == test->y[i];
    *acc = 100.0 * hits / nt;
    pp_pann_energy en;
    st = pp_pann_qmodel_energy(q, test, 0, ne, pw, accum, &en, e);
    *efj = en.e_per_mac;
  }
  free(pred);
  pp_nn_qmodel_free(q);
  return st;
}

static void point_json(pp_json *j, const pp_pann_point *p) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "method", p->method);
  pp_json_key(j, "match");
  if (p->match[0]) pp_json_str(j, p->match);
  else pp_json_null(j);
  pp_json_key_bool(j, "greedy_alloc", p->greedy);
  pp_json_key_int(j, "budget_bits", p->budget_bits);
  pp_json_key_num(j, "target_fj_per_mac", p->target_fj);
  pp_json_key_num(j, "achieved_fj_per_mac", p->achieved_fj);
  pp_json_key(j, "w_bits");
  if (p->w_bits) pp_json_int(j, p->w_bits);
  else pp_json_null(j);
  pp_json_key_int(j, "a_bits", p->a_bits);
  pp_json_key_num(j, "R", p->R);
  pp_json_key_num(j, "budget_fj_per_mac", p->budget_fj);
  pp_json_key_num(j, "ref_fj_per_mac", p->ref_fj);
  pp_json_key_num(j, "trace_fj_per_mac", p->trace_fj);
  pp_json_key_num(j, "val_acc_pct", p->val_acc);
  pp_json_key_num(j, "test_acc_pct", p->test_acc);
  pp_json_key_bool(j, "chosen", p->chosen);
  pp_json_obj_end(j);
}

int pp_cli_pann_compare(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted, rc;
  loaded L;
  pp_nn_model *ppm = NULL;
  pp_pann_compare c = {0};
  if (pp_cli_pann_load(a, &L, &e) || pp_cli_pann_power(a, &pw, &cl, &fitted, &e)) goto fail;
  if (a->pp_model && pp_nn_model_load(a->pp_model, &ppm, &e)) goto fail;
  pp_pann_compare_opts o;
  pp_pann_compare_defaults(&o);
  o.calib_images = a->calib;
  o.val_images = a->val;
  o.test_images = a->test;
  o.energy_images = a->energy_images;
  o.accum = a->accum;
  o.bias_corr = a->bias_corr;
  o.seed = (uint64_t)a->seed;
  o.lsq = a->lsq;
  o.alloc = a->alloc;
  o.match = a->match;
  o.trace_images = a->trace_images;
  o.pann_bx_min = a->bx_min;
  o.pann_bx_max = a->bx_max;
  o.alloc_max_evals = a->alloc_evals;
  if (pp_pann_compare_run(L.m, &L.train, &L.test, &pw, &o, &c, &e)) goto fail;
  int nt = c.test_images, ne = a->energy_images < nt ? a->energy_images : nt;
  double int8_acc = NAN, int8_fj = NAN, pp_acc = NAN, pp_fj = NAN;
  if (nn_int8_point(L.m, &L.test, nt, ne, &pw, a->accum, &int8_acc, &int8_fj, &e)) goto fail;
  if (ppm && nn_int8_point(ppm, &L.test, nt, ne, &pw, a->accum, &pp_acc, &pp_fj, &e)) goto fail;
  fprintf(pp_cli_pann_out, "float accuracy %.2f%% (%d test images); int8 (module nn) %.2f%% at %.2f fJ/MAC\n", c.float_acc, nt, int8_acc,
         int8_fj);
  if (ppm) fprintf(pp_cli_pann_out, "PowerPruning model %.2f%% at %.2f fJ/MAC\n", pp_acc, pp_fj);
  fprintf(pp_cli_pann_out, "%-8s %-6s %4s %5s %5s %8s %10s %10s %10s %10s %8s %8s\n", "method", "match", "b", "w", "x", "R", "budget_fJ",
         "target_fJ", "ref_fJ", "trace_fJ", "val%", "test%");
  for (int i = 0; i < c.n; i++) {
    const pp_pann_point *p = &c.pts[i];
    if (!p->chosen) continue;
    fprintf(pp_cli_pann_out, "%-8s %-6s %4d %5d %5d %8.3f %10.2f %10.2f %10.2f %10.2f %8.2f %8.2f\n", p->method, p->match[0] ? p->match : "-",
           p->budget_bits, p->w_bits, p->a_bits, p->R, p->budget_fj, p->target_fj, p->ref_fj, p->trace_fj, p->val_acc,
           p->test_acc);
  }
  const char *dir = a->out ? a->out : "pann-out";
  if (pp_mkdirs(dir, &e)) goto fail;
  char path[4096];
  pp_outfile of;
  /* CSV table of the chosen points */
  snprintf(path, sizeof path, "%s/pann_compare.csv", dir);
  if (pp_outfile_open(&of, path, &e)) goto fail;
  fprintf(of.f, "method,match,budget_bits,w_bits,a_bits,R,budget_fj_per_mac,target_fj_per_mac,achieved_fj_per_mac,ref_fj_per_mac,trace_fj_per_mac,val_acc_pct,test_acc_pct\n");
  fprintf(of.f, "float,,,,,,,,,,,,%.4f\n", c.float_acc);
  fprintf(of.f, "int8_nn,,8,8,8,,,,,,%.4f,,%.4f\n", int8_fj, int8_acc);
  if (ppm) fprintf(of.f, "powerpruning,,8,8,8,,,,,,%.4f,,%.4f\n", pp_fj, pp_acc);
  for (int i = 0; i < c.n; i++) {
    const pp_pann_point *p = &c.pts[i];
    if (!p->chosen) continue;
    fprintf(of.f, "%s,%s,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f\n", p->method, p->match, p->budget_bits, p->w_bits,
            p->a_bits, p->R, p->budget_fj, p->target_fj, p->achieved_fj, p->ref_fj, p->trace_fj, p->val_acc, p->test_acc);
  }
  if (pp_outfile_commit(&of, &e)) goto fail;
  /* JSON: everything, candidates included */
  snprintf(path, sizeof path, "%s/pann_compare.json", dir);
  FILE *outs[2] = {NULL, a->json ? stdout : NULL};
  if (pp_outfile_open(&of, path, &e)) goto fail;
  outs[0] = of.f;
  fflush(stdout);
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    pp_json j;
    pp_json_init(&j, outs[k], k == 0);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-pann-compare/1");
    pp_json_key_str(&j, "model_file", a->model);
    pp_json_key_str(&j, "data", a->data);
    pp_json_key_str(&j, "power", a->power ? a->power : "fitted in this run");
    pp_json_key_str(&j, "accum", a->accum == PP_PANN_SPLIT ? "split" : "signed");
    pp_json_key_bool(&j, "bias_correction", a->bias_corr);
    pp_json_key_int(&j, "calib_images", a->calib);
    pp_json_key_int(&j, "val_images", a->val);
    pp_json_key_int(&j, "test_images", nt);
    pp_json_key_int(&j, "energy_images", ne);
    pp_json_key_str(&j, "energy_unit", "fJ per MAC (uW per MAC unit at 1 GHz)");
    pp_json_key_num(&j, "float_acc_pct", c.float_acc);
    pp_json_key_obj_begin(&j, "int8_nn");
    pp_json_key_num(&j, "test_acc_pct", int8_acc);
    pp_json_key_num(&j, "trace_fj_per_mac", int8_fj);
    pp_json_obj_end(&j);
    pp_json_key(&j, "powerpruning");
    if (ppm) {
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "model_file", a->pp_model);
      pp_json_key_num(&j, "test_acc_pct", pp_acc);
      pp_json_key_num(&j, "trace_fj_per_mac", pp_fj);
      pp_json_obj_end(&j);
    } else {
      pp_json_null(&j);
    }
    pp_json_key_arr_begin(&j, "points");
    for (int i = 0; i < c.n; i++) point_json(&j, &c.pts[i]);
    pp_json_arr_end(&j);
    /* the goal: PANN at the 2-bit budget against float */
    for (int i = 0; i < c.n; i++)
      if (c.pts[i].chosen && !strcmp(c.pts[i].method, "pann") && c.pts[i].budget_bits == 2) {
        char k[64];
        snprintf(k, sizeof k, "pann_%s_at_2bit_gap_to_float_pts", c.pts[i].match);
        pp_json_key(&j, k);
        pp_json_num(&j, c.float_acc - c.pts[i].test_acc);
      }
    pp_json_key_bool(&j, "lsq_scales", a->lsq);
    pp_json_key_str(&j, "alloc", a->alloc == PP_PANN_ALLOC_GREEDY ? "greedy" : "uniform");
    pp_json_key_int(&j, "trace_images", a->trace_images);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  if (pp_outfile_commit(&of, &e)) goto fail;
  /* the plot: accuracy vs the energy on each network's own products */
  if (pp_plot_available()) {
    double ux[8], uy[8], px[8], py[8], rx[8], ry[8], ix[1], iy[1], qx[1], qy[1];
    size_t nu = 0, np = 0, nr = 0;
    for (int i = 0; i < c.n; i++) {
      const pp_pann_point *p = &c.pts[i];
      if (!p->chosen) continue;
      if (!strcmp(p->method, "uniform") && nu < 8) ux[nu] = p->trace_fj, uy[nu++] = p->test_acc;
      if (!strcmp(p->method, "pann") && !strcmp(p->match, "trace") && np < 8) px[np] = p->trace_fj, py[np++] = p->test_acc;
      if (!strcmp(p->method, "pann") && !strcmp(p->match, "ref") && nr < 8) rx[nr] = p->trace_fj, ry[nr++] = p->test_acc;
    }
    ix[0] = int8_fj, iy[0] = int8_acc, qx[0] = pp_fj, qy[0] = pp_acc;
    pp_plot_series s[5] = {{"plain b-bit (2..8)", ux, uy, nu, PP_PLOT_LINESPOINTS, NULL},
                           {"int8 (nn)", ix, iy, 1, PP_PLOT_POINTS, NULL},
                           {"PANN, budget matched on the trace", px, py, np, PP_PLOT_LINESPOINTS, NULL},
                           {"PANN, budget matched on reference streams", rx, ry, nr, PP_PLOT_LINESPOINTS, NULL},
                           {"PowerPruning", qx, qy, 1, PP_PLOT_POINTS, NULL}};
    /* drop empty series, keep the order */
    int ns = 0;
    for (int k = 0; k < 5; k++) {
      if (s[k].n == 0 || (k == 4 && !ppm)) continue;
      s[ns++] = s[k];
    }
    pp_plot_opts po = {0};
    po.title = "Accuracy vs MAC energy (bit-flip models on each network's products)";
    po.xlabel = "energy per MAC (fJ) = power per MAC unit at 1 GHz (uW)";
    po.ylabel = "test accuracy (%)";
    po.logx = 1;
    snprintf(path, sizeof path, "%s/pann_accuracy_power", dir);
    if (pp_plot_accuracy_power(path, &po, s, ns, &e)) goto fail;
  } else {
    fprintf(stderr, "powerprune pann: gnuplot not found, no plot written\n");
  }
  fprintf(stderr, "powerprune pann: wrote %s/pann_compare.json, .csv%s\n", dir,
          pp_plot_available() ? " and pann_accuracy_power.svg/.png" : "");
  pp_pann_compare_free(&c);
  pp_nn_model_free(ppm);
  pp_cli_pann_unload(&L);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("pann", &e);
  pp_pann_compare_free(&c);
  pp_nn_model_free(ppm);
  pp_cli_pann_unload(&L);
  return rc;
}

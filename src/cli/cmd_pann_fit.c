/* cli/cmd_pann_fit: `powerprune pann fit`, the bit-flip power models fitted to
 * the gate-level simulator, with their fit error per width */
#include "pann_cli.h"

static void print_stats_row(const char *what, int b, const pp_pann_fit_stats *f, const pp_pann_fit_stats *c) {
  fprintf(pp_cli_pann_out, "  %-5s %d   R2 %.4f  mean rel err %5.1f%%  rmse %7.3f fJ  mean %8.3f fJ | held-out R2 %.4f  err %5.1f%%\n", what,
         b, f->r2, 100 * f->mean_rel_err, f->rmse, f->mean_meas, c->r2, 100 * c->mean_rel_err);
}

int pp_cli_pann_fit(const args *a) {
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  pp_pann_claims cl;
  int fitted;
  if (pp_cli_pann_power(a, &pw, &cl, &fitted, &e)) return pp_cli_fail("pann", &e);
  fprintf(pp_cli_pann_out, "bit-flip power models (fit on 4/5 of the samples, held-out check on 1/5); energies in fJ\n");
  for (int b = 2; b <= 8; b++) {
    if (!pw.have[b - 2]) continue;
    const pp_pann_mult_model *m = &pw.mult[b - 2];
    fprintf(pp_cli_pann_out, " %d bits: mult E = %.3f + %.3f fw + %.3f fa + %.4f fw*fa + %.3f fpp + %.3f fprod\n", b, m->c[0], m->c[1],
           m->c[2], m->c[3], m->c[4], m->c[5]);
    print_stats_row("mult", b, &m->fit, &m->check);
    const pp_pann_acc_model *ac = &pw.acc[b - 2], *ad = &pw.add[b - 2];
    fprintf(pp_cli_pann_out, "         acc(%d->%d) E = %.3f + %.3f fx + %.3f fp + %.3f fy + %.3f fc\n", ac->in_bits, ac->acc_bits, ac->c[0],
           ac->c[1], ac->c[2], ac->c[3], ac->c[4]);
    print_stats_row("acc", b, &ac->fit, &ac->check);
    fprintf(pp_cli_pann_out, "         add(%d->%d) E = %.3f + %.3f fx + %.3f fp + %.3f fy + %.3f fc\n", ad->in_bits, ad->acc_bits, ad->c[0],
           ad->c[1], ad->c[2], ad->c[3], ad->c[4]);
    print_stats_row("add", b, &ad->fit, &ad->check);
  }
  if (fitted) {
    fprintf(pp_cli_pann_out, "claims:\n");
    fprintf(pp_cli_pann_out, "  multiplier energy (random operands) vs width: exponent %.2f (2 = quadratic):", cl.mult_exponent);
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) fprintf(pp_cli_pann_out, " %d:%.1f", b, cl.mult_random_fj[b - 2]);
    fprintf(pp_cli_pann_out, " fJ\n  width-independent mult model E = %.3f + %.4f (fa*bw + fw*ba): R2 %.4f, mean rel err %.1f%%\n",
           cl.global.k0, cl.global.k1, cl.global.fit.r2, 100 * cl.global.fit.mean_rel_err);
    fprintf(pp_cli_pann_out, "  accumulation per MAC, random dot products: signed vs split (unsigned):");
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) fprintf(pp_cli_pann_out, " %d:%.1f/%.1f", b, cl.acc_signed_fj[b - 2], cl.acc_split_fj[b - 2]);
    fprintf(pp_cli_pann_out, " fJ\n  PANN addition of a b-bit input vs b: exponent %.2f (1 = linear):", cl.add_exponent);
    for (int b = 2; b <= 8; b++)
      if (pw.have[b - 2]) fprintf(pp_cli_pann_out, " %d:%.1f", b, cl.add_random_fj[b - 2]);
    fprintf(pp_cli_pann_out, " fJ\n");
  }
  if (a->out) {
    pp_outfile of;
    if (pp_outfile_open(&of, a->out, &e)) return pp_cli_fail("pann", &e);
    pp_json j;
    pp_json_init(&j, of.f, 1);
    pp_pann_power_json(&j, &pw, fitted ? &cl : NULL);
    pp_json_end(&j);
    if (pp_outfile_commit(&of, &e)) return pp_cli_fail("pann", &e);
  }
  if (a->json) {
    fflush(stdout);
    pp_json j;
    pp_json_init(&j, stdout, 0);
    pp_pann_power_json(&j, &pw, fitted ? &cl : NULL);
    pp_json_end(&j);
  }
  return PP_EXIT_OK;
}

/* characterize/mac: loading (or generating) the MAC and its parts and
 * building their simulation models, driving their inputs with the weight
 * held, and running per-weight (or per-PE) work on OpenMP threads with one
 * simulation workspace each: shared by power, timing and the estimate check. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pp/characterize.h"
#include "pp/macgen.h"
#include "pp/verilog.h"

void pp_char_mac_spec_default(pp_char_mac_spec *s) {
  memset(s, 0, sizeof *s);
  pp_mac_opts_default(&s->gen);
  pp_sim_opts_default(&s->sim);
  s->work_dir = ".";
  s->output_load_ff = s->wire_cap_ff = s->wire_cap_per_fanout_ff = -1;
}

void pp_char_mac_free(pp_char_mac *m) {
  for (int i = 0; i < 3; i++) {
    if (m->m[i]) pp_sim_model_free(m->m[i]);
    if (m->nl[i]) pp_netlist_free(m->nl[i]);
    m->m[i] = NULL;
    m->nl[i] = NULL;
  }
  if (m->lib) pp_lib_free(m->lib);
  m->lib = NULL;
}

static const char *arch_name(const pp_mac_opts *g) {
  static const char *names[2][2] = {{"array/ripple", "array/prefix"}, {"booth/ripple", "booth/prefix"}};
  return names[g->mult == PP_MULT_BOOTH][g->adder == PP_ADDER_PREFIX];
}

int pp_char_mac_load(const pp_char_mac_spec *s, unsigned parts, pp_char_mac *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  const char *lp = s->lib_path ? s->lib_path : pp_lib_default_path();
  int rc = pp_lib_read(lp, &out->lib, e);
  if (rc) return rc;
  /* before any netlist is read: the reader computes each net's load from these */
  if ((rc = pp_lib_use_wire_load(out->lib, s->wire_load, e))) {
    pp_lib_free(out->lib);
    out->lib = NULL;
    return rc;
  }
  if (s->output_load_ff >= 0) out->lib->output_load_ff = s->output_load_ff;
  if (s->wire_cap_ff >= 0) out->lib->wire_cap_ff = s->wire_cap_ff;
  if (s->wire_cap_per_fanout_ff >= 0) out->lib->wire_cap_per_fanout_ff = s->wire_cap_per_fanout_ff;
  static const char *part_file[3] = {"mac_full.v", "mac_mult.v", "mac_adder.v"};
  static const char *part_name[3] = {"full", "mult", "adder"};
  static const int part_code[3] = {PP_MAC_FULL, PP_MAC_MULT, PP_MAC_ADDER};
  for (int i = 0; i < 3 && !rc; i++) {
    if (!(parts & (1u << i))) continue;
    if (s->path[i]) {
      snprintf(out->path[i], sizeof out->path[i], "%s", s->path[i]);
      snprintf(out->desc[i], sizeof out->desc[i], "%s", s->path[i]);
      if ((rc = pp_netlist_read(out->path[i], out->lib, NULL, &out->nl[i], e))) break;
    } else {
      pp_mac_opts g = s->gen;
      g.part = part_code[i];
      snprintf(out->path[i], sizeof out->path[i], "%s/%s", s->work_dir, part_file[i]);
      snprintf(out->desc[i], sizeof out->desc[i], "builtin:%s:%s:w%d:a%d:p%d", arch_name(&g), part_name[i], g.w_bits,
               g.a_bits, g.p_bits);
      /* the file is a result beside the others; the netlist is built in
       * memory, the same one reading the file back would give */
      if ((rc = pp_mac_generate(&g, out->lib, out->path[i], e)) || (rc = pp_mac_build(&g, out->lib, &out->nl[i], e)))
        break;
    }
    rc = pp_sim_model_new(out->nl[i], &s->sim, &out->m[i], e);
  }
  if (rc) pp_char_mac_free(out);
  return rc;
}

int pp_char_mac_corner(const pp_char_mac_spec *s, double *critical_ps, double *leak_nw, double *voltage, pp_err *e) {
  pp_char_mac mac;
  int rc = pp_char_mac_load(s, PP_CHAR_FULL, &mac, e);
  if (rc) return rc;
  pp_sta *sta = NULL;
  if (!(rc = pp_sta_run(mac.m[0], &sta, e))) {
    *critical_ps = sta->critical_ps;
    *leak_nw = pp_sim_leakage_nw(mac.m[0]);
    *voltage = mac.lib->voltage;
    pp_sta_free(sta);
  }
  pp_char_mac_free(&mac);
  return rc;
}

int pp_char_io_init(pp_char_io *io, const pp_sim_model *m, int need_p, int w, pp_err *e) {
  memset(io, 0, sizeof *io);
  const pp_netlist *nl = pp_sim_netlist(m);
  io->m = m;
  io->pw = pp_netlist_find_input(nl, "w");
  io->pa = pp_netlist_find_input(nl, "a");
  io->pp = need_p ? pp_netlist_find_input(nl, "p") : -1;
  if (io->pw < 0 || io->pa < 0 || (need_p && io->pp < 0))
    return need_p ? pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' is not a MAC (needs inputs w, a, p)", nl->top)
                  : pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' has no input ports w and a", nl->top);
  size_t nb = (size_t)pp_sim_n_input_bits(m);
  io->old_bits = calloc(nb, 1);
  io->new_bits = calloc(nb, 1);
  if (!io->old_bits || !io->new_bits) {
    pp_char_io_free(io);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  pp_sim_bits_set_port(m, io->old_bits, io->pw, w);
  pp_sim_bits_set_port(m, io->new_bits, io->pw, w);
  return PP_OK;
}

void pp_char_io_set(pp_char_io *io, int a_old, int a_new, int64_t p_old, int64_t p_new) {
  pp_sim_bits_set_port(io->m, io->old_bits, io->pa, a_old);
  pp_sim_bits_set_port(io->m, io->new_bits, io->pa, a_new);
  if (io->pp >= 0) {
    pp_sim_bits_set_port(io->m, io->old_bits, io->pp, p_old);
    pp_sim_bits_set_port(io->m, io->new_bits, io->pp, p_new);
  }
}

void pp_char_io_free(pp_char_io *io) {
  free(io->old_bits);
  free(io->new_bits);
  io->old_bits = io->new_bits = NULL;
}

int pp_char_parallel(const pp_sim_model *m, int n, pp_char_item_fn fn, void *ctx, pp_progress *prog, pp_err *e) {
  if (n <= 0) return PP_OK;
  int *status = calloc((size_t)n, sizeof *status);
  pp_err *errs = calloc((size_t)n, sizeof *errs);
  if (!status || !errs) {
    free(status);
    free(errs);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  long done = 0;
#pragma omp parallel
  {
    pp_sim_ws *ws = NULL;
    pp_err le;
    pp_err_clear(&le);
    int wrc = pp_sim_ws_new(m, &ws, &le);
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
      pp_err_clear(&errs[i]);
      if (wrc) {
        status[i] = wrc;
        errs[i] = le;
        continue;
      }
      status[i] = fn(ctx, ws, i, &errs[i]);
      if (prog) {
#pragma omp critical(pp_char_progress)
        pp_progress_update(prog, ++done);
      }
    }
    if (ws) pp_sim_ws_free(ws);
  }
  int rc = PP_OK;
  for (int i = 0; i < n && !rc; i++)
    if (status[i]) {
      if (e && !e->status) *e = errs[i];
      rc = status[i];
    }
  free(status);
  free(errs);
  return rc;
}

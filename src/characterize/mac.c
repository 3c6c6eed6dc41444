/* characterize/mac: loading (or generating) the MAC and its parts and
 * building their simulation models, shared by the characterize and timing
 * commands and by the estimate check. */
#include <stdio.h>
#include <string.h>

#include "pp/characterize.h"

void pp_char_mac_spec_default(pp_char_mac_spec *s) {
  memset(s, 0, sizeof *s);
  pp_mac_opts_default(&s->gen);
  pp_sim_opts_default(&s->sim);
  s->work_dir = ".";
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
  static const char *part_file[3] = {"mac_full.v", "mac_mult.v", "mac_adder.v"};
  static const char *part_name[3] = {"full", "mult", "adder"};
  static const int part_code[3] = {PP_MAC_FULL, PP_MAC_MULT, PP_MAC_ADDER};
  for (int i = 0; i < 3 && !rc; i++) {
    if (!(parts & (1u << i))) continue;
    if (s->path[i]) {
      snprintf(out->path[i], sizeof out->path[i], "%s", s->path[i]);
      snprintf(out->desc[i], sizeof out->desc[i], "%s", s->path[i]);
    } else {
      pp_mac_opts g = s->gen;
      g.part = part_code[i];
      snprintf(out->path[i], sizeof out->path[i], "%s/%s", s->work_dir, part_file[i]);
      snprintf(out->desc[i], sizeof out->desc[i], "builtin:%s:%s:w%d:a%d:p%d", arch_name(&g), part_name[i], g.w_bits,
               g.a_bits, g.p_bits);
      if ((rc = pp_mac_generate(&g, out->lib, out->path[i], e))) break;
    }
    if ((rc = pp_netlist_read(out->path[i], out->lib, NULL, &out->nl[i], e))) break;
    rc = pp_sim_model_new(out->nl[i], &s->sim, &out->m[i], e);
  }
  if (rc) pp_char_mac_free(out);
  return rc;
}

/* report/layers: the network's weight layers in a run's report: the "layers"
 * array of summary.json, read back, checked, and shown as a table in
 * report.html, so that every layer keeps the name its model gave it (an ONNX
 * graph's node names included). */
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

int pp_report_add_layer(pp_report *r, const pp_report_layer *l, pp_err *e) {
  if (r->nlayers >= PP_REPORT_MAX_LAYERS)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: more than %d weight layers", PP_REPORT_MAX_LAYERS);
  r->layers[r->nlayers++] = *l;
  return PP_OK;
}

int report_layers_validate(const pp_report *r, pp_err *e) {
  for (int i = 0; i < r->nlayers; i++) {
    const pp_report_layer *l = &r->layers[i];
    if (!l->name[0] || (strcmp(l->kind, "conv") && strcmp(l->kind, "dwconv") && strcmp(l->kind, "fc")))
      return pp_err_set(e, PP_EINVAL, "", 0, "report: layer %d: expected a name and kind conv, dwconv or fc", i);
    if (l->in_ch < 1 || l->out_ch < 1 || l->k < 1 || l->weights < 1)
      return pp_err_set(e, PP_EINVAL, "", 0, "report: layer %d (%s): channels, kernel and weights must be >= 1", i,
                        l->name);
    if (!(l->pruned_pct >= 0 && l->pruned_pct <= 100))
      return pp_err_set(e, PP_EINVAL, "", 0, "report: layer %d (%s): pruned weights %g%%, expected 0..100", i, l->name,
                        l->pruned_pct);
  }
  return PP_OK;
}

void report_layers_json(pp_json *j, const pp_report *r) {
  pp_json_key_arr_begin(j, "layers");
  for (int i = 0; i < r->nlayers; i++) {
    const pp_report_layer *l = &r->layers[i];
    pp_json_obj_begin(j);
    pp_json_key_str(j, "name", l->name);
    pp_json_key_str(j, "kind", l->kind);
    pp_json_key_int(j, "in", l->in_ch);
    pp_json_key_int(j, "out", l->out_ch);
    pp_json_key_int(j, "kernel", l->k);
    pp_json_key_int(j, "weights", l->weights);
    report_jnum(j, "pruned_pct", l->pruned_pct);
    pp_json_obj_end(j);
  }
  pp_json_arr_end(j);
}

int report_layers_parse(const pp_jv *a, pp_report *r, const char *path, pp_err *e) {
  if (!a) return PP_OK; /* summaries written before the layers were recorded */
  pp_jv_ctx c = {path, e};
  if (a->type != PP_JV_ARR) return pp_jv_fail(&c, a, "layers", "expected an array");
  for (size_t i = 0; i < a->n; i++) {
    const pp_jv *q = &a->items[i];
    char at[32];
    snprintf(at, sizeof at, "layers[%zu]", i);
    pp_report_layer l;
    memset(&l, 0, sizeof l);
    const char *name, *kind;
    int64_t in, out, k, w;
    int rc;
    if ((rc = pp_jv_want_str(&c, q, at, "name", 0, &name)) || (rc = pp_jv_want_str(&c, q, at, "kind", 0, &kind)) ||
        (rc = pp_jv_want_int(&c, q, at, "in", 0, 1, 1000000000, &in)) ||
        (rc = pp_jv_want_int(&c, q, at, "out", 0, 1, 1000000000, &out)) ||
        (rc = pp_jv_want_int(&c, q, at, "kernel", 0, 1, 1000000, &k)) ||
        (rc = pp_jv_want_int(&c, q, at, "weights", 0, 1, 1000000000000000LL, &w)) ||
        (rc = pp_jv_want_num(&c, q, at, "pruned_pct", 0, 0, 100, &l.pruned_pct)))
      return rc;
    report_copy(l.name, sizeof l.name, name);
    report_copy(l.kind, sizeof l.kind, kind);
    l.in_ch = (int)in, l.out_ch = (int)out, l.k = (int)k, l.weights = (long)w;
    if ((rc = pp_report_add_layer(r, &l, e))) return rc;
  }
  return PP_OK;
}

void report_layers_html(FILE *f, const pp_report *r) {
  if (!r->nlayers) return;
  long total = 0;
  for (int i = 0; i < r->nlayers; i++) total += r->layers[i].weights;
  fprintf(f, "<h2>Weight layers</h2>\n<p>%d layers, %ld weights, under the names the model carries.</p>\n",
          r->nlayers, total);
  fputs("<table>\n<tr><th class=l>Layer</th><th class=l>Kind</th><th>In</th><th>Out</th><th>Kernel</th>"
        "<th>Weights</th><th>Pruned [%]</th></tr>\n",
        f);
  for (int i = 0; i < r->nlayers; i++) {
    const pp_report_layer *l = &r->layers[i];
    fputs("<tr><td class=l>", f);
    report_html_esc(f, l->name);
    fputs("</td><td class=l>", f);
    report_html_esc(f, l->kind);
    fprintf(f, "</td><td>%d</td><td>%d</td><td>%d&times;%d</td><td>%ld</td>", l->in_ch, l->out_ch, l->k, l->k,
            l->weights);
    report_td_num(f, "%.1f", l->pruned_pct);
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

/* report/report_internal: helpers shared by the files of module report. */
#ifndef PP_REPORT_INTERNAL_H
#define PP_REPORT_INTERNAL_H

#include <stdio.h>

#include "pp/report.h"

void report_copy(char *dst, size_t n, const char *src);
void report_html_esc(FILE *f, const char *s);
void report_url_esc(FILE *f, const char *s);
/* <td>v</td> with fmt, or a dash when v is not finite */
void report_td_num(FILE *f, const char *fmt, double v);
void report_jnum(pp_json *j, const char *k, double v);
void report_csv_str(FILE *f, const char *s);
/* " Data: BASE.csv; also BASE.pdf, BASE.png." for the figure BASE.svg */
void report_fig_links(FILE *f, const char *svg);

/* layers.c: the weight layers' part of each file */
int report_layers_validate(const pp_report *r, pp_err *e);
void report_layers_json(pp_json *j, const pp_report *r);
int report_layers_parse(const pp_jv *a, pp_report *r, const char *path, pp_err *e);
void report_layers_html(FILE *f, const pp_report *r);

/* pann.c: the PANN comparison's part of each file */
int report_pann_validate(const pp_report *r, pp_err *e);
void report_pann_html(FILE *f, const pp_report *r);

#endif

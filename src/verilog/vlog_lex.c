/* verilog/vlog_lex: the tokenizer of the structural Verilog reader:
 * identifiers (escaped ones unescaped), numbers, symbols; comments and
 * attributes skipped; `vlog_fail` records the one error a parse stops at. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vlog_internal.h"

int vlog_fail(vlex *L, int line, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pp_err_set(L->e, PP_EPARSE, L->file, line, "%s", msg);
  L->tok = V_ERR;
  return V_ERR;
}

int vlog_next(vlex *L) {
  if (L->tok == V_ERR) return V_ERR;
  for (;;) {
    if (L->pos >= L->len) break;
    char c = L->s[L->pos];
    if (c == '\n') {
      L->line++;
      L->pos++;
    } else if (isspace((unsigned char)c)) {
      L->pos++;
    } else if ((c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '/') || c == '`') {
      /* a line comment, or a compiler directive (`timescale ...): skip the line */
      while (L->pos < L->len && L->s[L->pos] != '\n') L->pos++;
    } else if ((c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*') ||
               (c == '(' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*' &&
                !(L->pos + 2 < L->len && L->s[L->pos + 2] == ')'))) {
      /* comment or attribute instance (* ... *): both skipped */
      int start = L->line;
      char close = c == '/' ? '/' : ')';
      size_t p = L->pos + 2;
      while (p + 1 < L->len && !(L->s[p] == '*' && L->s[p + 1] == close)) {
        if (L->s[p] == '\n') L->line++;
        p++;
      }
      if (p + 1 >= L->len)
        return vlog_fail(L, start, "unterminated %s: expected '*%c' to close the one opened here",
                     c == '/' ? "comment" : "attribute", close);
      L->pos = p + 2;
    } else {
      break;
    }
  }
  L->tline = L->line;
  L->text = NULL;
  L->escaped = 0;
  if (L->pos >= L->len) return L->tok = V_EOF;
  char c = L->s[L->pos];
  size_t st = L->pos;
  if (c == '\\') {
    size_t q = st + 1;
    while (q < L->len && !isspace((unsigned char)L->s[q])) q++;
    if (q == st + 1) return vlog_fail(L, L->line, "expected an escaped identifier after '\\'");
    L->text = pp_arena_strndup(L->ar, L->s + st + 1, q - st - 1);
    L->pos = q;
    L->escaped = 1;
    return L->tok = L->text ? V_ID : vlog_fail(L, L->line, "out of memory");
  }
  if (isalpha((unsigned char)c) || c == '_' || c == '$') {
    size_t q = st;
    while (q < L->len && (isalnum((unsigned char)L->s[q]) || L->s[q] == '_' || L->s[q] == '$')) q++;
    L->text = pp_arena_strndup(L->ar, L->s + st, q - st);
    L->pos = q;
    return L->tok = L->text ? V_ID : vlog_fail(L, L->line, "out of memory");
  }
  if (isdigit((unsigned char)c) || c == '\'') {
    /* number: [size] ['[sS]base digits] */
    size_t q = st;
    while (q < L->len && (isdigit((unsigned char)L->s[q]) || L->s[q] == '_')) q++;
    size_t save = q;
    while (q < L->len && (L->s[q] == ' ' || L->s[q] == '\t')) q++;
    if (q < L->len && L->s[q] == '\'') {
      q++;
      if (q < L->len && (L->s[q] == 's' || L->s[q] == 'S')) q++;
      if (q < L->len && strchr("bBoOdDhH", L->s[q])) q++;
      while (q < L->len && (L->s[q] == ' ' || L->s[q] == '\t')) q++;
      while (q < L->len && (isalnum((unsigned char)L->s[q]) || L->s[q] == '_' || L->s[q] == '?')) q++;
    } else {
      q = save;
    }
    L->text = pp_arena_strndup(L->ar, L->s + st, q - st);
    L->pos = q;
    return L->tok = L->text ? V_NUM : vlog_fail(L, L->line, "out of memory");
  }
  if (strchr("()[]{},;:.=#", c)) {
    L->pos++;
    L->sym = c;
    return L->tok = V_SYM;
  }
  if (isprint((unsigned char)c)) return vlog_fail(L, L->line, "unexpected character '%c'", c);
  return vlog_fail(L, L->line, "unexpected byte 0x%02x", (unsigned char)c);
}

const char *vlog_desc(const vlex *L, char *b, size_t n) {
  switch (L->tok) {
    case V_EOF: return "end of file";
    case V_ID:
    case V_NUM: snprintf(b, n, "'%.60s'", L->text); return b;
    case V_SYM: snprintf(b, n, "'%c'", L->sym); return b;
    default: return "an error";
  }
}

int vlog_expect_sym(vlex *L, char c, const char *context) {
  char b[96];
  if (!vlog_is_sym(L, c)) return vlog_fail(L, L->tline, "expected '%c' %s, found %s", c, context, vlog_desc(L, b, sizeof b));
  vlog_next(L);
  return L->tok == V_ERR ? V_ERR : 0;
}

/* liberty/lib_parse: the syntax pass of the Liberty reader. A tolerant lexer
 * and parser turn the whole file into a tree of groups and attributes
 * (comments, `\` continuations and anything we do not understand survive as
 * plain nodes); liberty.c interprets the tree. Every node keeps its line so
 * that semantic errors point at the file line too. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib_internal.h"

/* ---- lexer ------------------------------------------------------------------ */

enum { T_EOF, T_LBRACE, T_RBRACE, T_LPAR, T_RPAR, T_COLON, T_SEMI, T_COMMA, T_WORD, T_STRING, T_ERR };

typedef struct {
  const char *s;
  size_t pos, len;
  int line;
  const char *file;
  pp_arena *ar;
  pp_err *e;
  /* the current token */
  int tok, tline;
  char *text; /* WORD/STRING text (arena) */
  int depth;
} lexer;

static int lex_fail(lexer *L, int line, const char *fmt, const char *a, const char *b) {
  pp_err_set(L->e, PP_EPARSE, L->file, line, fmt, a, b);
  L->tok = T_ERR;
  return T_ERR;
}

static int lex_nomem(lexer *L, int line) {
  pp_err_set(L->e, PP_ENOMEM, L->file, line, "out of memory");
  L->tok = T_ERR;
  return T_ERR;
}

static int is_word_char(int c) {
  return c && !isspace(c) && !strchr("{}():;,\"", c);
}

/* Skips white space, comments and backslash-newline continuations. */
static int skip_space(lexer *L) {
  for (;;) {
    if (L->pos >= L->len) return 0;
    char c = L->s[L->pos];
    if (c == '\n') {
      L->line++;
      L->pos++;
    } else if (isspace((unsigned char)c)) {
      L->pos++;
    } else if (c == '\\') {
      size_t p = L->pos + 1;
      while (p < L->len && (L->s[p] == ' ' || L->s[p] == '\t' || L->s[p] == '\r')) p++;
      if (p >= L->len || L->s[p] == '\n') {
        L->pos = p; /* a continued line (its newline counted on the next round) or a backslash at the end */
      } else {
        return 0; /* a backslash inside a word (escaped name) */
      }
    } else if (c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '*') {
      int start = L->line;
      size_t p = L->pos + 2;
      while (p + 1 < L->len && !(L->s[p] == '*' && L->s[p + 1] == '/')) {
        if (L->s[p] == '\n') L->line++;
        p++;
      }
      if (p + 1 >= L->len) {
        char ln[16];
        snprintf(ln, sizeof ln, "%d", start);
        lex_fail(L, start, "unterminated comment: expected '*/' to close the comment opened at line %s%s", ln, "");
        return -1;
      }
      L->pos = p + 2;
    } else if (c == '/' && L->pos + 1 < L->len && L->s[L->pos + 1] == '/') {
      while (L->pos < L->len && L->s[L->pos] != '\n') L->pos++;
    } else {
      return 0;
    }
  }
}

static int lex_next(lexer *L) {
  if (L->tok == T_ERR) return T_ERR;
  if (skip_space(L) < 0) return T_ERR;
  L->tline = L->line;
  L->text = NULL;
  if (L->pos >= L->len) return L->tok = T_EOF;
  char c = L->s[L->pos];
  const char *punct = "{}():;,";
  const char *p = strchr(punct, c);
  if (p && c) {
    L->pos++;
    static const int map[] = {T_LBRACE, T_RBRACE, T_LPAR, T_RPAR, T_COLON, T_SEMI, T_COMMA};
    return L->tok = map[p - punct];
  }
  if (c == '"') {
    int start = L->line;
    size_t q = L->pos + 1, n = 0;
    /* find the end first to size the copy */
    while (q < L->len && L->s[q] != '"') {
      if (L->s[q] == '\n') L->line++;
      q++;
    }
    if (q >= L->len) {
      char ln[16];
      snprintf(ln, sizeof ln, "%d", start);
      return lex_fail(L, start, "unterminated string: expected '\"' to close the string opened at line %s%s", ln,
                      "");
    }
    char *buf = pp_arena_alloc(L->ar, q - L->pos + 1);
    if (!buf) return lex_nomem(L, start);
    for (size_t i = L->pos + 1; i < q; i++) {
      if (L->s[i] == '\\') { /* backslash-newline inside a string is a continuation */
        size_t j = i + 1;
        while (j < q && (L->s[j] == ' ' || L->s[j] == '\t' || L->s[j] == '\r')) j++;
        if (j < q && L->s[j] == '\n') {
          i = j;
          continue;
        }
      }
      buf[n++] = (char)(L->s[i] == '\n' || L->s[i] == '\r' || L->s[i] == '\t' ? ' ' : L->s[i]);
    }
    buf[n] = 0;
    L->pos = q + 1;
    L->text = buf;
    L->tline = start;
    return L->tok = T_STRING;
  }
  size_t q = L->pos;
  while (q < L->len && is_word_char((unsigned char)L->s[q])) {
    if (L->s[q] == '/' && q + 1 < L->len && (L->s[q + 1] == '*' || L->s[q + 1] == '/')) break;
    if (L->s[q] == '\\') { /* continuation inside a word ends it */
      size_t j = q + 1;
      while (j < L->len && (L->s[j] == ' ' || L->s[j] == '\t' || L->s[j] == '\r')) j++;
      if (j >= L->len || L->s[j] == '\n') break;
    }
    q++;
  }
  if (q == L->pos) {
    char bad[8];
    unsigned char bc = (unsigned char)c;
    if (isprint(bc))
      snprintf(bad, sizeof bad, "'%c'", c);
    else
      snprintf(bad, sizeof bad, "0x%02x", bc);
    return lex_fail(L, L->line, "unexpected character %s%s", bad, "");
  }
  char *buf = pp_arena_alloc(L->ar, q - L->pos + 1);
  if (!buf) return lex_nomem(L, L->line);
  memcpy(buf, L->s + L->pos, q - L->pos);
  buf[q - L->pos] = 0;
  L->pos = q;
  L->text = buf;
  return L->tok = T_WORD;
}

static const char *tok_desc(const lexer *L, char *buf, size_t n) {
  switch (L->tok) {
    case T_EOF: return "end of file";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_LPAR: return "'('";
    case T_RPAR: return "')'";
    case T_COLON: return "':'";
    case T_SEMI: return "';'";
    case T_COMMA: return "','";
    case T_WORD: snprintf(buf, n, "'%.60s'", L->text); return buf;
    case T_STRING: snprintf(buf, n, "\"%.60s\"", L->text); return buf;
    default: return "an error";
  }
}

#define MAX_DEPTH 64

/* statements until '}' (inside a group) or end of file (top level) */
static lnode *parse_stmts(lexer *L, int in_group, const char *gname, int gline);

/* The value of a simple attribute `name : value ;` (after the colon): one or
 * more words or strings on the line, joined by single spaces. 0, or -1 with
 * the error set. */
static int parse_value(lexer *L, lnode *n, int vline) {
  char tb[96];
  size_t total = 0;
  const char *parts[64];
  int np = 0;
  while ((L->tok == T_WORD || L->tok == T_STRING) && (np == 0 || L->tline == vline)) {
    if (np < 64) parts[np++] = L->text;
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): a T_WORD or T_STRING token always has its text
    total += strlen(L->text) + 1;
    vline = L->tline;
    lex_next(L);
  }
  if (L->tok == T_ERR) return -1;
  if (np == 0)
    return lex_fail(L, L->tline, "expected a value after '%s :', found %s", n->name, tok_desc(L, tb, sizeof tb)), -1;
  char *v = pp_arena_alloc(L->ar, total + 1);
  if (!v) return lex_nomem(L, L->tline), -1;
  size_t at = 0; /* the parts joined by single spaces; total counts each part and a space */
  for (int i = 0; i < np; i++) {
    size_t k = strlen(parts[i]);
    if (i) v[at++] = ' ';
    memcpy(v + at, parts[i], k);
    at += k;
  }
  v[at] = 0;
  n->value = v;
  return 0;
}

/* The arguments of a complex attribute or group, `( a, "b", ... )`, from
 * the '(' on. 0, or -1 with the error set. */
static int parse_args(lexer *L, lnode *n) {
  char tb[96];
  int pline = L->tline;
  lex_next(L);
  const char **args = NULL; /* heap, not stack: groups nest and tables have many rows */
  int na = 0, ca = 0;
  while (L->tok == T_WORD || L->tok == T_STRING || L->tok == T_COMMA) {
    if (L->tok != T_COMMA) {
      if (pp_grow((void **)&args, &ca, na, sizeof(char *))) {
        free(args);
        return lex_nomem(L, L->tline), -1;
      }
      args[na++] = L->text;
    }
    lex_next(L);
  }
  if (L->tok == T_ERR) {
    free(args);
    return -1;
  }
  if (L->tok != T_RPAR) {
    char ln[16];
    snprintf(ln, sizeof ln, "%d", pline);
    free(args);
    return lex_fail(L, L->tline, "expected ')' to close the '(' of line %s, found %s", ln, tok_desc(L, tb, sizeof tb)),
           -1;
  }
  n->args = pp_arena_alloc(L->ar, sizeof(char *) * (size_t)(na ? na : 1));
  if (!n->args) {
    free(args);
    return lex_nomem(L, L->tline), -1;
  }
  if (na) memcpy(n->args, args, sizeof(char *) * (size_t)na);
  free(args);
  n->n_args = na;
  lex_next(L);
  return 0;
}

static lnode *parse_stmt(lexer *L) {
  char tb[96];
  if (L->tok != T_WORD)
    return lex_fail(L, L->tline, "expected an attribute or group name, found %s%s", tok_desc(L, tb, sizeof tb), ""),
           NULL;
  lnode *n = pp_arena_alloc(L->ar, sizeof *n);
  if (!n) return lex_nomem(L, L->tline), NULL;
  n->name = L->text;
  n->line = L->tline;
  lex_next(L);
  if (L->tok == T_COLON) {
    n->kind = N_SIMPLE;
    int vline = L->tline;
    lex_next(L);
    if (parse_value(L, n, vline)) return NULL;
    if (L->tok == T_SEMI) lex_next(L);
    return n;
  }
  if (L->tok != T_LPAR)
    return lex_fail(L, L->tline, "expected ':' or '(' after '%s', found %s", n->name, tok_desc(L, tb, sizeof tb)),
           NULL;
  if (parse_args(L, n)) return NULL;
  if (L->tok == T_LBRACE) {
    n->kind = N_GROUP;
    if (++L->depth > MAX_DEPTH) return lex_fail(L, L->tline, "groups nested too deeply%s%s", "", ""), NULL;
    lex_next(L);
    n->child = parse_stmts(L, 1, n->name, n->line);
    L->depth--;
    if (L->tok == T_ERR) return NULL;
    lex_next(L); /* past '}' */
    if (L->tok == T_SEMI) lex_next(L);
    return n;
  }
  n->kind = N_COMPLEX;
  if (L->tok == T_SEMI) lex_next(L);
  return n;
}

static lnode *parse_stmts(lexer *L, int in_group, const char *gname, int gline) {
  lnode *first = NULL, **tail = &first;
  for (;;) {
    if (L->tok == T_ERR) return NULL;
    if (L->tok == T_SEMI) { /* stray ';' are harmless */
      lex_next(L);
      continue;
    }
    if (L->tok == T_EOF) {
      if (in_group) {
        char ln[16];
        snprintf(ln, sizeof ln, "%d", gline);
        lex_fail(L, L->tline, "expected '}' to close group '%s' opened at line %s, found end of file", gname, ln);
        return NULL;
      }
      return first;
    }
    if (L->tok == T_RBRACE) {
      if (!in_group) {
        lex_fail(L, L->tline, "unexpected '}': no group is open here%s%s", "", "");
        return NULL;
      }
      return first;
    }
    lnode *n = parse_stmt(L);
    if (!n) return NULL;
    *tail = n;
    tail = &n->next;
  }
}


int lib_parse_tree(const char *text, const char *file, pp_arena *ar, pp_err *e, lnode **top) {
  lexer L;
  memset(&L, 0, sizeof L);
  L.s = text;
  L.len = strlen(text);
  L.line = 1;
  L.file = file;
  L.ar = ar;
  L.e = e;
  lex_next(&L);
  *top = parse_stmts(&L, 0, "", 0);
  if (L.tok == T_ERR) return e && e->status ? e->status : PP_EPARSE;
  return PP_OK;
}

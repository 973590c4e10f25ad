// SPDX-License-Identifier: MIT
/*
 * In-house TOML parser (see toml.h). Single pass over the text with a cursor that tracks
 * line:col; recursion only for nested values, bounded by TOML_MAX_DEPTH.
 */
#include "util/err.h"
#include "config/toml.h"
#include "util/hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EOF_CH (-1)

struct parser {
	const char *p, *end;
	int line, col;
	struct toml_node *root;
	struct toml_node *cur;		/* table that receives key = value lines */
	unsigned int nodes;
	struct toml_error *err;
};

struct key_part {
	char *name;
	int line, col;
};

struct keypath {
	struct key_part part[TOML_MAX_DEPTH];
	unsigned int n;
};

struct buf {
	char *d;
	size_t len, cap;
};

/* ---- errors and cursor ---- */

/* Messages quote keys from the input: keep them on one line, free of control bytes. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int __attribute__((format(printf, 4, 5)))
error_at(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (ps->err) {
		ps->err->line = line;
		ps->err->col = col;
		va_start(ap, fmt);
		err_vfmt(ps->err->msg, sizeof(ps->err->msg), 0, fmt, ap);
		va_end(ap);
		one_line(ps->err->msg);
	}
	return -1;
}

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : EOF_CH;
}

static int peek_at(const struct parser *ps, size_t k)
{
	return (size_t)(ps->end - ps->p) > k ? (unsigned char)ps->p[k] : EOF_CH;
}

static void advance(struct parser *ps)
{
	unsigned char c = (unsigned char)*ps->p++;

	if (c == '\n') {
		ps->line++;
		ps->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		ps->col++;	/* columns count characters, not UTF-8 continuation bytes */
	}
}

static void advance_n(struct parser *ps, size_t n)
{
	while (n--)
		advance(ps);
}

/* Human description of the character at the cursor, for messages. */
static const char *describe(const struct parser *ps, char *tmp, size_t len)
{
	int c = peek(ps);

	if (c == EOF_CH)
		return "end of file";
	if (c == '\n' || (c == '\r' && peek_at(ps, 1) == '\n'))
		return "end of line";
	if (c == 0)
		return "NUL byte";
	if (c > 0x20 && c < 0x7f)
		snprintf(tmp, len, "'%c'", c);
	else if (c == ' ')
		snprintf(tmp, len, "space");
	else
		snprintf(tmp, len, "byte 0x%02x", c);
	return tmp;
}

static int error_here(struct parser *ps, const char *expected)
{
	char tmp[16];

	return error_at(ps, ps->line, ps->col, "expected %s, found %s", expected,
			describe(ps, tmp, sizeof(tmp)));
}

/* Length of the valid UTF-8 sequence at the cursor (>= 2 bytes), or 0. */
static size_t utf8_len(const struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->p;
	size_t avail = (size_t)(ps->end - ps->p), n, i;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool is_ctrl(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * Checks the character at the cursor inside a comment or string: control characters and
 * invalid UTF-8 are errors. Returns the byte length of the character or 0 on error.
 */
static size_t check_char(struct parser *ps, const char *where)
{
	int c = peek(ps);
	size_t n;

	if (c == 0)
		return error_at(ps, ps->line, ps->col, "NUL byte in %s", where), 0;
	if (is_ctrl(c))
		return error_at(ps, ps->line, ps->col, "control character U+%04X in %s", c,
				where), 0;
	if (c < 0x80)
		return 1;
	n = utf8_len(ps);
	if (!n)
		error_at(ps, ps->line, ps->col, "invalid UTF-8 in %s", where);
	return n;
}

static void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		advance(ps);
}

static int skip_comment(struct parser *ps)
{
	size_t n;

	advance(ps);	/* '#' */
	while (ps->p < ps->end && peek(ps) != '\n') {
		if (peek(ps) == '\r' && peek_at(ps, 1) == '\n')
			break;
		n = check_char(ps, "comment");
		if (!n)
			return -1;
		advance_n(ps, n);
	}
	return 0;
}

/* Consumes a newline if there is one: 1 consumed, 0 none, -1 lone CR. */
static int eat_newline(struct parser *ps)
{
	if (peek(ps) == '\n') {
		advance(ps);
		return 1;
	}
	if (peek(ps) == '\r') {
		if (peek_at(ps, 1) != '\n')
			return error_at(ps, ps->line, ps->col, "carriage return without line feed");
		advance_n(ps, 2);
		return 1;
	}
	return 0;
}

/* Whitespace, comments and newlines (inside arrays). */
static int skip_blank(struct parser *ps)
{
	int r;

	for (;;) {
		skip_ws(ps);
		if (peek(ps) == '#' && skip_comment(ps))
			return -1;
		r = eat_newline(ps);
		if (r < 0)
			return -1;
		if (!r)
			return 0;
	}
}

/* After a value or header: optional comment, then end of line or end of file. */
static int end_of_line(struct parser *ps, const char *after)
{
	char what[64];
	int r;

	skip_ws(ps);
	if (peek(ps) == '#' && skip_comment(ps))
		return -1;
	if (peek(ps) == EOF_CH)
		return 0;
	r = eat_newline(ps);
	if (r)
		return r < 0 ? -1 : 0;
	snprintf(what, sizeof(what), "end of line after %s", after);
	return error_here(ps, what);
}

/* ---- nodes ---- */

static struct toml_node *new_node(struct parser *ps, enum toml_type type, int line, int col,
				  unsigned int depth)
{
	struct toml_node *n;

	if (depth > TOML_MAX_DEPTH) {
		error_at(ps, line, col, "nesting too deep (max %d levels)", TOML_MAX_DEPTH);
		return NULL;
	}
	if (ps->nodes >= TOML_MAX_NODES) {
		error_at(ps, line, col, "too many values (max %d)", TOML_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		error_at(ps, line, col, "out of memory");
		return NULL;
	}
	ps->nodes++;
	n->type = type;
	n->line = n->key_line = line;
	n->col = n->key_col = col;
	n->depth = depth;
	return n;
}

void toml_free(struct toml_node *n)
{
	struct toml_node *next;

	/* Iterative: splice each node's children in right after it, then free it. */
	while (n) {
		if (n->child) {
			n->last->next = n->next;
			n->next = n->child;
		}
		next = n->next;
		free(n->key);
		if (n->type == TOML_STRING)
			free(n->v.s);
		free(n);
		n = next;
	}
}

static void node_free(struct toml_node *n)
{
	if (n) {
		n->next = NULL;
		toml_free(n);
	}
}

static void append(struct toml_node *parent, struct toml_node *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	parent->nchild++;
}

struct toml_node *toml_get(const struct toml_node *table, const char *key)
{
	struct toml_node *n;

	if (!table || table->type != TOML_TABLE)
		return NULL;
	for (n = table->child; n; n = n->next)
		if (n->key && !strcmp(n->key, key))
			return n;
	return NULL;
}

const char *toml_type_name(enum toml_type type)
{
	static const char *const names[] = {
		[TOML_TABLE] = "table", [TOML_ARRAY] = "array", [TOML_STRING] = "string",
		[TOML_INT] = "integer", [TOML_BOOL] = "boolean",
	};

	return (unsigned int)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* Adds n under key (ownership of key moves to n, also on error). */
static int table_add(struct parser *ps, struct toml_node *t, char *key, struct toml_node *n)
{
	n->key = key;
	if (t->nchild >= TOML_MAX_KEYS) {
		error_at(ps, n->key_line, n->key_col, "too many keys in one table (max %d)",
			 TOML_MAX_KEYS);
		node_free(n);
		return -1;
	}
	append(t, n);
	return 0;
}

/* ---- strings ---- */

static int buf_put(struct parser *ps, struct buf *b, const char *s, size_t n)
{
	char *d;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 32;
		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->d, cap);
		if (!d)
			return error_at(ps, ps->line, ps->col, "out of memory");
		b->d = d;
		b->cap = cap;
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
	b->d[b->len] = '\0';
	return 0;
}

static int buf_put_cp(struct parser *ps, struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(ps, b, u, n);
}

/* \uXXXX or \UXXXXXXXX; the cursor is on the 'u'/'U'. */
static int unicode_escape(struct parser *ps, struct buf *b, int line, int col)
{
	unsigned int i, digits = peek(ps) == 'u' ? 4 : 8;
	uint32_t cp = 0;
	int h;

	advance(ps);
	for (i = 0; i < digits; i++) {
		h = hex_digit(peek(ps));
		if (h < 0)
			return error_at(ps, line, col,
					"invalid unicode escape (\\%c needs %u hex digits)",
					digits == 4 ? 'u' : 'U', digits);
		cp = (cp << 4) | (uint32_t)h;
		advance(ps);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return error_at(ps, line, col, "invalid unicode escape: U+%X is not a scalar value",
				cp);
	if (cp == 0)
		return error_at(ps, line, col, "\\u0000 (NUL) is not allowed in strings");
	return buf_put_cp(ps, b, cp);
}

/* Multi-line "line ending backslash": skips whitespace and newlines. Cursor after '\'. */
static int line_continuation(struct parser *ps, int line, int col)
{
	int r;

	skip_ws(ps);
	r = eat_newline(ps);
	if (r < 0)
		return -1;
	if (!r)
		return error_at(ps, line, col, "invalid escape sequence '\\ ' (a line-ending "
				"backslash must be followed only by whitespace)");
	for (;;) {
		skip_ws(ps);
		r = eat_newline(ps);
		if (r <= 0)
			return r;
	}
}

static int escape(struct parser *ps, struct buf *b, bool multi)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int line = ps->line, col = ps->col, c;
	const char *e;
	char tmp[16];

	advance(ps);	/* '\' */
	c = peek(ps);
	if (c == 'u' || c == 'U')
		return unicode_escape(ps, b, line, col);
	if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		return line_continuation(ps, line, col);
	e = c > 0 ? strchr(from, c) : NULL;
	if (!e) {
		if (c > 0x20 && c < 0x7f)
			return error_at(ps, line, col, "invalid escape sequence '\\%c'", c);
		return error_at(ps, line, col, "invalid escape sequence: '\\' followed by %s",
				describe(ps, tmp, sizeof(tmp)));
	}
	advance(ps);
	return buf_put(ps, b, &to[e - from], 1);
}

/*
 * Closing delimiter of a multi-line string at the cursor (3 quotes; up to 2 more quotes
 * before them belong to the content). Returns 1 if closed, 0 if not.
 */
static int close_multi(struct parser *ps, struct buf *b, char q)
{
	size_t n = 0;

	while (n < 5 && peek_at(ps, n) == q)
		n++;
	if (n < 3)
		return 0;
	if (buf_put(ps, b, ps->p, n - 3))
		return -1;
	advance_n(ps, n);
	return 1;
}

/* One character of string content that is not an escape or a delimiter. */
static int string_char(struct parser *ps, struct buf *b, bool multi, int line, int col)
{
	int r;
	size_t n;

	if (peek(ps) == '\n' || peek(ps) == '\r') {
		if (!multi)
			return error_at(ps, line, col, "unterminated string (newline before the "
					"closing quote)");
		r = eat_newline(ps);
		if (r < 0)
			return -1;
		return buf_put(ps, b, "\n", 1);
	}
	n = check_char(ps, "string");
	if (!n)
		return -1;
	r = buf_put(ps, b, ps->p, n);
	advance_n(ps, n);
	return r;
}

/* Any string; the cursor is on the opening quote. *out is malloc'ed. */
static int parse_string(struct parser *ps, char **out)
{
	char q = (char)peek(ps);
	bool basic = q == '"', multi = peek_at(ps, 1) == q && peek_at(ps, 2) == q;
	int line = ps->line, col = ps->col, r;
	struct buf b = { 0 };

	advance_n(ps, multi ? 3 : 1);
	if (multi && eat_newline(ps) < 0)
		return -1;
	if (buf_put(ps, &b, "", 0))
		return -1;
	for (;;) {
		if (peek(ps) == EOF_CH) {
			r = error_at(ps, line, col, "unterminated string");
			break;
		}
		if (peek(ps) == q) {
			if (!multi) {
				advance(ps);
				r = 1;
				break;
			}
			r = close_multi(ps, &b, q);
			if (r)
				break;
			r = buf_put(ps, &b, &q, 1);
			advance(ps);
		} else if (basic && peek(ps) == '\\') {
			r = escape(ps, &b, multi);
		} else {
			r = string_char(ps, &b, multi, line, col);
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		free(b.d);
		return -1;
	}
	*out = b.d;
	return 0;
}

/* ---- keys ---- */

static bool is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int simple_key(struct parser *ps, struct key_part *kp)
{
	const char *start = ps->p;

	kp->line = ps->line;
	kp->col = ps->col;
	if (peek(ps) == '"' || peek(ps) == '\'') {
		if (peek_at(ps, 1) == peek(ps) && peek_at(ps, 2) == peek(ps))
			return error_at(ps, ps->line, ps->col,
					"multi-line strings cannot be used as keys");
		return parse_string(ps, &kp->name);
	}
	while (is_bare(peek(ps)))
		advance(ps);
	if (ps->p == start)
		return error_here(ps, "a key");
	kp->name = strndup(start, (size_t)(ps->p - start));
	if (!kp->name)
		return error_at(ps, kp->line, kp->col, "out of memory");
	return 0;
}

static void keypath_free(struct keypath *k)
{
	while (k->n)
		free(k->part[--k->n].name);
}

static int parse_key(struct parser *ps, struct keypath *k)
{
	k->n = 0;
	for (;;) {
		if (k->n >= TOML_MAX_DEPTH)
			return error_at(ps, ps->line, ps->col, "key has too many parts (max %d)",
					TOML_MAX_DEPTH);
		if (simple_key(ps, &k->part[k->n]))
			return -1;
		k->n++;
		skip_ws(ps);
		if (peek(ps) != '.')
			return 0;
		advance(ps);
		skip_ws(ps);
	}
}

/* "a.b.c" for messages. */
static const char *key_name(const struct keypath *k, unsigned int n, char *out, size_t len)
{
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "." : "",
					 k->part[i].name);
	return out;
}

/* "a table", "an inline table", "an integer", "a static array"... */
static const char *what_is(const struct toml_node *n)
{
	static const char *const names[] = {
		[TOML_TABLE] = "a table", [TOML_ARRAY] = "an array", [TOML_STRING] = "a string",
		[TOML_INT] = "an integer", [TOML_BOOL] = "a boolean",
	};

	if (n->type == TOML_TABLE && (n->flags & TOML_F_INLINE))
		return "an inline table";
	if (n->type == TOML_ARRAY && !(n->flags & TOML_F_AOT))
		return "a static array";
	if (n->type == TOML_ARRAY)
		return "an array of tables";
	return names[n->type];
}

/* Why an existing node cannot be used as a table here. */
static int cannot_extend(struct parser *ps, const struct key_part *kp,
			 const struct toml_node *n)
{
	const char *what = what_is(n);

	return error_at(ps, kp->line, kp->col,
			"cannot add to '%s': already defined as %s at %d:%d", kp->name,
			what, n->key_line, n->key_col);
}

static int duplicate(struct parser *ps, const struct key_part *kp, const struct toml_node *n)
{
	return error_at(ps, kp->line, kp->col, "duplicate key '%s' (first defined at %d:%d)",
			kp->name, n->key_line, n->key_col);
}

/* Creates an empty table under t for a key part. */
static struct toml_node *add_table(struct parser *ps, struct toml_node *t,
				   struct key_part *kp, unsigned int flags)
{
	struct toml_node *n = new_node(ps, TOML_TABLE, kp->line, kp->col, t->depth + 1);

	if (!n)
		return NULL;
	n->flags = flags;
	if (table_add(ps, t, kp->name, n))
		return (kp->name = NULL), NULL;
	kp->name = NULL;	/* now owned by n */
	return n;
}

/*
 * Walks the dotted key parts before the last one from t, creating tables. Dotted keys can
 * only extend tables that dotted keys created. Returns the parent table of the last part.
 */
static struct toml_node *walk_dotted(struct parser *ps, struct toml_node *t, struct keypath *k)
{
	struct toml_node *n;
	unsigned int i;

	for (i = 0; i + 1 < k->n; i++) {
		n = toml_get(t, k->part[i].name);
		if (!n) {
			n = add_table(ps, t, &k->part[i], TOML_F_DOTTED);
			if (!n)
				return NULL;
		} else if (n->type != TOML_TABLE || (n->flags & TOML_F_INLINE) ||
			   !(n->flags & TOML_F_DOTTED)) {
			cannot_extend(ps, &k->part[i], n);
			return NULL;
		}
		t = n;
	}
	n = toml_get(t, k->part[k->n - 1].name);
	if (n) {
		duplicate(ps, &k->part[k->n - 1], n);
		return NULL;
	}
	return t;
}

/* ---- values ---- */

static int parse_value(struct parser *ps, unsigned int depth, struct toml_node **out);

/* Decimal integer with optional sign; '_' only between digits; no leading zeros. */
static const char *parse_dec(const char *s, size_t len, int64_t *out)
{
	bool neg = false, prev_digit = false;
	uint64_t v = 0, limit;
	size_t i = 0, ndig = 0;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (i < len && s[i] == '0' && i + 1 < len)
		return "leading zeros are not allowed in integers";
	for (; i < len; i++) {
		if (s[i] == '_') {
			if (!prev_digit || i + 1 == len)
				return "'_' must be between digits";
			prev_digit = false;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return "invalid integer";
		if (v > (limit - (uint64_t)(s[i] - '0')) / 10)
			return "integer out of range (64-bit signed)";
		v = v * 10 + (uint64_t)(s[i] - '0');
		prev_digit = true;
		ndig++;
	}
	if (!ndig)
		return "invalid integer";
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return NULL;
}

/* 0x / 0o / 0b integers (no sign, '_' only between digits). */
static const char *parse_radix(const char *s, size_t len, int64_t *out)
{
	unsigned int shift = s[1] == 'x' ? 4 : s[1] == 'o' ? 3 : 1;
	unsigned int base = 1u << shift;
	bool prev_digit = false;
	uint64_t v = 0;
	size_t i;
	int d;

	if (len == 2)
		return "invalid integer: no digits after the prefix";
	for (i = 2; i < len; i++) {
		if (s[i] == '_') {
			if (!prev_digit || i + 1 == len)
				return "'_' must be between digits";
			prev_digit = false;
			continue;
		}
		d = hex_digit(s[i]);
		if (d < 0 || (unsigned int)d >= base)
			return "invalid digit in integer";
		if (v >> (63 - shift))
			return "integer out of range (64-bit signed)";
		v = (v << shift) | (unsigned int)d;
		prev_digit = true;
	}
	*out = (int64_t)v;
	return NULL;
}

static bool tok_has(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(set, s[i]))
			return true;
	return false;
}

static const char *number(const char *s, size_t len, int64_t *out)
{
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return parse_radix(s, len, out);
	if (len >= 3 && (s[0] == '+' || s[0] == '-') && s[1] == '0' &&
	    (s[2] == 'x' || s[2] == 'o' || s[2] == 'b'))
		return "hexadecimal, octal and binary integers cannot have a sign";
	if (tok_has(s, len, ":") || (len > 1 && memchr(s + 1, '-', len - 1)))
		return "dates and times are not supported";
	if (tok_has(s, len, ".eE") || strstr(s, "inf") || strstr(s, "nan"))
		return "floating-point numbers are not supported";
	return parse_dec(s, len, out);
}

static bool is_tok(int c)
{
	return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* true, false, integers; reports floats, dates and unquoted strings. */
static int parse_scalar(struct parser *ps, struct toml_node *n)
{
	const char *start = ps->p, *msg;
	char tok[160];
	size_t len;

	while (is_tok(peek(ps)))
		advance(ps);
	len = (size_t)(ps->p - start);
	if (!len)
		return error_at(ps, n->line, n->col, "expected a value, found %s",
				describe(ps, tok, sizeof(tok)));
	snprintf(tok, sizeof(tok), "%.*s", (int)len, start);
	if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
		n->type = TOML_BOOL;
		n->v.b = tok[0] == 't';
		return 0;
	}
	if (len >= sizeof(tok))
		return error_at(ps, n->line, n->col, "invalid value '%.20s...'", tok);
	if (!(tok[0] >= '0' && tok[0] <= '9') && tok[0] != '+' && tok[0] != '-') {
		if (!strcmp(tok, "inf") || !strcmp(tok, "nan"))
			return error_at(ps, n->line, n->col,
					"floating-point numbers are not supported");
		return error_at(ps, n->line, n->col,
				"invalid value '%s' (strings must be quoted)", tok);
	}
	msg = number(tok, len, &n->v.i);
	if (msg)
		return error_at(ps, n->line, n->col, "%s: '%s'", msg, tok);
	n->type = TOML_INT;
	return 0;
}

static int parse_array(struct parser *ps, struct toml_node *a)
{
	struct toml_node *e;
	char tmp[16];

	advance(ps);	/* '[' */
	a->flags |= TOML_F_INLINE;
	for (;;) {
		if (skip_blank(ps))
			return -1;
		if (peek(ps) == ']')
			break;
		if (peek(ps) == EOF_CH)
			return error_at(ps, a->line, a->col, "unterminated array");
		if (parse_value(ps, a->depth + 1, &e))
			return -1;
		append(a, e);
		if (skip_blank(ps))
			return -1;
		if (peek(ps) == ',') {
			advance(ps);
			continue;
		}
		if (peek(ps) == ']')
			break;
		if (peek(ps) == EOF_CH)
			return error_at(ps, a->line, a->col, "unterminated array");
		return error_at(ps, ps->line, ps->col,
				"expected ',' or ']' in array, found %s",
				describe(ps, tmp, sizeof(tmp)));
	}
	advance(ps);	/* ']' */
	return 0;
}

/* key = value with the key at the cursor, into table t. */
static int parse_keyval(struct parser *ps, struct toml_node *t)
{
	struct keypath k;
	struct key_part *last;
	struct toml_node *parent, *v;
	int r = -1;

	if (parse_key(ps, &k))
		goto out;
	if (peek(ps) != '=') {
		error_here(ps, "'=' after key");
		goto out;
	}
	advance(ps);
	skip_ws(ps);
	parent = walk_dotted(ps, t, &k);
	if (!parent)
		goto out;
	last = &k.part[k.n - 1];
	if (parse_value(ps, parent->depth + 1, &v))
		goto out;
	v->key_line = last->line;
	v->key_col = last->col;
	r = table_add(ps, parent, last->name, v);
	last->name = NULL;
out:
	keypath_free(&k);
	return r;
}

static int parse_inline_table(struct parser *ps, struct toml_node *t)
{
	char tmp[16];

	advance(ps);	/* '{' */
	skip_ws(ps);
	if (peek(ps) == '}')
		goto done;
	for (;;) {
		skip_ws(ps);
		if (peek(ps) == '}')
			return error_at(ps, ps->line, ps->col,
					"trailing comma not allowed in inline table");
		if (peek(ps) == '\n' || peek(ps) == '\r')
			return error_at(ps, ps->line, ps->col,
					"newline not allowed in inline table");
		if (parse_keyval(ps, t))
			return -1;
		skip_ws(ps);
		if (peek(ps) == ',') {
			advance(ps);
			continue;
		}
		if (peek(ps) == '}')
			break;
		if (peek(ps) == EOF_CH)
			return error_at(ps, t->line, t->col, "unterminated inline table");
		if (peek(ps) == '\n' || peek(ps) == '\r')
			return error_at(ps, ps->line, ps->col,
					"newline not allowed in inline table");
		return error_at(ps, ps->line, ps->col,
				"expected ',' or '}' in inline table, found %s",
				describe(ps, tmp, sizeof(tmp)));
	}
done:
	advance(ps);	/* '}' */
	t->flags |= TOML_F_INLINE;
	return 0;
}

/* Any value at the cursor; *out is a new detached node. */
static int parse_value(struct parser *ps, unsigned int depth, struct toml_node **out)
{
	struct toml_node *n;
	int c = peek(ps), r;

	n = new_node(ps, TOML_BOOL, ps->line, ps->col, depth);
	if (!n)
		return -1;
	if (c == '"' || c == '\'') {
		n->type = TOML_STRING;
		r = parse_string(ps, &n->v.s);
	} else if (c == '[') {
		n->type = TOML_ARRAY;
		r = parse_array(ps, n);
	} else if (c == '{') {
		n->type = TOML_TABLE;
		r = parse_inline_table(ps, n);
	} else {
		r = parse_scalar(ps, n);
	}
	if (r) {
		node_free(n);
		return -1;
	}
	*out = n;
	return 0;
}

/* ---- table headers ---- */

/* Parents of a header: existing tables (not inline) or the last table of [[arrays]]. */
static struct toml_node *walk_header(struct parser *ps, struct keypath *k)
{
	struct toml_node *t = ps->root, *n;
	unsigned int i;

	for (i = 0; i + 1 < k->n; i++) {
		n = toml_get(t, k->part[i].name);
		if (!n) {
			n = add_table(ps, t, &k->part[i], TOML_F_IMPLICIT);
			if (!n)
				return NULL;
		} else if (n->type == TOML_ARRAY && (n->flags & TOML_F_AOT)) {
			n = n->last;
		} else if (n->type != TOML_TABLE || (n->flags & TOML_F_INLINE)) {
			cannot_extend(ps, &k->part[i], n);
			return NULL;
		}
		t = n;
	}
	return t;
}

static int define_table(struct parser *ps, struct toml_node *t, struct keypath *k, int line,
			int col)
{
	struct key_part *last = &k->part[k->n - 1];
	struct toml_node *n = toml_get(t, last->name);
	char name[128];

	if (!n) {
		n = add_table(ps, t, last, TOML_F_HEADER);
		if (!n)
			return -1;
	} else if (n->type == TOML_TABLE && (n->flags & TOML_F_IMPLICIT)) {
		n->flags = (n->flags & ~TOML_F_IMPLICIT) | TOML_F_HEADER;
	} else if (n->type == TOML_TABLE && !(n->flags & TOML_F_INLINE)) {
		return error_at(ps, last->line, last->col,
				"table [%s] is already defined at %d:%d",
				key_name(k, k->n, name, sizeof(name)), n->key_line, n->key_col);
	} else {
		return cannot_extend(ps, last, n);
	}
	n->line = line;
	n->col = col;
	n->key_line = last->line;
	n->key_col = last->col;
	ps->cur = n;
	return 0;
}

static int append_table(struct parser *ps, struct toml_node *t, struct keypath *k, int line,
			int col)
{
	struct key_part *last = &k->part[k->n - 1];
	struct toml_node *a = toml_get(t, last->name), *n;
	char name[128];

	if (!a) {
		a = new_node(ps, TOML_ARRAY, last->line, last->col, t->depth + 1);
		if (!a)
			return -1;
		a->flags = TOML_F_AOT;
		a->line = line;	/* the first [[ header */
		a->col = col;
		if (table_add(ps, t, last->name, a))
			return (last->name = NULL), -1;
		last->name = NULL;
	} else if (a->type != TOML_ARRAY || !(a->flags & TOML_F_AOT)) {
		return error_at(ps, last->line, last->col,
				"cannot define array of tables [[%s]]: already defined as %s at %d:%d",
				key_name(k, k->n, name, sizeof(name)), what_is(a),
				a->key_line, a->key_col);
	}
	n = new_node(ps, TOML_TABLE, line, col, a->depth + 1);
	if (!n)
		return -1;
	n->flags = TOML_F_HEADER;
	n->key_line = last->line;
	n->key_col = last->col;
	append(a, n);
	ps->cur = n;
	return 0;
}

static int parse_header(struct parser *ps)
{
	int line = ps->line, col = ps->col, r = -1;
	bool aot = peek_at(ps, 1) == '[';
	struct toml_node *t;
	struct keypath k;

	advance_n(ps, aot ? 2 : 1);
	skip_ws(ps);
	if (parse_key(ps, &k))
		goto out;
	if (peek(ps) != ']' || (aot && peek_at(ps, 1) != ']')) {
		error_here(ps, aot ? "']]' to close the array of tables header" :
			   "']' to close the table header");
		goto out;
	}
	advance_n(ps, aot ? 2 : 1);
	t = walk_header(ps, &k);
	if (!t)
		goto out;
	r = aot ? append_table(ps, t, &k, line, col) : define_table(ps, t, &k, line, col);
	if (!r)
		r = end_of_line(ps, "table header");
out:
	keypath_free(&k);
	return r;
}

static int parse_document(struct parser *ps)
{
	int c, r;

	if (ps->end - ps->p >= 3 && !memcmp(ps->p, "\xef\xbb\xbf", 3))
		ps->p += 3;	/* UTF-8 byte order mark */
	for (;;) {
		skip_ws(ps);
		c = peek(ps);
		if (c == EOF_CH)
			return 0;
		if (c == '#') {
			r = skip_comment(ps);
		} else if (c == '\n' || c == '\r') {
			r = eat_newline(ps) < 0 ? -1 : 0;
		} else if (c == '[') {
			r = parse_header(ps);
		} else {
			r = parse_keyval(ps, ps->cur);
			if (!r)
				r = end_of_line(ps, "value");
		}
		if (r)
			return -1;
	}
}

struct toml_node *toml_parse(const char *text, size_t len, struct toml_error *err)
{
	struct parser ps = {
		.p = text, .end = text + len, .line = 1, .col = 1, .err = err,
	};

	if (err) {
		err->line = err->col = 0;
		err->msg[0] = '\0';
	}
	if (len > TOML_MAX_DOC) {
		error_at(&ps, 1, 1, "document too large (%zu bytes, max %u)", len, TOML_MAX_DOC);
		return NULL;
	}
	ps.root = new_node(&ps, TOML_TABLE, 1, 1, 0);
	if (!ps.root)
		return NULL;
	ps.cur = ps.root;
	if (parse_document(&ps)) {
		toml_free(ps.root);
		return NULL;
	}
	return ps.root;
}

/* SPDX-License-Identifier: MIT */
/*
 * In-house TOML parser for untrusted input (vm.toml). Builds a small document tree.
 *
 * Supported: tables, arrays of tables, dotted keys, bare/quoted keys, basic and literal
 * strings (also multi-line), integers (decimal with '_', 0x/0o/0b), booleans, arrays
 * (nested, mixed, trailing comma, newlines and comments inside), inline tables, comments.
 * Not supported (rejected with a clear message): floats, dates/times, "\u0000" in strings.
 *
 * Limits: document <= TOML_MAX_DOC bytes, nesting depth <= TOML_MAX_DEPTH, at most
 * TOML_MAX_NODES values and TOML_MAX_KEYS keys per table. Recursion is bounded by the depth
 * limit.
 */
#ifndef MICROVM_TOML_H
#define MICROVM_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_DOC	(1u << 20)
#define TOML_MAX_DEPTH	32
#define TOML_MAX_NODES	65536
#define TOML_MAX_KEYS	1024

enum toml_type { TOML_TABLE, TOML_ARRAY, TOML_STRING, TOML_INT, TOML_BOOL };

/* Node flags (mostly for the parser's redefinition rules). */
#define TOML_F_IMPLICIT	0x1	/* table created as a parent by a [a.b] header, not yet defined */
#define TOML_F_DOTTED	0x2	/* table created by a dotted key */
#define TOML_F_INLINE	0x4	/* inline table or array value: closed for extension */
#define TOML_F_AOT	0x8	/* array created by [[x]] headers */
#define TOML_F_HEADER	0x10	/* table defined by a [x] or [[x]] header */

struct toml_node {
	enum toml_type type;
	unsigned int flags;
	int line, col;		/* where the value (or the table header) starts, 1-based */
	int key_line, key_col;	/* where its key starts (== line/col for array elements) */
	char *key;		/* NULL for the root and for array elements */
	union {
		char *s;	/* TOML_STRING (NUL-terminated, no embedded NUL) */
		int64_t i;	/* TOML_INT */
		bool b;		/* TOML_BOOL */
	} v;
	unsigned int depth;	/* root = 0 */
	unsigned int nchild;	/* tables: keys; arrays: elements */
	struct toml_node *child, *last;	/* children in document order */
	struct toml_node *next;
};

struct toml_error {
	int line, col;
	char msg[256];
};

/*
 * Parses text (len bytes, need not be NUL-terminated). Returns the root table, or NULL
 * with err filled (line:col of the offending character and a message).
 */
struct toml_node *toml_parse(const char *text, size_t len, struct toml_error *err);
void toml_free(struct toml_node *root);

/* Child of a table by key, or NULL. */
struct toml_node *toml_get(const struct toml_node *table, const char *key);
/* "table", "array", "string", "integer", "boolean". */
const char *toml_type_name(enum toml_type type);

#endif

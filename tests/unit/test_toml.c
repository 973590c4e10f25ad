// SPDX-License-Identifier: MIT
/* Unit tests: the in-house TOML parser (valid documents and malformed ones). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"

static struct toml_node *parse_ok(const char *doc)
{
	struct toml_error err;
	struct toml_node *root = toml_parse(doc, strlen(doc), &err);

	ck_assert_msg(root, "parse failed: %d:%d: %s\n--- document:\n%s", err.line, err.col,
		      err.msg, doc);
	return root;
}

static struct toml_node *path(struct toml_node *t, const char *a, const char *b)
{
	struct toml_node *n = toml_get(t, a);

	ck_assert_msg(n, "missing key %s", a);
	if (b) {
		n = toml_get(n, b);
		ck_assert_msg(n, "missing key %s.%s", a, b);
	}
	return n;
}

static int64_t get_int(struct toml_node *t, const char *a, const char *b)
{
	struct toml_node *n = path(t, a, b);

	ck_assert_int_eq(n->type, TOML_INT);
	return n->v.i;
}

static const char *get_str(struct toml_node *t, const char *a, const char *b)
{
	struct toml_node *n = path(t, a, b);

	ck_assert_int_eq(n->type, TOML_STRING);
	return n->v.s;
}

static struct toml_node *nth(struct toml_node *a, unsigned int i)
{
	struct toml_node *n = a->child;

	while (n && i--)
		n = n->next;
	ck_assert_ptr_nonnull(n);
	return n;
}

START_TEST(test_empty_and_comments)
{
	struct toml_node *r = parse_ok("");

	ck_assert_int_eq(r->type, TOML_TABLE);
	ck_assert_uint_eq(r->nchild, 0);
	toml_free(r);
	r = parse_ok("# only a comment\n\n   \t\n# another \xc3\xa9 comment");
	ck_assert_uint_eq(r->nchild, 0);
	toml_free(r);
	r = parse_ok("\xef\xbb\xbf" "a = 1 # trailing comment\r\n[t] # table comment\r\nb = 2");
	ck_assert_int_eq(get_int(r, "a", NULL), 1);
	ck_assert_int_eq(get_int(r, "t", "b"), 2);
	toml_free(r);
}
END_TEST

START_TEST(test_integers)
{
	struct toml_node *r = parse_ok(
		"a = 0\nb = +17\nc = -17\nd = 1_000_000\ne = 9223372036854775807\n"
		"f = -9223372036854775808\ng = 0xDEAD_beef\nh = 0o755\ni = 0b1101\n"
		"j = 0x7fffffffffffffff\nk = -0\nl = 0x00ff\n");

	ck_assert_int_eq(get_int(r, "a", NULL), 0);
	ck_assert_int_eq(get_int(r, "b", NULL), 17);
	ck_assert_int_eq(get_int(r, "c", NULL), -17);
	ck_assert_int_eq(get_int(r, "d", NULL), 1000000);
	ck_assert_int_eq(get_int(r, "e", NULL), INT64_MAX);
	ck_assert_int_eq(get_int(r, "f", NULL), INT64_MIN);
	ck_assert_int_eq(get_int(r, "g", NULL), 0xdeadbeef);
	ck_assert_int_eq(get_int(r, "h", NULL), 0755);
	ck_assert_int_eq(get_int(r, "i", NULL), 13);
	ck_assert_int_eq(get_int(r, "j", NULL), INT64_MAX);
	ck_assert_int_eq(get_int(r, "k", NULL), 0);
	ck_assert_int_eq(get_int(r, "l", NULL), 255);
	toml_free(r);
}
END_TEST

START_TEST(test_booleans)
{
	struct toml_node *r = parse_ok("t = true\nf = false\n");

	ck_assert_int_eq(path(r, "t", NULL)->type, TOML_BOOL);
	ck_assert(path(r, "t", NULL)->v.b);
	ck_assert(!path(r, "f", NULL)->v.b);
	toml_free(r);
}
END_TEST

START_TEST(test_basic_strings)
{
	struct toml_node *r = parse_ok(
		"a = \"plain\"\n"
		"b = \"esc \\b\\t\\n\\f\\r\\\"\\\\ end\"\n"
		"c = \"\\u00e9\\U0001F600\\u20AC\"\n"
		"d = \"\"\n"
		"e = \"utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n"
		"f = \"tab\tinside # not a comment\"\n");

	ck_assert_str_eq(get_str(r, "a", NULL), "plain");
	ck_assert_str_eq(get_str(r, "b", NULL), "esc \b\t\n\f\r\"\\ end");
	ck_assert_str_eq(get_str(r, "c", NULL), "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac");
	ck_assert_str_eq(get_str(r, "d", NULL), "");
	ck_assert_str_eq(get_str(r, "e", NULL), "utf8 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	ck_assert_str_eq(get_str(r, "f", NULL), "tab\tinside # not a comment");
	toml_free(r);
}
END_TEST

START_TEST(test_literal_strings)
{
	struct toml_node *r = parse_ok("a = 'C:\\path\\no\\escapes'\nb = '\"quoted\"'\nc = ''\n");

	ck_assert_str_eq(get_str(r, "a", NULL), "C:\\path\\no\\escapes");
	ck_assert_str_eq(get_str(r, "b", NULL), "\"quoted\"");
	ck_assert_str_eq(get_str(r, "c", NULL), "");
	toml_free(r);
}
END_TEST

START_TEST(test_multiline_strings)
{
	struct toml_node *r = parse_ok(
		"a = \"\"\"\nline1\nline2\"\"\"\n"
		"b = \"\"\"one \\\n     two \\\n\n  three\"\"\"\n"
		"c = \"\"\"x \"\" y\"\"\"\"\"\n"
		"d = '''\nraw \\n\r\nline'''\n"
		"e = '''a''''\n"
		"f = \"\"\"\"\"\"\n");

	ck_assert_str_eq(get_str(r, "a", NULL), "line1\nline2");
	ck_assert_str_eq(get_str(r, "b", NULL), "one two three");
	ck_assert_str_eq(get_str(r, "c", NULL), "x \"\" y\"\"");
	ck_assert_str_eq(get_str(r, "d", NULL), "raw \\n\nline");
	ck_assert_str_eq(get_str(r, "e", NULL), "a'");
	ck_assert_str_eq(get_str(r, "f", NULL), "");
	toml_free(r);
}
END_TEST

START_TEST(test_keys)
{
	struct toml_node *r = parse_ok(
		"bare_key-1 = 1\n1234 = 2\n\"quoted key\" = 3\n'lit.key' = 4\n"
		"\"\\u00e9\" = 5\n\"\" = 6\n  spaced   =   7  \n");

	ck_assert_int_eq(get_int(r, "bare_key-1", NULL), 1);
	ck_assert_int_eq(get_int(r, "1234", NULL), 2);
	ck_assert_int_eq(get_int(r, "quoted key", NULL), 3);
	ck_assert_int_eq(get_int(r, "lit.key", NULL), 4);
	ck_assert_int_eq(get_int(r, "\xc3\xa9", NULL), 5);
	ck_assert_int_eq(get_int(r, "", NULL), 6);
	ck_assert_int_eq(get_int(r, "spaced", NULL), 7);
	toml_free(r);
}
END_TEST

START_TEST(test_dotted_keys)
{
	struct toml_node *r = parse_ok(
		"a.b.c = 1\na.b.d = 2\na . \"e f\" = 3\n[t]\nx.y = 4\n[t.x.z]\nw = 5\n");

	ck_assert_int_eq(get_int(path(r, "a", "b"), "c", NULL), 1);
	ck_assert_int_eq(get_int(path(r, "a", "b"), "d", NULL), 2);
	ck_assert_int_eq(get_int(r, "a", "e f"), 3);
	ck_assert_int_eq(get_int(path(r, "t", "x"), "y", NULL), 4);
	ck_assert_int_eq(get_int(path(path(r, "t", "x"), "z", NULL), "w", NULL), 5);
	toml_free(r);
}
END_TEST

START_TEST(test_tables)
{
	struct toml_node *r = parse_ok(
		"top = 0\n[a.b.c]\nx = 1\n[a]\ny = 2\n[a.b]\nz = 3\n[ \"q\" . 'r' ]\nv = 4\n[empty]\n");
	struct toml_node *c = path(path(r, "a", "b"), "c", NULL);

	ck_assert_int_eq(c->type, TOML_TABLE);
	ck_assert_int_eq(get_int(c, "x", NULL), 1);
	ck_assert_int_eq(get_int(r, "a", "y"), 2);
	ck_assert_int_eq(path(r, "a", "b")->type, TOML_TABLE);
	ck_assert_int_eq(get_int(path(r, "a", "b"), "z", NULL), 3);
	ck_assert_int_eq(get_int(path(r, "q", "r"), "v", NULL), 4);
	ck_assert_uint_eq(path(r, "empty", NULL)->nchild, 0);
	/* line:col of the header and of its key */
	ck_assert_int_eq(c->line, 2);
	ck_assert_int_eq(c->col, 1);
	ck_assert_int_eq(c->key_line, 2);
	ck_assert_int_eq(c->key_col, 6);
	toml_free(r);
}
END_TEST

START_TEST(test_array_of_tables)
{
	struct toml_node *r = parse_ok(
		"[[disk]]\npath = \"a\"\n[[disk]]\npath = \"b\"\n[disk.opts]\nro = true\n"
		"[[disk.part]]\nn = 1\n[[disk.part]]\nn = 2\n[[ other ]]\n");
	struct toml_node *d = path(r, "disk", NULL), *e;

	ck_assert_int_eq(d->type, TOML_ARRAY);
	ck_assert_uint_eq(d->nchild, 2);
	ck_assert_str_eq(get_str(nth(d, 0), "path", NULL), "a");
	e = nth(d, 1);
	ck_assert_str_eq(get_str(e, "path", NULL), "b");
	ck_assert(path(e, "opts", "ro")->v.b);
	ck_assert_uint_eq(path(e, "part", NULL)->nchild, 2);
	ck_assert_int_eq(get_int(nth(path(e, "part", NULL), 1), "n", NULL), 2);
	ck_assert_int_eq(e->line, 3);
	ck_assert_uint_eq(path(r, "other", NULL)->nchild, 1);
	toml_free(r);
}
END_TEST

START_TEST(test_arrays)
{
	struct toml_node *r = parse_ok(
		"a = []\nb = [1, 2, 3,]\nc = [ 1, \"two\", true, [3, [4]], {k = 5} ]\n"
		"d = [\n  1, # one\n  # comment line\n  2\n\n]\n"
		"e = [[], [[]]]\n");
	struct toml_node *c = path(r, "c", NULL);

	ck_assert_uint_eq(path(r, "a", NULL)->nchild, 0);
	ck_assert_uint_eq(path(r, "b", NULL)->nchild, 3);
	ck_assert_int_eq(nth(path(r, "b", NULL), 2)->v.i, 3);
	ck_assert_uint_eq(c->nchild, 5);
	ck_assert_str_eq(nth(c, 1)->v.s, "two");
	ck_assert_int_eq(nth(c, 2)->type, TOML_BOOL);
	ck_assert_int_eq(nth(nth(nth(c, 3), 1), 0)->v.i, 4);
	ck_assert_int_eq(get_int(nth(c, 4), "k", NULL), 5);
	ck_assert_uint_eq(path(r, "d", NULL)->nchild, 2);
	ck_assert_int_eq(nth(path(r, "d", NULL), 1)->line, 7);
	ck_assert_int_eq(nth(path(r, "d", NULL), 1)->col, 3);
	ck_assert_uint_eq(path(r, "e", NULL)->nchild, 2);
	toml_free(r);
}
END_TEST

START_TEST(test_inline_tables)
{
	struct toml_node *r = parse_ok(
		"a = {}\nb = { x = 1, y.z = \"s\", \"q\" = [1, 2], n = { m = true } }\n");

	ck_assert_uint_eq(path(r, "a", NULL)->nchild, 0);
	ck_assert_int_eq(get_int(r, "b", "x"), 1);
	ck_assert_str_eq(get_str(path(r, "b", "y"), "z", NULL), "s");
	ck_assert_uint_eq(path(r, "b", "q")->nchild, 2);
	ck_assert(path(path(r, "b", "n"), "m", NULL)->v.b);
	toml_free(r);
}
END_TEST

/* Cases cross-checked against Python's tomllib. */
START_TEST(test_table_rules_valid)
{
	struct toml_node *r = parse_ok(
		"[a.b]\n[a]\n[a.c]\n"			/* super-table after its sub-table */
		"[[x]]\n[x.y]\n[[x]]\n[x.y]\n"		/* each [[x]] entry has its own [x.y] */
		"[p]\nq.r = 1\n[p.q.s]\nt = 2\n"	/* sub-table of a dotted-key table */
		"[u]\n[[u.v]]\n[[u.v]]\n[u.v.w]\n");

	ck_assert_uint_eq(path(r, "a", NULL)->nchild, 2);
	ck_assert_uint_eq(path(r, "x", NULL)->nchild, 2);
	ck_assert_ptr_nonnull(toml_get(nth(path(r, "x", NULL), 1), "y"));
	ck_assert_int_eq(get_int(path(path(r, "p", "q"), "s", NULL), "t", NULL), 2);
	ck_assert_ptr_nonnull(toml_get(nth(path(r, "u", "v"), 1), "w"));
	toml_free(r);
	r = parse_ok("a = ''''quoted''''\nb = '''''q'''''\nc = 'it'\n");
	ck_assert_str_eq(get_str(r, "a", NULL), "'quoted'");
	ck_assert_str_eq(get_str(r, "b", NULL), "''q''");
	ck_assert_str_eq(get_str(r, "c", NULL), "it");
	toml_free(r);
}
END_TEST

START_TEST(test_positions)
{
	struct toml_node *r = parse_ok("\n[machine]\n  vcpus = 4\n\tname = \"x\xc3\xa9\"  # c\n");
	struct toml_node *v = path(r, "machine", "vcpus");

	ck_assert_int_eq(v->key_line, 3);
	ck_assert_int_eq(v->key_col, 3);
	ck_assert_int_eq(v->line, 3);
	ck_assert_int_eq(v->col, 11);
	v = path(r, "machine", "name");
	ck_assert_int_eq(v->key_line, 4);
	ck_assert_int_eq(v->key_col, 2);
	ck_assert_int_eq(v->col, 9);
	toml_free(r);
}
END_TEST

START_TEST(test_depth_limit_ok)
{
	char doc[128];
	struct toml_node *r;
	int i;

	/* a = [[...[1]...]] with the innermost array at depth 32 */
	strcpy(doc, "a = ");
	for (i = 0; i < 31; i++)
		strcat(doc, "[");
	strcat(doc, "1");
	for (i = 0; i < 31; i++)
		strcat(doc, "]");
	r = parse_ok(doc);
	toml_free(r);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(toml_type_name(TOML_TABLE), "table");
	ck_assert_str_eq(toml_type_name(TOML_ARRAY), "array");
	ck_assert_str_eq(toml_type_name(TOML_STRING), "string");
	ck_assert_str_eq(toml_type_name(TOML_INT), "integer");
	ck_assert_str_eq(toml_type_name(TOML_BOOL), "boolean");
	ck_assert_ptr_null(toml_get(NULL, "x"));
	toml_free(NULL);
}
END_TEST

/* ---- malformed documents ---- */

struct bad {
	const char *doc;
	size_t len;	/* 0 = strlen(doc) (documents with NUL bytes give it) */
	int line, col;
	const char *msg;
};

static const struct bad bad_docs[] = {
	{ "a = 1\na = 2\n", 0, 2, 1, "duplicate key 'a' (first defined at 1:1)" },
	{ "[t]\nx = 1\n[t]\n", 0, 3, 2, "table [t] is already defined at 1:2" },
	{ "a = \"abc\nb = 1\n", 0, 1, 5, "unterminated string (newline before" },
	{ "a = \"abc", 0, 1, 5, "unterminated string" },
	{ "a = '''abc\n", 0, 1, 5, "unterminated string" },
	{ "a = \"\\q\"", 0, 1, 6, "invalid escape sequence '\\q'" },
	{ "a = \"\\x41\"", 0, 1, 6, "invalid escape sequence '\\x'" },
	{ "a = \"\\u12\"", 0, 1, 6, "invalid unicode escape (\\u needs 4 hex digits)" },
	{ "a = \"\\UD800D800\"", 0, 1, 6, "is not a scalar value" },
	{ "a = \"\\uDFFF\"", 0, 1, 6, "U+DFFF is not a scalar value" },
	{ "a = \"\\u0000\"", 0, 1, 6, "\\u0000 (NUL) is not allowed in strings" },
	{ "a = \"x\0y\"", 9, 1, 7, "NUL byte in string" },
	{ "a = 1\0", 6, 1, 6, "expected end of line after value, found NUL byte" },
	{ "a = \"\x01\"", 0, 1, 6, "control character U+0001 in string" },
	{ "a = 'x\x7f'", 0, 1, 7, "control character U+007F in string" },
	{ "# bad \x1b comment\n", 0, 1, 7, "control character U+001B in comment" },
	{ "a = \"\xff\"", 0, 1, 6, "invalid UTF-8 in string" },
	{ "a = \"\xc0\xaf\"", 0, 1, 6, "invalid UTF-8 in string" },
	{ "a = \"\xed\xa0\x80\"", 0, 1, 6, "invalid UTF-8 in string" },
	{ "a = 1 2", 0, 1, 7, "expected end of line after value, found '2'" },
	{ "a = \"x\" \"y\"", 0, 1, 9, "expected end of line after value, found '\"'" },
	{ "a = 1x", 0, 1, 5, "invalid integer: '1x'" },
	{ "a = 01", 0, 1, 5, "leading zeros are not allowed in integers" },
	{ "a = 1__0", 0, 1, 5, "'_' must be between digits" },
	{ "a = 1_", 0, 1, 5, "'_' must be between digits" },
	{ "a = 0x_1", 0, 1, 5, "'_' must be between digits" },
	{ "a = _1", 0, 1, 5, "invalid value '_1' (strings must be quoted)" },
	{ "a = 9223372036854775808", 0, 1, 5, "integer out of range (64-bit signed)" },
	{ "a = -9223372036854775809", 0, 1, 5, "integer out of range" },
	{ "a = 0x8000000000000000", 0, 1, 5, "integer out of range" },
	{ "a = 0b11111111111111111111111111111111111111111111111111111111111111111", 0, 1, 5,
	  "integer out of range" },
	{ "a = 0x", 0, 1, 5, "no digits after the prefix" },
	{ "a = 0xG1", 0, 1, 5, "invalid digit in integer" },
	{ "a = 0o8", 0, 1, 5, "invalid digit in integer" },
	{ "a = +0x10", 0, 1, 5, "cannot have a sign" },
	{ "a = 1.5", 0, 1, 5, "floating-point numbers are not supported" },
	{ "a = 1e3", 0, 1, 5, "floating-point numbers are not supported" },
	{ "a = nan", 0, 1, 5, "floating-point numbers are not supported" },
	{ "a = 1979-05-27", 0, 1, 5, "dates and times are not supported" },
	{ "a = 07:32:00", 0, 1, 5, "dates and times are not supported" },
	{ "a = hello", 0, 1, 5, "invalid value 'hello' (strings must be quoted)" },
	{ "a = tru", 0, 1, 5, "invalid value 'tru'" },
	{ "a =", 0, 1, 4, "expected a value, found end of file" },
	{ "a = \n", 0, 1, 5, "expected a value, found end of line" },
	{ "= 1", 0, 1, 1, "expected a key, found '='" },
	{ "a 1", 0, 1, 3, "expected '=' after key, found '1'" },
	{ "a.= 1", 0, 1, 3, "expected a key, found '='" },
	{ "\x01 = 1", 0, 1, 1, "expected a key, found byte 0x01" },
	{ "\"\"\"k\"\"\" = 1", 0, 1, 1, "multi-line strings cannot be used as keys" },
	{ "a = [1, 2", 0, 1, 5, "unterminated array" },
	{ "a = [1 2]", 0, 1, 8, "expected ',' or ']' in array, found '2'" },
	{ "a = [1,,2]", 0, 1, 8, "expected a value, found ','" },
	{ "a = {x = 1,}", 0, 1, 12, "trailing comma not allowed in inline table" },
	{ "a = {x = 1\n}", 0, 1, 11, "newline not allowed in inline table" },
	{ "a = {x = 1", 0, 1, 5, "unterminated inline table" },
	{ "a = {x = 1 y = 2}", 0, 1, 12, "expected ',' or '}' in inline table, found 'y'" },
	{ "a = {x = 1, x = 2}", 0, 1, 13, "duplicate key 'x' (first defined at 1:6)" },
	{ "a = {x = 1}\n[a]\n", 0, 2, 2,
	  "cannot add to 'a': already defined as an inline table at 1:1" },
	{ "a = {x = {}}\n[a.x.y]\n", 0, 2, 2, "cannot add to 'a': already defined as an "
	  "inline table" },
	{ "a = {}\na.b = 1\n", 0, 2, 1, "cannot add to 'a': already defined as an inline table" },
	{ "[a]\nb.c = 1\n[a.b]\n", 0, 3, 4, "table [a.b] is already defined at 2:1" },
	{ "[a.b.c]\n[a]\nb.d = 1\n", 0, 3, 1,
	  "cannot add to 'b': already defined as a table at 1:4" },
	{ "a.b = 1\na.b.c = 2\n", 0, 2, 3,
	  "cannot add to 'b': already defined as an integer at 1:3" },
	{ "a = 1\n[a]\n", 0, 2, 2, "cannot add to 'a': already defined as an integer at 1:1" },
	{ "a = 1\n[a.b]\n", 0, 2, 2, "cannot add to 'a': already defined as an integer" },
	{ "[[a]]\n[a]\n", 0, 2, 2, "cannot add to 'a': already defined as an array of tables" },
	{ "a = []\n[[a]]\n", 0, 2, 3, "cannot define array of tables [[a]]: already defined "
	  "as a static array at 1:1" },
	{ "a = [{}]\n[a.b]\n", 0, 2, 2, "cannot add to 'a': already defined as a static array" },
	{ "[t]\n[[t]]\n", 0, 2, 3, "cannot define array of tables [[t]]: already defined as "
	  "a table at 1:2" },
	{ "a = {b = {c = 1}}\na.b.d = 2\n", 0, 2, 1,
	  "cannot add to 'a': already defined as an inline table at 1:1" },
	{ "[a]\nb = 1\n[a.b.c]\n", 0, 3, 4,
	  "cannot add to 'b': already defined as an integer at 2:1" },
	{ "[a.b.c]\n[a.b]\n[a.b]\n", 0, 3, 4, "table [a.b] is already defined at 2:4" },
	{ "a = \"\\e\"", 0, 1, 6, "invalid escape sequence '\\e'" },
	{ "a = 0b", 0, 1, 5, "no digits after the prefix" },
	{ "a = -0b1", 0, 1, 5, "cannot have a sign" },
	{ "a = 0_1", 0, 1, 5, "leading zeros are not allowed" },
	{ "a = +_1", 0, 1, 5, "'_' must be between digits" },
	{ "a = 'it''s'", 0, 1, 9, "expected end of line after value, found '''" },
	{ "[a\nb = 1", 0, 1, 3, "expected ']' to close the table header, found end of line" },
	{ "[[a]\n", 0, 1, 4, "expected ']]' to close the array of tables header" },
	{ "[]\n", 0, 1, 2, "expected a key, found ']'" },
	{ "[a.]\n", 0, 1, 4, "expected a key, found ']'" },
	{ "[a] b = 1\n", 0, 1, 5, "expected end of line after table header, found 'b'" },
	{ "[a]]\n", 0, 1, 4, "expected end of line after table header, found ']'" },
	{ "a = 1\rb = 2", 0, 1, 6, "carriage return without line feed" },
	{ "a = \"\"\"x\\ y\"\"\"", 0, 1, 9, "invalid escape sequence '\\ '" },
	{ "a = \"\"\"\"\"\"\"\"\"", 0, 1, 13, "expected end of line after value, found '\"'" },
	{ "x = 1\ny = [\n  1,\n  \"\\z\",\n]\n", 0, 4, 4, "invalid escape sequence '\\z'" },
};

START_TEST(test_malformed)
{
	const struct bad *b = &bad_docs[_i];
	size_t len = b->len ? b->len : strlen(b->doc);
	struct toml_error err;
	struct toml_node *r = toml_parse(b->doc, len, &err);

	ck_assert_msg(!r, "document #%d parsed but should fail: %s", _i, b->doc);
	ck_assert_msg(strstr(err.msg, b->msg), "document #%d: message \"%s\" lacks \"%s\"", _i,
		      err.msg, b->msg);
	ck_assert_msg(err.line == b->line && err.col == b->col,
		      "document #%d: error at %d:%d, expected %d:%d (%s)", _i, err.line,
		      err.col, b->line, b->col, err.msg);
}
END_TEST

START_TEST(test_depth_limit)
{
	char doc[128];
	struct toml_error err;
	int i;

	strcpy(doc, "a = ");
	for (i = 0; i < 40; i++)
		strcat(doc, "[");
	ck_assert_ptr_null(toml_parse(doc, strlen(doc), &err));
	ck_assert_str_eq(err.msg, "nesting too deep (max 32 levels)");
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.col, 4 + 33);	/* the 33rd '[' */
}
END_TEST

START_TEST(test_deep_header_limit)
{
	char doc[256] = "[a";
	struct toml_error err;
	int i;

	for (i = 0; i < 40; i++)
		strcat(doc, ".a");
	strcat(doc, "]\n");
	ck_assert_ptr_null(toml_parse(doc, strlen(doc), &err));
	ck_assert_str_eq(err.msg, "key has too many parts (max 32)");
}
END_TEST

START_TEST(test_size_limit)
{
	size_t len = TOML_MAX_DOC + 1;
	char *doc = malloc(len);
	struct toml_error err;

	ck_assert_ptr_nonnull(doc);
	memset(doc, '#', len);
	ck_assert_ptr_null(toml_parse(doc, len, &err));
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.col, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "document too large"));
	free(doc);
}
END_TEST

START_TEST(test_key_limit)
{
	size_t cap = (TOML_MAX_KEYS + 2) * 16, used = 0;
	char *doc = malloc(cap);
	struct toml_error err;
	int i;

	ck_assert_ptr_nonnull(doc);
	for (i = 0; i <= TOML_MAX_KEYS; i++)
		used += (size_t)snprintf(doc + used, cap - used, "k%d = %d\n", i, i);
	ck_assert_ptr_null(toml_parse(doc, used, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "too many keys in one table"));
	ck_assert_int_eq(err.line, TOML_MAX_KEYS + 1);
	free(doc);
}
END_TEST

static Suite *toml_suite(void)
{
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("valid");

	tcase_add_test(tc, test_empty_and_comments);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_basic_strings);
	tcase_add_test(tc, test_literal_strings);
	tcase_add_test(tc, test_multiline_strings);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_dotted_keys);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_array_of_tables);
	tcase_add_test(tc, test_arrays);
	tcase_add_test(tc, test_inline_tables);
	tcase_add_test(tc, test_table_rules_valid);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_depth_limit_ok);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(bad_docs) / sizeof(bad_docs[0]));
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_deep_header_limit);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_key_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(toml_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

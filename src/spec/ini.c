/* The raw INI: sections and entries with their line numbers.
 *
 * Debian's libinih is built without INI_HANDLER_LINENO and does not call
 * the handler on section headers, so we feed it through our own line
 * reader (ini_parse_stream): the reader counts physical lines, sees every
 * header, and the handler, called for the line just read, takes its line
 * number from it. The reader also strips leading whitespace, so indented
 * keys never turn into inih's multi-line continuations. */
#include "spec/internal.h"

#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int spec_error(lesde_err *e, const char *file, int line, const char *fmt, ...)
{
    char msg[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line == SPEC_LINE_SET)
        return err_set(e, LESDE_USAGE, "%s:--set: %s", file, msg);
    return err_set(e, LESDE_USAGE, "%s:%d: %s", file, line, msg);
}

int spec_nomem(lesde_err *e)
{
    return err_set(e, LESDE_FAIL, "spec: out of memory");
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int add_section(spec_raw *r, const char *name, int line)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 8;
        spec_raw_section *p = realloc(r->sec, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        r->sec = p;
        r->cap = cap;
    }
    spec_raw_section *s = &r->sec[r->n];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    if (!s->name)
        return -1;
    s->line = line;
    r->n++;
    return 0;
}

static int add_entry(spec_raw_section *s, const char *key, const char *value, int line)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        spec_raw_entry *p = realloc(s->e, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        s->e = p;
        s->cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    s->e[s->n++] = (spec_raw_entry){k, v, line};
    return 0;
}

spec_raw_entry *spec_raw_find(spec_raw_section *sec, const char *key)
{
    for (int i = 0; i < sec->n; i++)
        if (strcmp(sec->e[i].key, key) == 0)
            return &sec->e[i];
    return NULL;
}

static spec_raw_section *find_section(spec_raw *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->sec[i].name, name) == 0)
            return &r->sec[i];
    return NULL;
}

void spec_raw_free(spec_raw *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int j = 0; j < r->sec[i].n; j++) {
            free(r->sec[i].e[j].key);
            free(r->sec[i].e[j].value);
        }
        free(r->sec[i].e);
        free(r->sec[i].name);
    }
    free(r->sec);
    memset(r, 0, sizeof *r);
}

/* A study name is used in HDF5 paths and file names: keep it plain. */
static int valid_study_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SPEC_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

typedef struct {
    const char *p; /* next unread character of the text */
    const char *file;
    int line; /* physical line last handed to inih */
    int cur;  /* current section (index into raw), -1 before any */
    spec_raw *raw;
    lesde_err *e;
    int err_line; /* line of our first error (-1: none) */
    int failed;   /* out of memory */
} reader_ctx;

static int fail_at(reader_ctx *c, int line, int code)
{
    if (c->err_line < 0)
        c->err_line = line;
    if (code == LESDE_FAIL)
        c->failed = 1;
    return code;
}

/* A header line "[...]": checks it and makes it the current section. */
static void header(reader_ctx *c, const char *s, size_t len)
{
    const char *close = memchr(s, ']', len);
    if (!close)
        return; /* inih reports it as a syntax error on this line */
    const char *after = close + 1, *end = s + len;
    while (after < end && isspace((unsigned char)*after))
        after++;
    if (after < end && *after != ';' && *after != '#') {
        spec_error(c->e, c->file, c->line, "unexpected text after the section header ']'");
        fail_at(c, c->line, LESDE_USAGE);
        return;
    }
    const char *a = s + 1, *b = close;
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    char name[256];
    size_t n = (size_t)(b - a);
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, a, n);
    name[n] = '\0';
    if (strcmp(name, "sweep") != 0) {
        if (strncmp(name, "study.", 6) != 0) {
            spec_error(c->e, c->file, c->line,
                       "unknown section [%s] (expected [sweep] or [study.NAME])", name);
            fail_at(c, c->line, LESDE_USAGE);
            return;
        }
        if (!valid_study_name(name + 6)) {
            spec_error(c->e, c->file, c->line,
                       "bad study name '%s' (1 to %d letters, digits, '_' or '-')", name + 6,
                       SPEC_NAME_MAX - 1);
            fail_at(c, c->line, LESDE_USAGE);
            return;
        }
    }
    spec_raw_section *old = find_section(c->raw, name);
    if (old) {
        if (strcmp(name, "sweep") == 0)
            spec_error(c->e, c->file, c->line, "duplicate section [sweep] (first on line %d)",
                       old->line);
        else
            spec_error(c->e, c->file, c->line, "duplicate study '%s' (first on line %d)", name + 6,
                       old->line);
        fail_at(c, c->line, LESDE_USAGE);
        return;
    }
    if (add_section(c->raw, name, c->line) != 0) {
        spec_nomem(c->e);
        fail_at(c, c->line, LESDE_FAIL);
        return;
    }
    c->cur = c->raw->n - 1;
}

/* inih's reader: one physical line per call, leading whitespace removed. */
static char *read_line(char *buf, int num, void *stream)
{
    reader_ctx *c = stream;
    if (c->err_line >= 0 || !*c->p)
        return NULL; /* stop at our first error */
    const char *s = c->p, *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    c->p = nl ? nl + 1 : s + len;
    c->line++;
    if (c->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3; /* UTF-8 byte order mark */
        len -= 3;
    }
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (len && s[len - 1] == '\r')
        len--;
    if (len + 2 > (size_t)num) {
        spec_error(c->e, c->file, c->line, "line longer than %d characters", num - 2);
        fail_at(c, c->line, LESDE_USAGE);
        return NULL;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (len && buf[0] == '[')
        header(c, buf, len);
    return buf;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    reader_ctx *c = user;
    (void)section; /* ours (c->cur) is the same, and knows its line */
    if (c->err_line >= 0)
        return 1;
    if (!*name) {
        spec_error(c->e, c->file, c->line, "missing key before '='");
        fail_at(c, c->line, LESDE_USAGE);
        return 1;
    }
    if (c->cur < 0) {
        spec_error(c->e, c->file, c->line,
                   "'%s' is outside any section (start with [sweep] or [study.NAME])", name);
        fail_at(c, c->line, LESDE_USAGE);
        return 1;
    }
    spec_raw_section *sec = &c->raw->sec[c->cur];
    spec_raw_entry *old = spec_raw_find(sec, name);
    if (old) {
        spec_error(c->e, c->file, c->line, "duplicate key '%s' in [%s] (first on line %d)", name,
                   sec->name, old->line);
        fail_at(c, c->line, LESDE_USAGE);
        return 1;
    }
    if (!*value) {
        spec_error(c->e, c->file, c->line, "empty value for '%s'", name);
        fail_at(c, c->line, LESDE_USAGE);
        return 1;
    }
    if (add_entry(sec, name, value, c->line) != 0) {
        spec_nomem(c->e);
        fail_at(c, c->line, LESDE_FAIL);
    }
    return 1;
}

/* Line n of text (1-based), stripped, for a syntax message. */
static void line_text(const char *text, int n, char *out, size_t size)
{
    const char *s = text;
    for (int i = 1; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    out[0] = '\0';
    if (!s)
        return;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strcspn(s, "\r\n");
    if (len >= size)
        len = size - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

int spec_raw_read(spec_raw *r, const char *text, const char *file, lesde_err *e)
{
    memset(r, 0, sizeof *r);
    reader_ctx c = {.p = text,
                    .file = file,
                    .line = 0,
                    .cur = -1,
                    .raw = r,
                    .e = e,
                    .err_line = -1,
                    .failed = 0};
    int rc = ini_parse_stream(read_line, &c, on_entry, &c);
    if (c.failed) {
        spec_raw_free(r);
        return LESDE_FAIL;
    }
    /* inih's own syntax errors: report whichever error comes first. */
    if (rc > 0 && (c.err_line < 0 || rc < c.err_line)) {
        char t[64];
        line_text(text, rc, t, sizeof t);
        if (t[0] == '[')
            spec_error(e, file, rc, "bad section header '%s' (expected [NAME])", t);
        else
            spec_error(e, file, rc, "expected 'key = value', '[section]' or a comment, not '%s'",
                       t);
        spec_raw_free(r);
        return LESDE_USAGE;
    }
    if (rc < 0) {
        spec_raw_free(r);
        return spec_nomem(e);
    }
    if (c.err_line >= 0) {
        spec_raw_free(r);
        return LESDE_USAGE;
    }
    return LESDE_OK;
}

static void trim(const char **a, const char **b)
{
    while (*a < *b && isspace((unsigned char)**a))
        (*a)++;
    while (*b > *a && isspace((unsigned char)(*b)[-1]))
        (*b)--;
}

int spec_raw_override(spec_raw *r, const char *set, const char *file, lesde_err *e)
{
    /* A file line never holds a line break, an argument may: refuse it
     * before it is echoed into a message (errors are one line). */
    for (const char *c = set; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t')
            return spec_error(e, file, SPEC_LINE_SET,
                              "a --set holds a control character (0x%02x)", (unsigned char)*c);
    const char *eq = strchr(set, '=');
    if (!eq)
        return spec_error(e, file, SPEC_LINE_SET,
                          "'%s': expected study.NAME.key=value or sweep.key=value", set);
    const char *ka = set, *kb = eq, *va = eq + 1, *vb = eq + strlen(eq);
    trim(&ka, &kb);
    trim(&va, &vb);
    char target[256];
    if ((size_t)(kb - ka) >= sizeof target)
        return spec_error(e, file, SPEC_LINE_SET, "'%s': target too long", set);
    memcpy(target, ka, (size_t)(kb - ka));
    target[kb - ka] = '\0';

    /* The key follows the last '.': study names have no dots. */
    char *dot = strrchr(target, '.');
    if (!dot || dot == target || !dot[1])
        return spec_error(e, file, SPEC_LINE_SET,
                          "'%s': expected study.NAME.key=value or sweep.key=value", set);
    *dot = '\0';
    const char *secname = target, *key = dot + 1;
    if (strcmp(secname, "sweep") != 0 && strncmp(secname, "study.", 6) != 0)
        return spec_error(e, file, SPEC_LINE_SET,
                          "'%s': expected study.NAME.key=value or sweep.key=value", set);
    if (va == vb)
        return spec_error(e, file, SPEC_LINE_SET, "'%s': empty value", set);

    spec_raw_section *sec = find_section(r, secname);
    if (!sec) {
        if (strcmp(secname, "sweep") != 0)
            return spec_error(e, file, SPEC_LINE_SET, "'%s': no study '%s' in the spec", set,
                              secname + 6);
        if (add_section(r, "sweep", SPEC_LINE_SET) != 0)
            return spec_nomem(e);
        sec = &r->sec[r->n - 1];
    }
    char *value = dup_range(va, (size_t)(vb - va));
    if (!value)
        return spec_nomem(e);
    spec_raw_entry *old = spec_raw_find(sec, key);
    if (old) {
        free(old->value);
        old->value = value;
        old->line = SPEC_LINE_SET;
        return LESDE_OK;
    }
    int rc = add_entry(sec, key, value, SPEC_LINE_SET);
    free(value);
    return rc ? spec_nomem(e) : LESDE_OK;
}

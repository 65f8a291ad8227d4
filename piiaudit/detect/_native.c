/* One-pass scans the detector runs over every segment, in C.

   The pure-Python/numpy versions of these (index.Text, prefilter.GramFilter) cost some
   twenty whole-buffer passes with temporaries; each function here is one loop over the
   bytes.  Both paths return exactly the same results: tests/test_detect_native.py
   compares them on random and hostile input.

   class_runs(data) -> (digits, hexes, b64, has_long)
       One pass over the bytes, three character classes at once:
       digits: maximal digit runs a search can use: 8..20 long, except 13-digit runs
         that do not start with 861 (millisecond timestamps, most digit runs in SDK
         batches; coordinates take 8..10 digits, the patterns 11 and 14..20, +86 phones 13);
       hexes: maximal hex-digit runs that may hide text or compressed data (the test of
         engine.Scanner._try_token): even length >= 32, not all digits, starting with
         one of 1-7 c-e C-E, and at most 2 of the first 8 even-placed digits outside 2-7
         (printable ASCII is 0x20-0x7f), unless it starts with a compressed-data magic;
       b64: maximal base64-class runs (A-Z a-z 0-9 + / _ -) >= 16 that may be base64 of
         something (the case-mix test of engine.Scanner._try_token: length not 4k+1, and
         at least 15% upper- and 15% lower-case letters, or a compressed-data magic);
       has_long: is there any base64-class run >= 11 (index.RUN_FLOOR)?
       Runs are lists of (start, end).

   find_all(haystack, needles, folded=()) -> list of lists
       Every offset of each needle (up to 64 non-empty bytes objects in all), overlapping
       occurrences included, in one pass: what a bytes.find loop per needle gives. The
       `folded` needles are lower-case and match ASCII letters of either case (a find
       loop over haystack.lower()); their lists follow the others'.

   mac_candidates(data, sep) -> list of offsets
       Offsets where a 17-byte MAC shape with separator `sep` (a byte value) may start:
       the separator at its five places (patterns.py checks the digits).

   gram_hits(low, bits8, bloom8, bits4, bloom4) -> list of offsets
       Offsets (multiples of 4) whose 8-byte block, or whose 4-byte block, may be one of
       the prefilter's grams: a Bloom filter of 2**bits bits with two probes taken from
       one 64-bit multiplicative hash of the block (little-endian, bytes past the end
       read as zero), h1 = top `bits` bits and h2 = the next `bits`; prefilter._Table
       builds the filters the same way. Filters are packed little-endian
       (numpy.packbits(bitorder="little")); an empty filter is skipped. Sized to stay in
       the L2 cache: a probe that misses it costs more than the whole rest of the scan.

   unquote(data, plus=False) -> bytes
       Percent-decoding exactly as urllib.parse.unquote_to_bytes: each '%' followed by two
       hex digits (either case) becomes that byte, any other '%' stays as it is; with
       plus=True every '+' becomes a space first (form values). The input object itself
       comes back when nothing changes.

   quiet(data, needles, grams, scaled, keyed, flags) -> bool
       True when no search of the detector can find anything in `data`, so the segment
       needs no Python at all (engine.Scanner._scan); False as soon as any candidate is
       seen. A necessary condition of every stage, checked in one call:
       needles: literals any of which is a candidate wherever it stands (coordinate
         anchors, '@', '%', a backslash, the gzip magic... what each stage and decoder
         looks for first);
       grams: per known-value index, (bits8, bloom8, exact8, bits4, bloom4, exact4): a
         block of the lower-cased text whose gram is in an exact set (after the Bloom
         filter of gram_hits) may start a variant (prefilter.py: every variant covers
         such a block);
       scaled: leading digits of integer coordinates: a digit run of 8..10 starting with
         one is a candidate;
       keyed: lower-case key words after which a UUID or a bare hex id is looked for (a
         run of 8 hex digits starting within 40 bytes of the word is a candidate), only
         when a base64-class run of 11 exists (patterns.find_patterns);
       flags & 1 (patterns): a digit run of 11 or 14..20, or 13 starting 861, with no
         letter or digit around it (17 digits may end in X), or a MAC shape (':' or '-'
         at its five places), is a candidate;
       flags & 2 (tokens): a hex token or a plausible base64 run (class_runs) is one.
*/
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE   /* memmem */
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { C_DIGIT = 1, C_HEX = 2, C_B64 = 4, C_UPPER = 8, C_LOWER = 16 };

static unsigned char CLASS[256];

static void init_classes(void)
{
    for (int c = 0; c < 256; c++) {
        unsigned char f = 0;
        if (c >= '0' && c <= '9') f |= C_DIGIT | C_HEX | C_B64;
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= C_HEX;
        if (c >= 'A' && c <= 'Z') f |= C_B64 | C_UPPER;
        if (c >= 'a' && c <= 'z') f |= C_B64 | C_LOWER;
        if (c == '+' || c == '/' || c == '_' || c == '-') f |= C_B64;
        CLASS[c] = f;
    }
}

enum { DIGIT_FLOOR = 8, DIGIT_CEIL = 20, HEX_TOKEN_FLOOR = 32, B64_FLOOR = 16, LONG_FLOOR = 11 };

static int append_pair(PyObject *list, Py_ssize_t s, Py_ssize_t e)
{
    PyObject *t = PyTuple_New(2);
    if (t == NULL) return -1;
    PyObject *a = PyLong_FromSsize_t(s), *b = PyLong_FromSsize_t(e);
    if (a == NULL || b == NULL) { Py_XDECREF(a); Py_XDECREF(b); Py_DECREF(t); return -1; }
    PyTuple_SET_ITEM(t, 0, a);
    PyTuple_SET_ITEM(t, 1, b);
    int rc = PyList_Append(list, t);
    Py_DECREF(t);
    return rc;
}

static int starts_compressed(const unsigned char *p, Py_ssize_t n)
{
    /* gzip, zstd and zlib magics in base64 (engine._COMPRESSED_B64) */
    if (n >= 4 && (memcmp(p, "H4sI", 4) == 0 || memcmp(p, "KLUv", 4) == 0)) return 1;
    return n >= 2 && p[0] == 'e' && (p[1] == 'J' || p[1] == 'N' || p[1] == 'F' || p[1] == 'A');
}

static int hex_token(const unsigned char *p, Py_ssize_t n)
{
    static const char *magic[] = {"1f8b", "28b52ffd", "789c", "7801", "78da", "785e"};
    if (n < HEX_TOKEN_FLOOR || n % 2) return 0;
    if (!strchr("1234567cdeCDE", p[0])) return 0;
    Py_ssize_t digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) digits += (CLASS[p[i]] & C_DIGIT) != 0;
    if (digits == n) return 0;
    int odd = 0;
    for (int i = 0; i < 16; i += 2) odd += p[i] < '2' || p[i] > '7';
    if (odd <= 2) return 1;
    for (size_t m = 0; m < sizeof magic / sizeof *magic; m++)
        if ((Py_ssize_t)strlen(magic[m]) <= n && memcmp(p, magic[m], strlen(magic[m])) == 0) return 1;
    return 0;
}

/* Digit and hex runs lie inside base64-class runs (both classes are subsets of it), so
   only base64-class runs long enough to hold a digit run of DIGIT_FLOOR are walked, for
   digits, hex digits and letter case; shorter runs (most of a JSON key, a protobuf tag)
   are mostly skipped eight bytes at a time. */
/* Maximal runs of `mask` bytes at least `floor` long inside [from, to), by skip scan:
   a run of `floor` or more that starts in [i, i+floor) covers i+floor-1, so when that
   byte is outside the class, `floor` positions are skipped at once. p[from-1] and p[to]
   are outside the class (the caller's run bounds), or out of range. */
#define FOR_EACH_RUN(p, from, to, mask, floor, rs, re, BODY)                      \
    do {                                                                          \
        Py_ssize_t i_ = (from);                                                   \
        while (i_ + (floor) <= (to)) {                                            \
            Py_ssize_t probe_ = i_ + (floor) - 1;                                 \
            if (!(CLASS[(p)[probe_]] & (mask))) { i_ = probe_ + 1; continue; }    \
            Py_ssize_t rs = probe_, re = probe_ + 1;                              \
            while (rs > i_ && (CLASS[(p)[rs - 1]] & (mask))) rs--;                \
            while (re < (to) && (CLASS[(p)[re]] & (mask))) re++;                  \
            i_ = re + 1;                                                          \
            if (re - rs >= (floor)) { BODY }                                      \
        }                                                                         \
    } while (0)

static int inner_runs(const unsigned char *p, Py_ssize_t bs, Py_ssize_t be,
                      PyObject *digits, PyObject *hexes, Py_ssize_t *up, Py_ssize_t *lo)
{
    int failed = 0;
    FOR_EACH_RUN(p, bs, be, C_DIGIT, DIGIT_FLOOR, ds, de, {
        Py_ssize_t len = de - ds;
        if (len <= DIGIT_CEIL && (len != 13 || (p[ds] == '8' && p[ds + 1] == '6' && p[ds + 2] == '1'))
            && append_pair(digits, ds, de) < 0) { failed = 1; break; }
    });
    if (failed) return -1;
    if (be - bs >= HEX_TOKEN_FLOOR) {
        FOR_EACH_RUN(p, bs, be, C_HEX, HEX_TOKEN_FLOOR, hs, he, {
            if (hex_token(p + hs, he - hs) && append_pair(hexes, hs, he) < 0) { failed = 1; break; }
        });
        if (failed) return -1;
    }
    Py_ssize_t u = 0, l = 0;
    if (be - bs >= B64_FLOOR) {
        for (Py_ssize_t i = bs; i < be; i++) {   /* branch-free letter counts */
            unsigned char f = CLASS[p[i]];
            u += (f >> 3) & 1;   /* C_UPPER */
            l += (f >> 4) & 1;   /* C_LOWER */
        }
    }
    *up = u;
    *lo = l;
    return 0;
}

/* The next run of the base64 class of DIGIT_FLOOR (8) bytes or more at or after *i: sets
   [*bs, *be), moves *i past it and returns 1; 0 when none is left. Skip scan: every run of
   eight or more that starts in [i, i+8) covers i+7, so when p[i+7] is outside the class the
   eight positions are skipped at once; otherwise the run around i+7 is found and walked.
   Invariant: p[*i - 1] is outside the class. */
static inline int next_class_run(const unsigned char *p, Py_ssize_t n, Py_ssize_t *i,
                                 Py_ssize_t *bs, Py_ssize_t *be)
{
    while (*i + DIGIT_FLOOR <= n) {
        Py_ssize_t probe = *i + DIGIT_FLOOR - 1;
        if (!(CLASS[p[probe]] & C_B64)) { *i = probe + 1; continue; }
        Py_ssize_t s = probe;
        while (s > *i && (CLASS[p[s - 1]] & C_B64)) s--;
        Py_ssize_t e = probe + 1;
        while (e < n && (CLASS[p[e]] & C_B64)) e++;
        *i = e + 1;
        if (e - s >= DIGIT_FLOOR) { *bs = s; *be = e; return 1; }
    }
    return 0;
}

static PyObject *class_runs(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    PyObject *digits = PyList_New(0), *hexes = PyList_New(0), *b64 = PyList_New(0);
    if (digits == NULL || hexes == NULL || b64 == NULL) goto fail;

    int has_long = 0;
    Py_ssize_t i = 0, bs, be;
    while (next_class_run(p, n, &i, &bs, &be)) {
        Py_ssize_t len = be - bs;
        Py_ssize_t up, lo;
        if (inner_runs(p, bs, be, digits, hexes, &up, &lo) < 0) goto fail;
        if (len >= LONG_FLOOR) has_long = 1;
        if (len >= B64_FLOOR && len % 4 != 1
            && ((up * 20 >= len * 3 && lo * 20 >= len * 3) || starts_compressed(p + bs, len))
            && append_pair(b64, bs, be) < 0) goto fail;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(NNNO)", digits, hexes, b64, has_long ? Py_True : Py_False);

fail:
    PyBuffer_Release(&view);
    Py_XDECREF(digits);
    Py_XDECREF(hexes);
    Py_XDECREF(b64);
    return NULL;
}

static const uint64_t MUL64 = 0x9E3779B97F4A7C15ULL;

static inline int bit_set(const unsigned char *table, uint64_t h)
{
    return (table[h >> 3] >> (h & 7)) & 1;
}

static inline int bloom_has(const unsigned char *table, int bits, uint64_t block)
{
    uint64_t h = block * MUL64;
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    return bit_set(table, h >> (64 - bits)) && bit_set(table, (h >> (64 - 2 * bits)) & mask);
}

static PyObject *gram_hits(PyObject *self, PyObject *args)
{
    Py_buffer low, t8, t4;
    int bits8, bits4;
    if (!PyArg_ParseTuple(args, "y*iy*iy*", &low, &bits8, &t8, &bits4, &t4)) return NULL;
    PyObject *out = NULL;
    if (bits8 < 3 || bits8 > 32 || bits4 < 3 || bits4 > 32
        || (t8.len && t8.len < ((Py_ssize_t)1 << bits8) / 8)
        || (t4.len && t4.len < ((Py_ssize_t)1 << bits4) / 8)) {
        PyErr_SetString(PyExc_ValueError, "gram_hits: filter smaller than its bit count");
        goto done;
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    const unsigned char *p = (const unsigned char *)low.buf;
    const unsigned char *tab8 = (const unsigned char *)t8.buf, *tab4 = (const unsigned char *)t4.buf;
    Py_ssize_t n = low.len, n4 = n / 4;
    for (Py_ssize_t k = 0; k < n4; k++) {
        Py_ssize_t o = k * 4;
        uint64_t block = 0;
        if (o + 8 <= n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            memcpy(&block, p + o, 8);   /* one load */
#else
            for (int j = 7; j >= 0; j--) block = (block << 8) | p[o + j];
#endif
        } else {
            for (int j = 7; j >= 0; j--) block = (block << 8) | (o + j < n ? p[o + j] : 0);
        }
        int hit = t8.len && bloom_has(tab8, bits8, block);
        if (!hit && t4.len) hit = bloom_has(tab4, bits4, block & 0xFFFFFFFFULL);
        if (hit) {
            PyObject *v = PyLong_FromSsize_t(o);
            if (v == NULL || PyList_Append(out, v) < 0) { Py_XDECREF(v); Py_CLEAR(out); goto done; }
            Py_DECREF(v);
        }
    }
done:
    PyBuffer_Release(&low);
    PyBuffer_Release(&t8);
    PyBuffer_Release(&t4);
    return out;
}

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static PyObject *find_all(PyObject *self, PyObject *args)
{
    Py_buffer hay;
    PyObject *needles, *folded = NULL;
    if (!PyArg_ParseTuple(args, "y*O!|O!", &hay, &PyTuple_Type, &needles, &PyTuple_Type, &folded)) return NULL;
    Py_ssize_t k1 = PyTuple_GET_SIZE(needles), k = k1 + (folded ? PyTuple_GET_SIZE(folded) : 0);
    PyObject *out = NULL;
    const unsigned char *ptr[64];
    Py_ssize_t len[64];
    uint64_t first[256] = {0}, second[256] = {0}, caseless = 0;
    if (k > 64) {
        PyErr_SetString(PyExc_ValueError, "find_all: at most 64 needles");
        goto done;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        int fj = j >= k1;
        PyObject *nd = fj ? PyTuple_GET_ITEM(folded, j - k1) : PyTuple_GET_ITEM(needles, j);
        if (!PyBytes_Check(nd) || PyBytes_GET_SIZE(nd) == 0) {
            PyErr_SetString(PyExc_TypeError, "find_all: needles must be non-empty bytes");
            goto done;
        }
        ptr[j] = (const unsigned char *)PyBytes_AS_STRING(nd);
        len[j] = PyBytes_GET_SIZE(nd);
        uint64_t bit = (uint64_t)1 << j;
        if (fj) caseless |= bit;
        for (int c = 0; c < 256; c++) {
            unsigned char cc = fj ? fold((unsigned char)c) : (unsigned char)c;
            if (cc == ptr[j][0]) first[c] |= bit;
            if (len[j] == 1 || cc == ptr[j][1]) second[c] |= bit;   /* one byte: any next byte */
        }
    }
    out = PyList_New(k);
    if (out == NULL) goto done;
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *l = PyList_New(0);
        if (l == NULL) { Py_CLEAR(out); goto done; }
        PyList_SET_ITEM(out, j, l);
    }
    /* Pairs of leading bytes some needle can start with: one 64 KB table lookup per byte
       rejects almost every position without a branch the CPU mispredicts often. */
    unsigned char *pair = PyMem_Calloc(65536, 1);
    if (pair == NULL) { Py_CLEAR(out); PyErr_NoMemory(); goto done; }
    for (int a = 0; a < 256; a++)
        if (first[a])
            for (int b = 0; b < 256; b++)
                if (first[a] & second[b]) pair[a | (b << 8)] = 1;
    const unsigned char *p = (const unsigned char *)hay.buf;
    Py_ssize_t n = hay.len;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t m;
        if (i + 1 < n) {
            if (!pair[p[i] | (p[i + 1] << 8)]) continue;
            m = first[p[i]] & second[p[i + 1]];
        } else {
            m = first[p[i]];   /* the last byte: only one-byte needles can match here */
        }
        if (!m) continue;
        while (m) {
            int j = __builtin_ctzll(m);
            m &= m - 1;
            if (len[j] > n - i) continue;
            int same;
            if (caseless >> j & 1) {
                same = 1;
                for (Py_ssize_t q = 0; q < len[j] && same; q++) same = fold(p[i + q]) == ptr[j][q];
            } else {
                same = memcmp(p + i, ptr[j], len[j]) == 0;
            }
            if (same) {
                PyObject *v = PyLong_FromSsize_t(i);
                if (v == NULL || PyList_Append(PyList_GET_ITEM(out, j), v) < 0) {
                    Py_XDECREF(v);
                    Py_CLEAR(out);
                    break;
                }
                Py_DECREF(v);
            }
        }
        if (out == NULL) break;
    }
    PyMem_Free(pair);
done:
    PyBuffer_Release(&hay);
    return out;
}

static PyObject *mac_candidates(PyObject *self, PyObject *args)
{
    Py_buffer view;
    int sep;
    if (!PyArg_ParseTuple(args, "y*i", &view, &sep)) return NULL;
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i + 17 <= n; i++) {
        if (p[i + 2] == sep && p[i + 5] == sep && p[i + 8] == sep && p[i + 11] == sep && p[i + 14] == sep) {
            PyObject *v = PyLong_FromSsize_t(i);
            if (v == NULL || PyList_Append(out, v) < 0) Py_CLEAR(out);
            Py_XDECREF(v);
        }
    }
    PyBuffer_Release(&view);
    return out;
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static PyObject *unquote(PyObject *self, PyObject *args)
{
    PyObject *obj;
    int plus = 0;
    if (!PyArg_ParseTuple(args, "O|p", &obj, &plus)) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    if (memchr(p, '%', n) == NULL && (!plus || memchr(p, '+', n) == NULL)) {
        PyBuffer_Release(&view);
        if (PyBytes_CheckExact(obj)) { Py_INCREF(obj); return obj; }
        return PyBytes_FromStringAndSize((const char *)p, n);
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL) { PyBuffer_Release(&view); return NULL; }
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t j = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '%' && i + 2 < n) {
            int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
            if (hi >= 0 && lo >= 0) {
                o[j++] = (unsigned char)(hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        o[j++] = (plus && c == '+') ? ' ' : c;
    }
    PyBuffer_Release(&view);
    if (j != n && _PyBytes_Resize(&out, j) < 0) return NULL;
    return out;
}


static inline int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

enum { Q_PATTERNS = 1, Q_TOKENS = 2 };

/* A candidate in the class runs: digit runs a pattern or a scaled coordinate may take,
   hex tokens and plausible base64 runs (the same tests as class_runs). */
static int runs_candidate(const unsigned char *p, Py_ssize_t n, PyObject *scaled, int flags, int *has_long)
{
    Py_ssize_t i = 0, bs, be;
    Py_ssize_t ns = PyTuple_GET_SIZE(scaled);
    while (next_class_run(p, n, &i, &bs, &be)) {
        Py_ssize_t len = be - bs;
        if (len >= LONG_FLOOR) *has_long = 1;
        int found = 0;
        FOR_EACH_RUN(p, bs, be, C_DIGIT, DIGIT_FLOOR, ds, de, {
            Py_ssize_t dl = de - ds;
            int tail861 = p[ds] == '8' && p[ds + 1] == '6' && p[ds + 2] == '1';
            if (dl <= 10) {
                for (Py_ssize_t k = 0; k < ns && !found; k++) {
                    PyObject *pre = PyTuple_GET_ITEM(scaled, k);
                    Py_ssize_t pl = PyBytes_GET_SIZE(pre);
                    if (ds + pl <= n && memcmp(p + ds, PyBytes_AS_STRING(pre), pl) == 0) found = 1;
                }
            } else if ((flags & Q_PATTERNS) && dl <= DIGIT_CEIL && dl != 12 && (dl != 13 || tail861)) {
                Py_ssize_t e = de;
                if (dl == 17 && e < n && (p[e] == 'X' || p[e] == 'x')) e++;
                if (!(ds > 0 && is_alnum(p[ds - 1])) && !(e < n && is_alnum(p[e]))) found = 1;
            }
            if (found) break;
        });
        if (found) return 1;
        if (flags & Q_TOKENS) {
            if (len >= B64_FLOOR && len % 4 != 1) {
                Py_ssize_t u = 0, l = 0;
                for (Py_ssize_t k = bs; k < be; k++) {
                    unsigned char f = CLASS[p[k]];
                    u += (f >> 3) & 1;
                    l += (f >> 4) & 1;
                }
                if ((u * 20 >= len * 3 && l * 20 >= len * 3) || starts_compressed(p + bs, len)) return 1;
            }
            if (len >= HEX_TOKEN_FLOOR) {
                FOR_EACH_RUN(p, bs, be, C_HEX, HEX_TOKEN_FLOOR, hs, he, {
                    if (hex_token(p + hs, he - hs)) { found = 1; break; }
                });
                if (found) return 1;
            }
        }
    }
    return 0;
}

static int mac_shape(const unsigned char *p, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i + 17 <= n; i++) {
        unsigned char sep = p[i + 2];
        if ((sep == ':' || sep == '-') && p[i + 5] == sep && p[i + 8] == sep && p[i + 11] == sep
            && p[i + 14] == sep)
            return 1;
    }
    return 0;
}

static int keyed_candidate(const unsigned char *p, Py_ssize_t n, PyObject *keyed)
{
    Py_ssize_t nk = PyTuple_GET_SIZE(keyed);
    if (nk == 0) return 0;
    if (nk > 64) return 1;   /* one bit per word: past 64 it cannot tell, so the segment is searched */
    uint64_t first[256] = {0};
    for (Py_ssize_t k = 0; k < nk; k++) {
        PyObject *w = PyTuple_GET_ITEM(keyed, k);
        if (PyBytes_GET_SIZE(w) == 0) return 1;   /* an empty word is everywhere */
        unsigned char c = (unsigned char)PyBytes_AS_STRING(w)[0];
        first[c] |= (uint64_t)1 << k;
        if (c >= 'a' && c <= 'z') first[c - 32] |= (uint64_t)1 << k;
    }
    for (Py_ssize_t pos = 0; pos < n; pos++) {
        uint64_t m = first[p[pos]];
        while (m) {
            int k = __builtin_ctzll(m);
            m &= m - 1;
            PyObject *w = PyTuple_GET_ITEM(keyed, k);
            const unsigned char *wp = (const unsigned char *)PyBytes_AS_STRING(w);
            Py_ssize_t wl = PyBytes_GET_SIZE(w);
            if (pos + wl > n) continue;
            Py_ssize_t q = 1;
            while (q < wl && fold(p[pos + q]) == wp[q]) q++;
            if (q < wl) continue;
            Py_ssize_t lo = pos + wl, hi = lo + 40 < n ? lo + 40 : n;
            Py_ssize_t run = 0;   /* hex digits from lo up to j */
            for (Py_ssize_t j = lo; j < n && j < hi + 8; j++) {
                run = (CLASS[p[j]] & C_HEX) ? run + 1 : 0;
                if (run >= 8 && j - 7 <= hi) return 1;
            }
        }
    }
    return 0;
}

/* ASCII upper case to lower case in eight bytes at once (bytes.lower()). */
static inline uint64_t fold8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t seven = x & ~high;
    uint64_t ge_a = seven + ones * (0x80 - 'A');        /* high bit: byte >= 'A' */
    uint64_t gt_z = seven + ones * (0x7F - 'Z');        /* high bit: byte > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~x & high;          /* and ASCII */
    return x | (upper >> 2);
}

/* -1 on error, 1 when a block of the folded text is one of an index's grams. */
static int gram_candidate(const unsigned char *p, Py_ssize_t n, PyObject *index)
{
    int bits8, bits4;
    Py_buffer t8, t4;
    PyObject *e8, *e4;
    if (!PyArg_ParseTuple(index, "iy*Oiy*O", &bits8, &t8, &e8, &bits4, &t4, &e4)) return -1;
    int rc = 0;
    if (bits8 < 3 || bits8 > 32 || bits4 < 3 || bits4 > 32
        || (t8.len && t8.len < ((Py_ssize_t)1 << bits8) / 8)
        || (t4.len && t4.len < ((Py_ssize_t)1 << bits4) / 8)
        || !PyAnySet_Check(e8) || !PyAnySet_Check(e4)) {
        PyErr_SetString(PyExc_ValueError, "quiet: bad gram table");
        rc = -1;
        goto done;
    }
    const unsigned char *tab8 = (const unsigned char *)t8.buf, *tab4 = (const unsigned char *)t4.buf;
    Py_ssize_t n4 = n / 4;
    unsigned char low[8];
    for (Py_ssize_t k = 0; k < n4 && rc == 0; k++) {
        Py_ssize_t o = k * 4;
        uint64_t block = 0;
        if (o + 8 <= n) {
            memcpy(low, p + o, 8);
        } else {
            for (int j = 0; j < 8; j++) low[j] = o + j < n ? p[o + j] : 0;
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&block, low, 8);
        block = fold8(block);
        memcpy(low, &block, 8);
#else
        for (int j = 0; j < 8; j++) low[j] = fold(low[j]);
        for (int j = 7; j >= 0; j--) block = (block << 8) | low[j];
#endif
        if (t8.len && o + 8 <= n && bloom_has(tab8, bits8, block)) {
            PyObject *g = PyBytes_FromStringAndSize((const char *)low, 8);
            if (g == NULL) { rc = -1; break; }
            rc = PySet_Contains(e8, g);
            Py_DECREF(g);
            if (rc) break;
        }
        if (t4.len && bloom_has(tab4, bits4, block & 0xFFFFFFFFULL)) {
            PyObject *g = PyBytes_FromStringAndSize((const char *)low, 4);
            if (g == NULL) { rc = -1; break; }
            rc = PySet_Contains(e4, g);
            Py_DECREF(g);
        }
    }
done:
    PyBuffer_Release(&t8);
    PyBuffer_Release(&t4);
    return rc;
}

static PyObject *quiet(PyObject *self, PyObject *args)
{
    Py_buffer view;
    PyObject *needles, *grams, *scaled, *keyed;
    int flags;
    if (!PyArg_ParseTuple(args, "y*O!O!O!O!i", &view, &PyTuple_Type, &needles, &PyTuple_Type, &grams,
                          &PyTuple_Type, &scaled, &PyTuple_Type, &keyed, &flags)) return NULL;
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    int loud = 0, has_long = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(scaled); k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(scaled, k))) { loud = -1; break; }
    for (Py_ssize_t k = 0; loud == 0 && k < PyTuple_GET_SIZE(keyed); k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(keyed, k))) loud = -1;
    if (loud < 0) {
        PyErr_SetString(PyExc_TypeError, "quiet: scaled prefixes and key words must be bytes");
        goto done;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(needles); k++) {
        PyObject *nd = PyTuple_GET_ITEM(needles, k);
        if (!PyBytes_Check(nd) || PyBytes_GET_SIZE(nd) == 0) {
            PyErr_SetString(PyExc_TypeError, "quiet: needles must be non-empty bytes");
            loud = -1;
            goto done;
        }
        if (memmem(p, n, PyBytes_AS_STRING(nd), PyBytes_GET_SIZE(nd)) != NULL) { loud = 1; goto done; }
    }
    if (runs_candidate(p, n, scaled, flags, &has_long)) { loud = 1; goto done; }
    if ((flags & Q_PATTERNS) && mac_shape(p, n)) { loud = 1; goto done; }
    if ((flags & Q_PATTERNS) && has_long && keyed_candidate(p, n, keyed)) { loud = 1; goto done; }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(grams); k++) {
        int rc = gram_candidate(p, n, PyTuple_GET_ITEM(grams, k));
        if (rc) { loud = rc; goto done; }
    }
done:
    PyBuffer_Release(&view);
    if (loud < 0) return NULL;
    return PyBool_FromLong(!loud);
}

static PyMethodDef methods[] = {
    {"unquote", unquote, METH_VARARGS, "Percent-decoding as urllib.parse.unquote_to_bytes; plus=True: '+' is a space."},
    {"mac_candidates", mac_candidates, METH_VARARGS, "Offsets where a MAC shape with this separator may start."},
    {"find_all", find_all, METH_VARARGS, "Every offset of each of up to 64 needles, in one pass."},
    {"class_runs", class_runs, METH_O, "Digit, hex and plausible base64 runs, and whether any long base64-class run exists."},
    {"quiet", quiet, METH_VARARGS, "True when no search can find anything in the bytes (no candidate of any stage)."},
    {"gram_hits", gram_hits, METH_VARARGS, "Block offsets whose 8- or 4-byte gram hashes into the packed tables."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void)
{
    init_classes();
    return PyModule_Create(&module);
}

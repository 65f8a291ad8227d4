/* One flows.mitm record in C: tnetstring serialisation of a flow's get_state() form.
 *
 * dumps(value, fallback) gives the same bytes as mitmproxy.io.tnetstring.dumps(value), about
 * twenty times faster; the proxy writes one record per live flow on its event loop, where the
 * pure-Python writer cost as much as the rest of recording that flow.
 *
 * Only the exact built-in types are written here: None, True, False, int, float, bytes,
 * str, list, tuple and dict. Anything else (a subclass, an object the format cannot hold) is
 * handed to `fallback`, a function returning its bytes (mitmproxy's own dumps), so odd
 * values come out as mitmproxy writes them, or raise as it raises.
 *
 * Like mitmproxy's writer, this one builds the record from its end: a container's length
 * prefix is known once its contents are written. Dict items come out last first (mitmproxy
 * prepends each value, then its key, in iteration order) and list items in order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    char *buf;
    Py_ssize_t cap;
    Py_ssize_t start;   /* the record so far is buf[start:cap] */
    PyObject *fallback;
} Back;

static int room(Back *b, Py_ssize_t n)
{
    if (b->start >= n)
        return 0;
    Py_ssize_t used = b->cap - b->start;
    if (n > PY_SSIZE_T_MAX / 2 - used) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t cap = 2 * (used + n) + 256;
    char *grown = PyMem_Malloc((size_t)cap);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(grown + cap - used, b->buf + b->start, (size_t)used);
    PyMem_Free(b->buf);
    b->buf = grown;
    b->cap = cap;
    b->start = cap - used;
    return 0;
}

static int put(Back *b, const char *data, Py_ssize_t n)
{
    if (room(b, n) < 0)
        return -1;
    b->start -= n;
    memcpy(b->buf + b->start, data, (size_t)n);
    return 0;
}

/* "<n>:" (n >= 0), written without snprintf: it is on every item */
static int put_span(Back *b, Py_ssize_t n)
{
    char digits[24];
    char *end = digits + sizeof digits, *p = end;
    *--p = ':';
    do {
        *--p = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    return put(b, p, end - p);
}

/* "<len>:<data><tag>" */
static int put_item(Back *b, const char *data, Py_ssize_t n, char tag)
{
    if (put(b, &tag, 1) < 0 || put(b, data, n) < 0)
        return -1;
    return put_span(b, n);
}

/* An int's str() or a float's repr(), as mitmproxy writes them. */
static int put_text_of(Back *b, PyObject *text, char tag)
{
    if (text == NULL)
        return -1;
    Py_ssize_t n;
    const char *data = PyUnicode_AsUTF8AndSize(text, &n);
    int r = data == NULL ? -1 : put_item(b, data, n, tag);
    Py_DECREF(text);
    return r;
}

static int dump(Back *b, PyObject *v);

static int dump_children(Back *b, PyObject *v)
{
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
        for (Py_ssize_t i = PySequence_Fast_GET_SIZE(v) - 1; i >= 0; i--) {
            /* a list could shrink meanwhile only through a fallback; re-check its size */
            if (i >= PySequence_Fast_GET_SIZE(v))
                continue;
            PyObject *item = PySequence_Fast_GET_ITEM(v, i);
            Py_INCREF(item);
            int r = dump(b, item);
            Py_DECREF(item);
            if (r < 0)
                return -1;
        }
        return 0;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(v, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        int r = dump(b, value);
        if (r == 0)
            r = dump(b, key);
        Py_DECREF(key);
        Py_DECREF(value);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int dump(Back *b, PyObject *v)
{
    if (v == Py_None)
        return put(b, "0:~", 3);
    if (v == Py_True)
        return put(b, "4:true!", 7);
    if (v == Py_False)
        return put(b, "5:false!", 8);
    if (PyBytes_CheckExact(v))
        return put_item(b, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v), ',');
    if (PyUnicode_CheckExact(v)) {
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(v) < 0)   /* a string made by a deprecated API may not be in its compact form yet */
            return -1;
#endif
        if (PyUnicode_IS_ASCII(v))
            return put_item(b, (const char *)PyUnicode_DATA(v), PyUnicode_GET_LENGTH(v), ';');
        /* str.encode("utf8"): no UTF-8 copy cached on the string; surrogates raise */
        PyObject *utf8 = PyUnicode_AsUTF8String(v);
        if (utf8 == NULL)
            return -1;
        int r = put_item(b, PyBytes_AS_STRING(utf8), PyBytes_GET_SIZE(utf8), ';');
        Py_DECREF(utf8);
        return r;
    }
    if (PyLong_CheckExact(v))
        return put_text_of(b, PyObject_Str(v), '#');
    if (PyFloat_CheckExact(v))
        return put_text_of(b, PyObject_Repr(v), '^');
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v) || PyDict_CheckExact(v)) {
        char tag = PyDict_CheckExact(v) ? '}' : ']';
        if (put(b, &tag, 1) < 0)
            return -1;
        Py_ssize_t before = b->cap - b->start;
        if (Py_EnterRecursiveCall(" while writing a tnetstring"))
            return -1;
        int r = dump_children(b, v);
        Py_LeaveRecursiveCall();
        if (r < 0)
            return -1;
        return put_span(b, b->cap - b->start - before);
    }
    PyObject *done = PyObject_CallOneArg(b->fallback, v);
    if (done == NULL)
        return -1;
    int r = -1;
    if (PyBytes_Check(done))
        r = put(b, PyBytes_AS_STRING(done), PyBytes_GET_SIZE(done));
    else
        PyErr_SetString(PyExc_TypeError, "the fallback writer must return bytes");
    Py_DECREF(done);
    return r;
}

static PyObject *tn_dumps(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "dumps(value, fallback) takes two arguments");
        return NULL;
    }
    if (!PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "fallback must be callable");
        return NULL;
    }
    Back b = {NULL, 0, 0, args[1]};
    b.cap = 8192;
    b.buf = PyMem_Malloc((size_t)b.cap);
    if (b.buf == NULL)
        return PyErr_NoMemory();
    b.start = b.cap;
    PyObject *out = NULL;
    if (dump(&b, args[0]) == 0)
        out = PyBytes_FromStringAndSize(b.buf + b.start, b.cap - b.start);
    PyMem_Free(b.buf);
    return out;
}

static PyMethodDef methods[] = {
    {"dumps", (PyCFunction)(void (*)(void))tn_dumps, METH_FASTCALL,
     "dumps(value, fallback) -> bytes: value as a tnetstring, byte for byte as mitmproxy writes it;\n"
     "values of other types than the exact built-ins go through fallback(value) -> bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tnetstring", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tnetstring(void)
{
    return PyModule_Create(&module);
}

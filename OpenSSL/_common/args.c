#include "common.h"

#include <limits.h>
#include <string.h>

void
ossl_bytes_release(ossl_bytes *b)
{
    if (b->has_view) {
        PyBuffer_Release(&b->view);
        b->has_view = 0;
    }
    Py_CLEAR(b->owner);
    b->data = NULL;
    b->len = 0;
}

/* What a converter starts from: no data, no buffer view, no owner. */
static void
bytes_reset(ossl_bytes *b)
{
    b->data = NULL;
    b->len = 0;
    b->has_view = 0;
    b->owner = NULL;
}

/* Take over the new reference `bytes` as the data. */
static void
bytes_own(ossl_bytes *b, PyObject *bytes)
{
    b->owner = bytes;
    b->data = PyBytes_AS_STRING(bytes);
    b->len = PyBytes_GET_SIZE(bytes);
}

int
ossl_bytes_conv(PyObject *obj, void *out)
{
    ossl_bytes *b = out;
    if (obj == NULL) { /* cleanup after a later argument failed */
        ossl_bytes_release(b);
        return 1;
    }
    bytes_reset(b);
    if (obj == Py_None && b->allow_none) {
        return Py_CLEANUP_SUPPORTED;
    }
    if (PyBytes_Check(obj)) {
        /* No buffer export needed: the tuple of arguments keeps it alive. */
        b->data = PyBytes_AS_STRING(obj);
        b->len = PyBytes_GET_SIZE(obj);
        return Py_CLEANUP_SUPPORTED;
    }
    if (PyUnicode_Check(obj)) {
        if (!b->allow_str) {
            PyErr_Format(PyExc_TypeError,
                         "%s must be a bytes-like object, not str", b->name);
            return 0;
        }
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(obj, &len);
        if (s == NULL) {
            return 0;
        }
        b->data = s;
        b->len = len;
        return Py_CLEANUP_SUPPORTED;
    }
    if (PyObject_CheckBuffer(obj)) {
        if (PyObject_GetBuffer(obj, &b->view, PyBUF_SIMPLE) < 0) {
            return 0;
        }
        b->has_view = 1;
        b->data = b->view.buf;
        b->len = b->view.len;
        return Py_CLEANUP_SUPPORTED;
    }
    PyErr_Format(PyExc_TypeError, "%s must be %s, not %.100s", b->name,
                 b->allow_str
                     ? (b->allow_none ? "bytes, str or None" : "bytes or str")
                     : (b->allow_none ? "a bytes-like object or None"
                                      : "a bytes-like object"),
                 Py_TYPE(obj)->tp_name);
    return 0;
}

int
ossl_cstring_conv(PyObject *obj, void *out)
{
    ossl_bytes *b = out;
    int rc = ossl_bytes_conv(obj, out);
    if (obj == NULL || rc == 0 || b->data == NULL) {
        return rc;
    }
    if (memchr(b->data, '\0', (size_t)b->len) != NULL) {
        PyErr_Format(PyExc_ValueError, "%s must not contain NUL bytes",
                     b->name);
        ossl_bytes_release(b);
        return 0;
    }
    if (b->has_view) {
        /* A foreign buffer has no terminator: take a bytes copy that does. */
        PyObject *copy = PyBytes_FromStringAndSize(b->data, b->len);
        ossl_bytes_release(b);
        if (copy == NULL) {
            return 0;
        }
        bytes_own(b, copy);
    }
    return Py_CLEANUP_SUPPORTED;
}

int
ossl_path_conv(PyObject *obj, void *out)
{
    ossl_bytes *b = out;
    if (obj == NULL) {
        ossl_bytes_release(b);
        return 1;
    }
    bytes_reset(b);
    if (obj == Py_None && b->allow_none) {
        return Py_CLEANUP_SUPPORTED;
    }
    PyObject *fspath = PyOS_FSPath(obj);
    if (fspath == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "%s must be a path (str, bytes or os.PathLike)%s, not %.100s",
                         b->name, b->allow_none ? " or None" : "",
                         Py_TYPE(obj)->tp_name);
        }
        return 0;
    }
    PyObject *encoded = NULL;
    int ok = PyUnicode_FSConverter(fspath, &encoded);
    Py_DECREF(fspath);
    if (!ok) {
        /* FSConverter's message for an embedded NUL names no argument. */
        if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s must not contain NUL bytes",
                         b->name);
        }
        return 0;
    }
    bytes_own(b, encoded);
    return Py_CLEANUP_SUPPORTED;
}

int
ossl_long_arg(PyObject *obj, const char *name, long *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    long value = PyLong_AsLong(obj);
    if (value == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError, "%s is out of range: %R", name, obj);
        return -1;
    }
    *out = value;
    return 0;
}

int
ossl_ssize_arg(PyObject *obj, const char *name, int allow_none, Py_ssize_t *out)
{
    if (allow_none && (obj == NULL || obj == Py_None)) {
        return 0;
    }
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer%s, not %.100s",
                     name, allow_none ? " or None" : "", Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t value = PyLong_AsSsize_t(obj);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = value;
    return 0;
}

int
ossl_writable_buffer(PyObject *obj, const char *name, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s must be a writable bytes-like object, not %.100s",
                     name, Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

int
ossl_flags_arg(PyObject *obj, const char *name, uint64_t *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be a non-negative 64-bit "
                     "integer, not %R", name, obj);
        return -1;
    }
    *out = v;
    return 0;
}

int
ossl_int_arg(PyObject *obj, const char *name, int *out)
{
    long value;
    if (ossl_long_arg(obj, name, &value) < 0) {
        return -1;
    }
    if (value < INT_MIN || value > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s is out of range: %R", name, obj);
        return -1;
    }
    *out = (int)value;
    return 0;
}

int
ossl_check_int_len(Py_ssize_t len, const char *name)
{
    if (len > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s is too long (%zd bytes, at most %d)",
                     name, len, INT_MAX);
        return -1;
    }
    return 0;
}

/* ---- passphrases ------------------------------------------------------ */

int
ossl_passphrase_conv(PyObject *obj, void *out)
{
    ossl_passphrase *p = out;
    if (obj == NULL) {
        Py_CLEAR(p->error);
        return 1;
    }
    p->error = NULL;
    p->called = 0;
    if (obj == Py_None || PyBytes_Check(obj) || PyUnicode_Check(obj)
        || PyCallable_Check(obj)) {
        p->obj = obj == Py_None ? NULL : obj;
        return Py_CLEANUP_SUPPORTED;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must be bytes, str or a callable, not %.100s", p->name,
                 Py_TYPE(obj)->tp_name);
    return 0;
}

/* Copy `value` (bytes or str) into OpenSSL's buffer; -1 with an exception. */
static int
passphrase_copy(ossl_passphrase *p, PyObject *value, char *buf, int size)
{
    const char *data;
    Py_ssize_t len;
    if (PyBytes_Check(value)) {
        data = PyBytes_AS_STRING(value);
        len = PyBytes_GET_SIZE(value);
    }
    else if (PyUnicode_Check(value)) {
        data = PyUnicode_AsUTF8AndSize(value, &len);
        if (data == NULL) {
            return -1;
        }
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "%s callback must return bytes, not %.100s", p->name,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (len > size) {
        PyErr_Format(PyExc_ValueError,
                     "%s is too long (%zd bytes, OpenSSL accepts at most %d)",
                     p->name, len, size);
        return -1;
    }
    memcpy(buf, data, (size_t)len);
    return (int)len;
}

int
ossl_passphrase_cb(char *buf, int size, int rwflag, void *u)
{
    ossl_passphrase *p = u;
    int result = -1;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    p->called = 1;
    if (p->obj == NULL) {
        PyErr_Format(p->missing_error ? p->missing_error : PyExc_TypeError,
                     "the key is encrypted but no %s was given", p->name);
        ossl_stash_exception(&p->error);
    }
    else if (PyCallable_Check(p->obj)) {
        /* pyOpenSSL's two forms: load/dump_privatekey call callback(rwflag),
           a callback with userdata gets (maxlen, rwflag, userdata). */
        PyObject *value = p->extra != NULL
            ? PyObject_CallFunction(p->obj, "iiO", size, rwflag, p->extra)
            : PyObject_CallFunction(p->obj, "(i)", rwflag);
        if (value != NULL) {
            result = passphrase_copy(p, value, buf, size);
            Py_DECREF(value);
        }
        if (result < 0) {
            ossl_stash_exception(&p->error);
        }
    }
    else {
        result = passphrase_copy(p, p->obj, buf, size);
        if (result < 0) {
            ossl_stash_exception(&p->error);
        }
    }
    ossl_callback_leave(&cs);
    return result;
}

int
ossl_passphrase_finish(ossl_passphrase *p)
{
    return ossl_unstash_exception(&p->error) ? -1 : 0;
}

int
ossl_fastcall_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, const char *const *names, int nnames,
                   int nrequired, PyObject **out)
{
    if (nargs > nnames) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes at most %d argument%s (%zd given)", fname,
                     nnames, nnames == 1 ? "" : "s", nargs);
        return -1;
    }
    for (int i = 0; i < nnames; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < nnames && PyUnicode_CompareWithASCIIString(key, names[i]) != 0) {
            i++;
        }
        if (i == nnames) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got an unexpected keyword argument '%U'", fname,
                         key);
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got multiple values for argument '%s'", fname,
                         names[i]);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (int i = 0; i < nrequired; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%s() missing required argument '%s' (pos %d)", fname,
                         names[i], i + 1);
            return -1;
        }
    }
    return 0;
}

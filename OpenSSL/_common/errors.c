#include "common.h"

#include <stdarg.h>

_Thread_local PyThreadState *ossl_saved_tstate = NULL;

PyObject *
ossl_error_list(void)
{
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        ERR_clear_error();
        return NULL;
    }
    unsigned long code;
    const char *func = NULL;
    while ((code = ERR_get_error_all(NULL, NULL, &func, NULL, NULL)) != 0) {
        const char *lib = ERR_lib_error_string(code);
        const char *reason = ERR_reason_error_string(code);
        PyObject *item = Py_BuildValue("(sss)", lib ? lib : "",
                                       func ? func : "",
                                       reason ? reason : "");
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(list);
            ERR_clear_error();
            return NULL;
        }
        Py_DECREF(item);
        func = NULL;
    }
    return list;
}

PyObject *
ossl_raise(PyObject *exc_type)
{
    PyObject *list = ossl_error_list();
    if (list == NULL) {
        return NULL;
    }
    PyErr_SetObject(exc_type, list);
    Py_DECREF(list);
    return NULL;
}

static PyObject *
raise_msg_v(PyObject *exc_type, const char *fmt, va_list ap)
{
    ERR_clear_error();
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    if (msg != NULL) {
        PyErr_SetObject(exc_type, msg);
        Py_DECREF(msg);
    }
    return NULL;
}

PyObject *
ossl_raise_msg(PyObject *exc_type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    raise_msg_v(exc_type, fmt, ap);
    va_end(ap);
    return NULL;
}

PyObject *
ossl_raise_or(PyObject *exc_type, const char *fmt, ...)
{
    if (ERR_peek_error() != 0) {
        return ossl_raise(exc_type);
    }
    va_list ap;
    va_start(ap, fmt);
    raise_msg_v(exc_type, fmt, ap);
    va_end(ap);
    return NULL;
}

void
ossl_stash_exception(PyObject **slot)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return;
    }
    if (*slot != NULL) {
        /* Keep the first failure: it is the one that broke the operation. */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    *slot = value;
}

int
ossl_unstash_exception(PyObject **slot)
{
    PyObject *exc = *slot;
    if (exc == NULL) {
        return 0;
    }
    *slot = NULL;
    ERR_clear_error();
    PyObject *tb = PyException_GetTraceback(exc);
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, tb);
    return 1;
}

PyObject *
ossl_bio_to_bytes(BIO *bio)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0) {
        len = 0;
    }
    return PyBytes_FromStringAndSize(data, len);
}

int
ossl_add_int(PyObject *module, const char *name, long value)
{
    return PyModule_AddIntConstant(module, name, value);
}

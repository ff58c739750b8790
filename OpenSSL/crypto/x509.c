/*
 * X509: a certificate, and the module functions that load and dump them.
 */
#include "crypto.h"

PyObject *
crypto_x509_wrap(crypto_state *st, X509 *x509)
{
    X509Object *self = PyObject_New(X509Object, st->X509_Type);
    if (self == NULL) {
        return NULL;
    }
    X509_up_ref(x509);
    self->x509 = x509;
    return (PyObject *)self;
}

/* Takes ownership of `x509` (freed on failure). */
static PyObject *
x509_adopt(crypto_state *st, X509 *x509)
{
    PyObject *obj = crypto_x509_wrap(st, x509);
    X509_free(x509);
    return obj;
}

X509 *
crypto_x509_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!PyObject_TypeCheck(obj, st->X509_Type)) {
        PyErr_Format(PyExc_TypeError, "%s must be an X509, not %.100s", argname,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((X509Object *)obj)->x509;
}

static PyObject *
x509_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL || !_PyArg_NoPositional("X509", args)
        || !_PyArg_NoKeywords("X509", kwds)) {
        return NULL;
    }
    X509 *x509 = X509_new();
    if (x509 == NULL) {
        return ossl_raise(st->Error);
    }
    X509Object *self = (X509Object *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_free(x509);
        return NULL;
    }
    self->x509 = x509;
    return (PyObject *)self;
}

static void
x509_dealloc(X509Object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_free(self->x509);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* urllib3 checks that `X509()._x509` is not None before injecting itself. */
static PyObject *
x509_get_x509_ptr(X509Object *self, void *Py_UNUSED(closure))
{
    return PyLong_FromVoidPtr(self->x509);
}

static PyMethodDef x509_methods[] = {
    {NULL},
};

static PyGetSetDef x509_getset[] = {
    {"_x509", (getter)x509_get_x509_ptr, NULL,
     "The address of the underlying X509 structure.", NULL},
    {NULL},
};

static PyType_Slot x509_slots[] = {
    {Py_tp_doc, "X509()\n--\n\nAn X.509 certificate."},
    {Py_tp_new, x509_new},
    {Py_tp_dealloc, x509_dealloc},
    {Py_tp_methods, x509_methods},
    {Py_tp_getset, x509_getset},
    {0, NULL},
};

static PyType_Spec x509_spec = {
    .name = "OpenSSL.crypto.X509",
    .basicsize = sizeof(X509Object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = x509_slots,
};

/* ---- load and dump ------------------------------------------------------ */

PyDoc_STRVAR(load_certificate_doc,
"load_certificate($module, type, buffer, /)\n--\n\n"
"Load a certificate from *buffer*, encoded as FILETYPE_PEM or FILETYPE_ASN1.");

static PyObject *
crypto_load_certificate(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTuple(args, "iO&:load_certificate", &type, ossl_bytes_conv,
                          &buffer)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (crypto_check_filetype(type, 0) < 0) {
        goto done;
    }
    X509 *x509 = NULL;
    if (type == OSSL_FILETYPE_PEM) {
        if (ossl_check_int_len(buffer.len, "buffer") < 0) {
            goto done;
        }
        BIO *bio = BIO_new_mem_buf(buffer.data, (int)buffer.len);
        if (bio != NULL) {
            x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            BIO_free(bio);
        }
    }
    else {
        const unsigned char *p = (const unsigned char *)buffer.data;
        x509 = d2i_X509(NULL, &p, (long)buffer.len);
    }
    result = x509 == NULL ? ossl_raise(st->Error) : x509_adopt(st, x509);
done:
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(dump_certificate_doc,
"dump_certificate($module, type, cert, /)\n--\n\n"
"Return *cert* encoded as FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT.");

static PyObject *
crypto_dump_certificate(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *cert;
    if (!PyArg_ParseTuple(args, "iO:dump_certificate", &type, &cert)) {
        return NULL;
    }
    X509 *x509 = crypto_x509_arg(st, cert, "cert");
    if (x509 == NULL || crypto_check_filetype(type, 1) < 0) {
        return NULL;
    }
    if (type == OSSL_FILETYPE_ASN1) {
        unsigned char *der = NULL;
        int len = i2d_X509(x509, &der);
        if (len < 0) {
            return ossl_raise(st->Error);
        }
        PyObject *result = PyBytes_FromStringAndSize((char *)der, len);
        OPENSSL_free(der);
        return result;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    int ok = type == OSSL_FILETYPE_PEM ? PEM_write_bio_X509(bio, x509)
                                       : X509_print_ex(bio, x509, 0, 0);
    PyObject *result = ok > 0 ? ossl_bio_to_bytes(bio) : ossl_raise(st->Error);
    BIO_free(bio);
    return result;
}

PyMethodDef crypto_x509_functions[] = {
    {"load_certificate", crypto_load_certificate, METH_VARARGS,
     load_certificate_doc},
    {"dump_certificate", crypto_dump_certificate, METH_VARARGS,
     dump_certificate_doc},
    {NULL},
};

int
crypto_init_x509(PyObject *module, crypto_state *st)
{
    st->X509_Type = crypto_add_type(module, &x509_spec, NULL);
    if (st->X509_Type == NULL
        || PyModule_AddObjectRef(module, "X509Type", (PyObject *)st->X509_Type) < 0) {
        return -1;
    }
    return 0;
}

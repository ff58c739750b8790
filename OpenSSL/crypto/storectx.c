/*
 * X509StoreContext: one verification of a certificate against an
 * X509Store, and X509StoreContextError, which a failed one raises.
 *
 * The verdict is fail-closed: success needs X509_verify_cert() to return 1
 * *and* the context's error to be X509_V_OK *and* a verified chain to
 * exist.  Anything else raises.  No callback of ours lets an error through,
 * and none that someone set on the store can run (the context gets a
 * pass-through callback of its own).
 */
#include "crypto.h"

/* ---- X509StoreContextError ---------------------------------------------- */

static PyObject *
storeerr_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"message", "errors", "certificate", NULL};
    PyObject *message, *errors, *certificate;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:X509StoreContextError",
                                     kwlist, &message, &errors, &certificate)) {
        return NULL;
    }
    /* As pyOpenSSL: args is (message,), the details are attributes. */
    PyObject *base_args = PyTuple_Pack(1, message);
    if (base_args == NULL) {
        return NULL;
    }
    int rc = ((PyTypeObject *)PyExc_Exception)->tp_init(self, base_args, NULL);
    Py_DECREF(base_args);
    if (rc < 0 || PyObject_SetAttrString(self, "errors", errors) < 0
        || PyObject_SetAttrString(self, "certificate", certificate) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef storeerr_init_def = {
    "__init__", (PyCFunction)(void (*)(void))storeerr_init,
    METH_VARARGS | METH_KEYWORDS,
    "__init__($self, message, errors, certificate)\n--\n\n"
    "Initialise; see the class documentation.",
};

PyDoc_STRVAR(storeerr_doc,
"A certificate failed verification.\n\n"
"str(exc) is OpenSSL's message; ``errors`` is [code, depth, message] with\n"
"OpenSSL's X509_V_ERR_* code and the depth in the chain where it happened\n"
"(0: the certificate itself); ``certificate`` is the X509 at fault (a copy\n"
"that outlives the store and the context).");

/* An ordinary Python-level exception class (it behaves like any class
   made with `class`), with a C __init__. */
static PyObject *
storeerr_create(PyObject *module)
{
    PyObject *cls = PyErr_NewExceptionWithDoc(
        "OpenSSL.crypto.X509StoreContextError", storeerr_doc, NULL, NULL);
    if (cls == NULL) {
        return NULL;
    }
    PyObject *init = PyDescr_NewMethod((PyTypeObject *)cls, &storeerr_init_def);
    if (init == NULL || PyObject_SetAttrString(cls, "__init__", init) < 0
        || PyModule_AddObjectRef(module, "X509StoreContextError", cls) < 0) {
        Py_XDECREF(init);
        Py_DECREF(cls);
        return NULL;
    }
    Py_DECREF(init);
    return cls;
}

/* ---- the context object -------------------------------------------------- */

/* A list of X509 objects from the sequence `obj` (None: NULL, no error). */
static PyObject *
storectx_chain_arg(crypto_state *st, PyObject *obj, int *failed)
{
    *failed = 0;
    if (obj == NULL || obj == Py_None) {
        return NULL;
    }
    PyObject *seq = PySequence_Fast(obj, "chain must be a sequence of X509 or None");
    if (seq == NULL) {
        *failed = 1;
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        PyObject *cert = crypto_x509_coerce(st, PySequence_Fast_GET_ITEM(seq, i),
                                            "every item of chain");
        if (cert == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, cert);
    }
    Py_DECREF(seq);
    if (list == NULL) {
        *failed = 1;
    }
    return list;
}

static PyObject *
storectx_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"store", "certificate", "chain", NULL};
    crypto_state *st = crypto_state_of_type(type);
    PyObject *store, *certificate, *chain_obj = Py_None;
    if (st == NULL
        || !PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:X509StoreContext",
                                        kwlist, &store, &certificate,
                                        &chain_obj)) {
        return NULL;
    }
    if (crypto_x509store_arg(st, store, "store") == NULL) {
        return NULL;
    }
    PyObject *cert = crypto_x509_coerce(st, certificate, "certificate");
    if (cert == NULL) {
        return NULL;
    }
    int failed;
    PyObject *chain = storectx_chain_arg(st, chain_obj, &failed);
    if (failed) {
        Py_DECREF(cert);
        return NULL;
    }
    X509StoreContextObject *self = (X509StoreContextObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(cert);
        Py_XDECREF(chain);
        return NULL;
    }
    self->store = Py_NewRef(store);
    self->certificate = cert;
    self->chain = chain;
    return (PyObject *)self;
}

static int
storectx_traverse(X509StoreContextObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->store);
    Py_VISIT(self->certificate);
    Py_VISIT(self->chain);
    return 0;
}

static int
storectx_clear(X509StoreContextObject *self)
{
    Py_CLEAR(self->store);
    Py_CLEAR(self->certificate);
    Py_CLEAR(self->chain);
    return 0;
}

static void
storectx_dealloc(X509StoreContextObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    storectx_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(storectx_set_store_doc,
"set_store($self, store, /)\n--\n\n"
"Verify against the X509Store *store* from now on.");

static PyObject *
storectx_set_store(X509StoreContextObject *self, PyObject *arg)
{
    if (crypto_x509store_arg(crypto_state_of((PyObject *)self), arg, "store") == NULL) {
        return NULL;
    }
    Py_SETREF(self->store, Py_NewRef(arg));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(storectx_set_certificate_doc,
"set_certificate($self, certificate, /)\n--\n\n"
"Verify *certificate* (an X509 or a ``cryptography`` certificate) from\n"
"now on.");

static PyObject *
storectx_set_certificate(X509StoreContextObject *self, PyObject *arg)
{
    PyObject *cert = crypto_x509_coerce(crypto_state_of((PyObject *)self), arg,
                                        "certificate");
    if (cert == NULL) {
        return NULL;
    }
    Py_SETREF(self->certificate, cert);
    Py_RETURN_NONE;
}

/* OpenSSL's own verdict for each check, unchanged: a callback that returns
   `ok` as it is, so that no callback installed on the store can run. */
static int
storectx_verify_cb(int ok, X509_STORE_CTX *ctx)
{
    (void)ctx;
    return ok;
}

/* Raise X509StoreContextError for the failed verification in `ctx`. */
static PyObject *
storectx_raise(crypto_state *st, X509_STORE_CTX *ctx, X509 *leaf)
{
    int code = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    if (code == X509_V_OK) {
        /* Failed without saying why: still a failure. */
        code = X509_V_ERR_UNSPECIFIED;
    }
    X509 *culprit = X509_STORE_CTX_get_current_cert(ctx);
    if (culprit == NULL) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        if (chain != NULL && depth >= 0 && depth < sk_X509_num(chain)) {
            culprit = sk_X509_value(chain, depth);
        }
    }
    if (culprit == NULL) {
        culprit = leaf;
    }
    if (depth < 0) {
        depth = 0;
    }
    ERR_clear_error();
    PyObject *cert = crypto_x509_copy(st, culprit);
    if (cert == NULL) {
        return NULL;
    }
    PyObject *message = PyUnicode_FromString(X509_verify_cert_error_string(code));
    PyObject *errors = message == NULL
        ? NULL : Py_BuildValue("[iiO]", code, depth, message);
    PyObject *exc = errors == NULL
        ? NULL : PyObject_CallFunction(st->X509StoreContextError, "OOO", message,
                                       errors, cert);
    Py_XDECREF(message);
    Py_XDECREF(errors);
    Py_DECREF(cert);
    if (exc != NULL) {
        PyErr_SetObject(st->X509StoreContextError, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/*
 * Verify; on success return the verified chain as a list of X509 copies
 * when `want_chain`, else None.  The certificate and the untrusted chain are
 * copied first, so that nothing a Python thread does to those X509 objects
 * while the GIL is released can reach the verification.
 */
static PyObject *
storectx_run(X509StoreContextObject *self, int want_chain)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    /* Our own reference: set_store() on another thread while the GIL is
       released may drop the last Python reference to the store. */
    X509_STORE *store = ((X509StoreObject *)self->store)->store;
    X509_STORE_up_ref(store);
    X509 *leaf = X509_dup(((X509Object *)self->certificate)->x509);
    STACK_OF(X509) *untrusted = NULL;
    X509_STORE_CTX *ctx = NULL;
    PyObject *result = NULL;
    if (leaf == NULL) {
        ossl_raise(st->Error);
        goto done;
    }
    if (self->chain != NULL) {
        untrusted = sk_X509_new_null();
        if (untrusted == NULL) {
            ossl_raise(st->Error);
            goto done;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(self->chain); i++) {
            X509 *copy = X509_dup(((X509Object *)PyList_GET_ITEM(self->chain, i))->x509);
            if (copy == NULL || !sk_X509_push(untrusted, copy)) {
                X509_free(copy);
                ossl_raise(st->Error);
                goto done;
            }
        }
    }
    ctx = X509_STORE_CTX_new();
    /* init copies the store's parameters; done with the GIL held so that
       a setter on the store cannot run halfway through the copy. */
    if (ctx == NULL || X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
        ossl_raise(st->Error);
        goto done;
    }
    X509_STORE_CTX_set_verify_cb(ctx, storectx_verify_cb);

    int rc;
    OSSL_ALLOW_THREADS_BEGIN;
    rc = X509_verify_cert(ctx);
    OSSL_ALLOW_THREADS_END;

    STACK_OF(X509) *verified = X509_STORE_CTX_get0_chain(ctx);
    if (rc != 1 || X509_STORE_CTX_get_error(ctx) != X509_V_OK
        || verified == NULL || sk_X509_num(verified) < 1) {
        storectx_raise(st, ctx, leaf);
        goto done;
    }
    ERR_clear_error();
    if (!want_chain) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = crypto_x509_copies(st, verified);
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    X509_STORE_free(store);
    return result;
}

PyDoc_STRVAR(storectx_verify_certificate_doc,
"verify_certificate($self, /)\n--\n\n"
"Verify the certificate against the store; return None, or raise\n"
"X509StoreContextError with OpenSSL's error code, depth and message and\n"
"the certificate at fault.  Runs with the GIL released.");

static PyObject *
storectx_verify_certificate(X509StoreContextObject *self,
                            PyObject *Py_UNUSED(ignored))
{
    return storectx_run(self, 0);
}

PyDoc_STRVAR(storectx_get_verified_chain_doc,
"get_verified_chain($self, /)\n--\n\n"
"Verify as verify_certificate() does and return the verified chain: a\n"
"list of X509, the certificate first and the trust anchor last.  The\n"
"certificates are copies that outlive the store and the context.");

static PyObject *
storectx_get_verified_chain(X509StoreContextObject *self,
                            PyObject *Py_UNUSED(ignored))
{
    return storectx_run(self, 1);
}

static PyMethodDef storectx_methods[] = {
    {"set_store", (PyCFunction)storectx_set_store, METH_O, storectx_set_store_doc},
    {"set_certificate", (PyCFunction)storectx_set_certificate, METH_O,
     storectx_set_certificate_doc},
    {"verify_certificate", (PyCFunction)storectx_verify_certificate, METH_NOARGS,
     storectx_verify_certificate_doc},
    {"get_verified_chain", (PyCFunction)storectx_get_verified_chain, METH_NOARGS,
     storectx_get_verified_chain_doc},
    {NULL},
};

static PyType_Slot storectx_slots[] = {
    {Py_tp_doc,
     "X509StoreContext(store, certificate, chain=None)\n--\n\n"
     "One verification of *certificate* against the X509Store *store*,\n"
     "with the untrusted intermediates *chain* (a sequence of X509) to\n"
     "build the path from.  Certificates may also be ``cryptography``\n"
     "certificates."},
    {Py_tp_new, storectx_new},
    {Py_tp_dealloc, storectx_dealloc},
    {Py_tp_traverse, storectx_traverse},
    {Py_tp_clear, storectx_clear},
    {Py_tp_methods, storectx_methods},
    {0, NULL},
};

static PyType_Spec storectx_spec = {
    .name = "OpenSSL.crypto.X509StoreContext",
    .basicsize = sizeof(X509StoreContextObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = storectx_slots,
};

PyDoc_STRVAR(verify_cert_error_string_doc,
"X509_verify_cert_error_string($module, errnum, /)\n--\n\n"
"OpenSSL's text for the verification error code *errnum* (as passed to a\n"
"verify callback or found in X509StoreContextError.errors).");

static PyObject *
crypto_verify_cert_error_string(PyObject *module, PyObject *arg)
{
    (void)module;
    int errnum;
    if (ossl_int_arg(arg, "errnum", &errnum) < 0) {
        return NULL;
    }
    return PyUnicode_FromString(X509_verify_cert_error_string(errnum));
}

PyMethodDef crypto_storectx_functions[] = {
    {"X509_verify_cert_error_string", crypto_verify_cert_error_string, METH_O,
     verify_cert_error_string_doc},
    {NULL},
};

int
crypto_init_storectx(PyObject *module, crypto_state *st)
{
    st->X509StoreContextError = storeerr_create(module);
    if (st->X509StoreContextError == NULL) {
        return -1;
    }
    st->X509StoreContext_Type = crypto_add_type(module, &storectx_spec, NULL);
    if (st->X509StoreContext_Type == NULL) {
        return -1;
    }
    return 0;
}

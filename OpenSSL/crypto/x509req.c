/*
 * X509Req: a certificate signing request (PKCS#10), and the module
 * functions that load and dump them.
 */
#include "crypto.h"

static PyObject *
req_adopt(crypto_state *st, X509_REQ *req)
{
    X509ReqObject *self = PyObject_New(X509ReqObject, st->X509Req_Type);
    if (self == NULL) {
        X509_REQ_free(req);
        return NULL;
    }
    self->req = req;
    return (PyObject *)self;
}

/* As for certificates: make the next dump encode the changed request. */
static void
req_touch(X509_REQ *req)
{
    (void)i2d_re_X509_REQ_tbs(req, NULL);
    ERR_clear_error();
}

static PyObject *
req_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL || !_PyArg_NoPositional("X509Req", args)
        || !_PyArg_NoKeywords("X509Req", kwds)) {
        return NULL;
    }
    X509_REQ *req = X509_REQ_new();
    /* OpenSSL 3.0 leaves the version empty; PKCS#10 has only version 0. */
    if (req == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1)) {
        X509_REQ_free(req);
        return ossl_raise(st->Error);
    }
    X509ReqObject *self = (X509ReqObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_REQ_free(req);
        return NULL;
    }
    self->req = req;
    return (PyObject *)self;
}

static void
req_dealloc(X509ReqObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_REQ_free(self->req);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(req_get_version_doc,
"get_version($self, /)\n--\n\n"
"Return the request's version number (0: the only one PKCS#10 defines).");

static PyObject *
req_get_version(X509ReqObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(X509_REQ_get_version(self->req));
}

PyDoc_STRVAR(req_set_version_doc,
"set_version($self, version, /)\n--\n\n"
"Set the version number; 0 is the only valid one (ValueError otherwise).");

static PyObject *
req_set_version(X509ReqObject *self, PyObject *arg)
{
    int version;
    if (ossl_int_arg(arg, "version", &version) < 0) {
        return NULL;
    }
    if (version != X509_REQ_VERSION_1) {
        PyErr_Format(PyExc_ValueError,
                     "version must be 0, the only X509Req version, not %d", version);
        return NULL;
    }
    if (!X509_REQ_set_version(self->req, version)) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    req_touch(self->req);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(req_get_subject_doc,
"get_subject($self, /)\n--\n\n"
"Return the subject: an X509Name through which setting an attribute\n"
"changes this request.");

static PyObject *
req_get_subject(X509ReqObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_x509name_wrap(crypto_state_of((PyObject *)self),
                                X509_REQ_get_subject_name(self->req),
                                (PyObject *)self);
}

PyDoc_STRVAR(req_get_pubkey_doc,
"get_pubkey($self, /)\n--\n\n"
"Return the request's public key as a PKey with no private half.");

static PyObject *
req_get_pubkey(X509ReqObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_pubkey_wrap(crypto_state_of((PyObject *)self),
                              X509_REQ_get0_pubkey(self->req), "request");
}

PyDoc_STRVAR(req_set_pubkey_doc,
"set_pubkey($self, pkey, /)\n--\n\n"
"Set the request's public key to the public half of *pkey*.");

static PyObject *
req_set_pubkey(X509ReqObject *self, PyObject *arg)
{
    if (crypto_set_pubkey(crypto_state_of((PyObject *)self), self->req,
                          (crypto_pubkey_setter)X509_REQ_set_pubkey, arg) < 0) {
        return NULL;
    }
    req_touch(self->req);
    Py_RETURN_NONE;
}

/* A private copy of `req` to sign (see x509_copy_for_signing in x509.c). */
static X509_REQ *
req_copy_for_signing(X509_REQ *req)
{
    X509_REQ *copy = X509_REQ_dup(req);
    if (copy != NULL) {
        return copy;
    }
    ERR_clear_error();
    copy = X509_REQ_new();
    if (copy == NULL) {
        return NULL;
    }
    EVP_PKEY *pubkey = X509_REQ_get0_pubkey(req);
    int ok = X509_REQ_set_version(copy, X509_REQ_get_version(req))
        && X509_REQ_set_subject_name(copy, X509_REQ_get_subject_name(req))
        && (pubkey == NULL || X509_REQ_set_pubkey(copy, pubkey));
    for (int i = 0; ok && i < X509_REQ_get_attr_count(req); i++) {
        ok = X509_REQ_add1_attr(copy, X509_REQ_get_attr(req, i));
    }
    ERR_clear_error();
    if (!ok) {
        X509_REQ_free(copy);
        return NULL;
    }
    return copy;
}

PyDoc_STRVAR(req_sign_doc,
"sign($self, pkey, digest)\n--\n\n"
"Sign the request with the private key *pkey* and the digest named\n"
"*digest* (ignored for Ed25519 and Ed448).  Runs with the GIL released.");

static const crypto_signer req_signer =
    CRYPTO_SIGNER(req_copy_for_signing, X509_REQ_sign, X509_REQ_free);

static PyObject *
req_sign(X509ReqObject *self, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey;
    const EVP_MD *md;
    if (crypto_sign_args(st, args, kwds, &pkey, &md) < 0) {
        return NULL;
    }
    if (crypto_sign_swap((void **)&self->req, &req_signer, pkey, md) < 0) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(req_verify_doc,
"verify($self, pkey, /)\n--\n\n"
"Check the request's signature with the public key *pkey*; return True,\n"
"or raise Error if it does not match.");

static PyObject *
req_verify(X509ReqObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey = crypto_pkey_arg(st, arg, "pkey");
    if (pkey == NULL) {
        return NULL;
    }
    /* Verifying is cheap (a public-key operation), so the GIL stays held
       and nothing can change the request or the key meanwhile. */
    int rc = X509_REQ_verify(self->req, pkey);
    if (rc <= 0) {
        return ossl_raise_or(st->Error, "the request's signature does not "
                             "match the key");
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(req_add_extensions_doc,
"add_extensions($self, extensions, /)\n--\n\n"
"Add the X509Extension objects of the sequence *extensions* to the\n"
"request's extension request attribute.");

static PyObject *
req_add_extensions(X509ReqObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    STACK_OF(X509_EXTENSION) *added = crypto_x509ext_list_arg(st, arg, "extensions");
    if (added == NULL) {
        return NULL;
    }
    /* A request has one extension attribute: merge into it, not beside it. */
    STACK_OF(X509_EXTENSION) *all = X509_REQ_get_extensions(self->req);
    if (all == NULL) {
        ERR_clear_error();
        all = sk_X509_EXTENSION_new_null();
    }
    int ok = all != NULL;
    while (ok && sk_X509_EXTENSION_num(added) > 0) {
        X509_EXTENSION *ext = sk_X509_EXTENSION_shift(added);
        ok = sk_X509_EXTENSION_push(all, ext) > 0;
        if (!ok) {
            X509_EXTENSION_free(ext);
        }
    }
    sk_X509_EXTENSION_pop_free(added, X509_EXTENSION_free);
    if (ok) {
        int index;
        while ((index = X509_REQ_get_attr_by_NID(self->req, NID_ext_req, -1)) >= 0) {
            X509_ATTRIBUTE_free(X509_REQ_delete_attr(self->req, index));
        }
        ok = X509_REQ_add_extensions(self->req, all);
    }
    sk_X509_EXTENSION_pop_free(all, X509_EXTENSION_free);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    req_touch(self->req);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(req_get_extensions_doc,
"get_extensions($self, /)\n--\n\n"
"Return the requested extensions as a list of X509Extension.");

static PyObject *
req_get_extensions(X509ReqObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(self->req);
    if (exts == NULL) {
        if (ERR_peek_error() != 0) {
            return ossl_raise(st->Error);
        }
        return PyList_New(0);
    }
    int count = sk_X509_EXTENSION_num(exts);
    PyObject *result = PyList_New(count);
    for (int i = 0; result != NULL && i < count; i++) {
        PyObject *ext = crypto_x509ext_wrap(st, sk_X509_EXTENSION_value(exts, i));
        if (ext == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, ext);
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return result;
}

PyDoc_STRVAR(req_to_cryptography_doc,
"to_cryptography($self, /)\n--\n\n"
"Return the request as a ``cryptography.x509.CertificateSigningRequest``.");

PyDoc_STRVAR(req_from_cryptography_doc,
"from_cryptography($type, crypto_req, /)\n--\n\n"
"Return an X509Req holding the ``cryptography`` request *crypto_req*.");

static PyMethodDef req_methods[] = {
    {"get_version", (PyCFunction)req_get_version, METH_NOARGS, req_get_version_doc},
    {"set_version", (PyCFunction)req_set_version, METH_O, req_set_version_doc},
    {"get_subject", (PyCFunction)req_get_subject, METH_NOARGS, req_get_subject_doc},
    {"get_pubkey", (PyCFunction)req_get_pubkey, METH_NOARGS, req_get_pubkey_doc},
    {"set_pubkey", (PyCFunction)req_set_pubkey, METH_O, req_set_pubkey_doc},
    {"sign", (PyCFunction)(void (*)(void))req_sign, METH_VARARGS | METH_KEYWORDS,
     req_sign_doc},
    {"verify", (PyCFunction)req_verify, METH_O, req_verify_doc},
    {"add_extensions", (PyCFunction)req_add_extensions, METH_O,
     req_add_extensions_doc},
    {"get_extensions", (PyCFunction)req_get_extensions, METH_NOARGS,
     req_get_extensions_doc},
    {"to_cryptography", (PyCFunction)crypto_to_cryptography, METH_NOARGS,
     req_to_cryptography_doc},
    {"from_cryptography", (PyCFunction)crypto_from_cryptography, METH_O | METH_CLASS,
     req_from_cryptography_doc},
    {NULL},
};

static PyType_Slot req_slots[] = {
    {Py_tp_doc, "X509Req()\n--\n\nA certificate signing request (PKCS#10)."},
    {Py_tp_new, req_new},
    {Py_tp_dealloc, req_dealloc},
    {Py_tp_methods, req_methods},
    {0, NULL},
};

static PyType_Spec req_spec = {
    .name = "OpenSSL.crypto.X509Req",
    .basicsize = sizeof(X509ReqObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = req_slots,
};

/* ---- load and dump ------------------------------------------------------ */

PyDoc_STRVAR(load_certificate_request_doc,
"load_certificate_request($module, type, buffer, /)\n--\n\n"
"Load a certificate request from *buffer* (FILETYPE_PEM or FILETYPE_ASN1).");

static const crypto_codec req_codec =
    CRYPTO_CODEC(PEM_STRING_X509_REQ, d2i_X509_REQ, i2d_X509_REQ, X509_REQ_print,
                 "no certificate request found in buffer");

static PyObject *
crypto_load_certificate_request(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTuple(args, "iO&:load_certificate_request", &type,
                          ossl_bytes_conv, &buffer)) {
        return NULL;
    }
    X509_REQ *req = crypto_decode(st, &req_codec, type, &buffer);
    ossl_bytes_release(&buffer);
    return req == NULL ? NULL : req_adopt(st, req);
}

PyDoc_STRVAR(dump_certificate_request_doc,
"dump_certificate_request($module, type, req, /)\n--\n\n"
"Return *req* encoded as FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT.");

static PyObject *
crypto_dump_certificate_request(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *req_obj;
    if (!PyArg_ParseTuple(args, "iO:dump_certificate_request", &type, &req_obj)) {
        return NULL;
    }
    if (!crypto_is_a(req_obj, st->X509Req_Type, "req")) {
        return NULL;
    }
    return crypto_encode(st, &req_codec, type, ((X509ReqObject *)req_obj)->req);
}

PyMethodDef crypto_x509req_functions[] = {
    {"load_certificate_request", crypto_load_certificate_request, METH_VARARGS,
     load_certificate_request_doc},
    {"dump_certificate_request", crypto_dump_certificate_request, METH_VARARGS,
     dump_certificate_request_doc},
    {NULL},
};

int
crypto_init_x509req(PyObject *module, crypto_state *st)
{
    st->X509Req_Type = crypto_add_type(module, &req_spec, "X509ReqType");
    return st->X509Req_Type == NULL ? -1 : 0;
}

/*
 * PKCS12: a PKCS#12 archive (certificate, private key, CA certificates and a
 * friendly name), and load_pkcs12().
 *
 * A PKCS12 object only holds Python objects; the OpenSSL structure exists
 * while a file is parsed or written.  Files protected with the algorithms
 * OpenSSL 3 moved to its legacy provider (RC2, RC4, DES in PBES1, as made by
 * `openssl pkcs12 -legacy` and old tools) are read by loading that provider
 * the first time one is met.
 */
#include "crypto.h"

#include <string.h>

#include <openssl/provider.h>

/*
 * The legacy provider, once it had to be loaded.  Providers live in OpenSSL's
 * process-wide default library context, so this is process-wide too: it is
 * loaded at most once and stays loaded (keys and certificates decoded with it
 * may outlive any module instance).
 */
static OSSL_PROVIDER *pkcs12_legacy_provider = NULL;

/* ---- the type ------------------------------------------------------------ */

static PyObject *
p12_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (!_PyArg_NoPositional("PKCS12", args) || !_PyArg_NoKeywords("PKCS12", kwds)) {
        return NULL;
    }
    PKCS12Object *self = (PKCS12Object *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->certificate = Py_NewRef(Py_None);
    self->privatekey = Py_NewRef(Py_None);
    self->ca_certificates = Py_NewRef(Py_None);
    self->friendlyname = Py_NewRef(Py_None);
    return (PyObject *)self;
}

static int
p12_traverse(PKCS12Object *self, visitproc visit, void *arg)
{
    Py_VISIT(self->certificate);
    Py_VISIT(self->privatekey);
    Py_VISIT(self->ca_certificates);
    Py_VISIT(self->friendlyname);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int
p12_clear(PKCS12Object *self)
{
    Py_CLEAR(self->certificate);
    Py_CLEAR(self->privatekey);
    Py_CLEAR(self->ca_certificates);
    Py_CLEAR(self->friendlyname);
    return 0;
}

static void
p12_dealloc(PKCS12Object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    p12_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(p12_get_certificate_doc,
"get_certificate($self, /)\n--\n\n"
"Return the certificate (an X509), or None if there is none.");

static PyObject *
p12_get_certificate(PKCS12Object *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->certificate);
}

PyDoc_STRVAR(p12_set_certificate_doc,
"set_certificate($self, cert)\n--\n\n"
"Set the certificate to the X509 *cert*, or remove it with None.");

static PyObject *
p12_set_certificate(PKCS12Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cert", NULL};
    PyObject *cert;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_certificate", kwlist, &cert)) {
        return NULL;
    }
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (cert != Py_None && crypto_x509_arg(st, cert, "cert") == NULL) {
        return NULL;
    }
    Py_SETREF(self->certificate, Py_NewRef(cert));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(p12_get_privatekey_doc,
"get_privatekey($self, /)\n--\n\n"
"Return the private key (a PKey), or None if there is none.");

static PyObject *
p12_get_privatekey(PKCS12Object *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->privatekey);
}

PyDoc_STRVAR(p12_set_privatekey_doc,
"set_privatekey($self, pkey)\n--\n\n"
"Set the private key to the PKey *pkey*, or remove it with None.");

static PyObject *
p12_set_privatekey(PKCS12Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pkey", NULL};
    PyObject *pkey;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_privatekey", kwlist, &pkey)) {
        return NULL;
    }
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (pkey != Py_None) {
        if (crypto_pkey_arg(st, pkey, "pkey") == NULL) {
            return NULL;
        }
        if (((PKeyObject *)pkey)->only_public) {
            PyErr_SetString(PyExc_ValueError,
                            "pkey has only a public key; a PKCS12 needs the private key");
            return NULL;
        }
    }
    Py_SETREF(self->privatekey, Py_NewRef(pkey));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(p12_get_ca_certificates_doc,
"get_ca_certificates($self, /)\n--\n\n"
"Return the CA certificates as a tuple of X509, or None if there are none.");

static PyObject *
p12_get_ca_certificates(PKCS12Object *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->ca_certificates);
}

PyDoc_STRVAR(p12_set_ca_certificates_doc,
"set_ca_certificates($self, cacerts)\n--\n\n"
"Set the CA certificates to the X509 objects of the iterable *cacerts*,\n"
"or remove them with None.");

static PyObject *
p12_set_ca_certificates(PKCS12Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cacerts", NULL};
    PyObject *cacerts;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_ca_certificates", kwlist,
                                     &cacerts)) {
        return NULL;
    }
    if (cacerts == Py_None) {
        Py_SETREF(self->ca_certificates, Py_NewRef(Py_None));
        Py_RETURN_NONE;
    }
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (PyUnicode_Check(cacerts) || PyBytes_Check(cacerts)) {
        PyErr_Format(PyExc_TypeError,
                     "cacerts must be an iterable of X509 or None, not %.100s",
                     Py_TYPE(cacerts)->tp_name);
        return NULL;
    }
    PyObject *tuple = PySequence_Tuple(cacerts);
    if (tuple == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "cacerts must be an iterable of X509 or None, not %.100s",
                         Py_TYPE(cacerts)->tp_name);
        }
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        PyObject *item = PyTuple_GET_ITEM(tuple, i);
        if (!PyObject_TypeCheck(item, st->X509_Type)) {
            PyErr_Format(PyExc_TypeError,
                         "cacerts must contain only X509 objects, not %.100s "
                         "(item %zd)", Py_TYPE(item)->tp_name, i);
            Py_DECREF(tuple);
            return NULL;
        }
    }
    Py_SETREF(self->ca_certificates, tuple);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(p12_get_friendlyname_doc,
"get_friendlyname($self, /)\n--\n\n"
"Return the friendly name (bytes), or None if there is none.");

static PyObject *
p12_get_friendlyname(PKCS12Object *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->friendlyname);
}

PyDoc_STRVAR(p12_set_friendlyname_doc,
"set_friendlyname($self, name)\n--\n\n"
"Set the friendly name to *name* (bytes; str is encoded as UTF-8), or\n"
"remove it with None.");

static PyObject *
p12_set_friendlyname(PKCS12Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"name", NULL};
    PyObject *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_friendlyname", kwlist,
                                     &name)) {
        return NULL;
    }
    PyObject *value;
    if (name == Py_None) {
        value = Py_NewRef(Py_None);
    }
    else if (PyBytes_Check(name)) {
        value = PyBytes_FromStringAndSize(PyBytes_AS_STRING(name),
                                          PyBytes_GET_SIZE(name));
    }
    else if (PyUnicode_Check(name)) {
        value = PyUnicode_AsUTF8String(name);
    }
    else {
        PyErr_Format(PyExc_TypeError, "name must be bytes, str or None, not %.100s",
                     Py_TYPE(name)->tp_name);
        return NULL;
    }
    if (value == NULL) {
        return NULL;
    }
    /* PKCS12_create takes the name as a C string. */
    if (value != Py_None
        && memchr(PyBytes_AS_STRING(value), '\0', (size_t)PyBytes_GET_SIZE(value))) {
        Py_DECREF(value);
        PyErr_SetString(PyExc_ValueError, "name must not contain NUL bytes");
        return NULL;
    }
    Py_SETREF(self->friendlyname, value);
    Py_RETURN_NONE;
}

/* A private copy of every certificate to export, so that nothing another
   thread does to the X509 objects can reach the structures in use while the
   GIL is released. */
static STACK_OF(X509) *
p12_copy_ca(PyObject *ca_certificates)
{
    STACK_OF(X509) *ca = sk_X509_new_null();
    if (ca == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ca_certificates); i++) {
        X509 *copy = X509_dup(((X509Object *)PyTuple_GET_ITEM(ca_certificates, i))->x509);
        if (copy == NULL || !sk_X509_push(ca, copy)) {
            X509_free(copy);
            sk_X509_pop_free(ca, X509_free);
            return NULL;
        }
    }
    return ca;
}

PyDoc_STRVAR(p12_export_doc,
"export($self, passphrase=None, iter=2048, maciter=1)\n--\n\n"
"Return the archive as DER bytes.  The key and the certificates are\n"
"encrypted with *passphrase* (bytes or str; None for none) using\n"
"PBE-SHA1-3DES with *iter* iterations, which every PKCS#12 reader accepts\n"
"without a legacy provider, and the archive gets an HMAC (OpenSSL's\n"
"default, SHA-256) of *maciter* iterations; maciter=-1 leaves it out.\n"
"Runs with the GIL released.");

static PyObject *
p12_export(PKCS12Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"passphrase", "iter", "maciter", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    ossl_bytes pass = OSSL_BYTES_OR_NONE("passphrase");
    PyObject *iter_obj = NULL, *maciter_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O&OO:export", kwlist,
                                     ossl_cstring_conv, &pass, &iter_obj,
                                     &maciter_obj)) {
        return NULL;
    }
    PyObject *result = NULL;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    PKCS12 *p12 = NULL;
    BIO *bio = NULL;
    int iter = PKCS12_DEFAULT_ITER, maciter = 1;
    if ((iter_obj != NULL && ossl_int_arg(iter_obj, "iter", &iter) < 0)
        || (maciter_obj != NULL && ossl_int_arg(maciter_obj, "maciter", &maciter) < 0)) {
        goto done;
    }
    if (iter < 1) {
        PyErr_Format(PyExc_ValueError, "iter must be at least 1, not %d", iter);
        goto done;
    }
    if (maciter < 1 && maciter != -1) {
        PyErr_Format(PyExc_ValueError,
                     "maciter must be at least 1, or -1 for no MAC, not %d", maciter);
        goto done;
    }
    if (pass.data != NULL && ossl_check_int_len(pass.len, "passphrase") < 0) {
        goto done;
    }
    if (self->privatekey != Py_None) {
        pkey = ((PKeyObject *)self->privatekey)->pkey;
        EVP_PKEY_up_ref(pkey);
    }
    if (self->certificate != Py_None) {
        cert = X509_dup(((X509Object *)self->certificate)->x509);
        if (cert == NULL) {
            ossl_raise(st->Error);
            goto done;
        }
    }
    if (self->ca_certificates != Py_None) {
        ca = p12_copy_ca(self->ca_certificates);
        if (ca == NULL) {
            ossl_raise(st->Error);
            goto done;
        }
    }
    if (pkey == NULL && cert == NULL && sk_X509_num(ca) <= 0) {
        PyErr_SetString(st->Error,
                        "nothing to export: set a certificate, a private key or "
                        "CA certificates first");
        goto done;
    }
    const char *name = self->friendlyname == Py_None
        ? NULL : PyBytes_AS_STRING(self->friendlyname);
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        ossl_raise(st->Error);
        goto done;
    }
    int ok;
    ERR_clear_error();
    /* `name` stays valid: the friendly name is immutable bytes held below. */
    PyObject *name_ref = Py_NewRef(self->friendlyname);
    OSSL_ALLOW_THREADS_BEGIN;
    p12 = PKCS12_create(pass.data, name, pkey, cert, ca,
                        NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                        NID_pbe_WithSHA1And3_Key_TripleDES_CBC, iter, maciter, 0);
    ok = p12 != NULL && i2d_PKCS12_bio(bio, p12) > 0;
    OSSL_ALLOW_THREADS_END;
    Py_DECREF(name_ref);
    if (!ok) {
        ossl_raise_or(st->Error, "could not create the PKCS#12 archive");
        goto done;
    }
    result = ossl_bio_to_bytes(bio);
done:
    BIO_free(bio);
    PKCS12_free(p12);
    sk_X509_pop_free(ca, X509_free);
    X509_free(cert);
    EVP_PKEY_free(pkey);
    ossl_bytes_release(&pass);
    return result;
}

static PyMethodDef p12_methods[] = {
    {"get_certificate", (PyCFunction)p12_get_certificate, METH_NOARGS,
     p12_get_certificate_doc},
    {"set_certificate", (PyCFunction)(void (*)(void))p12_set_certificate,
     METH_VARARGS | METH_KEYWORDS, p12_set_certificate_doc},
    {"get_privatekey", (PyCFunction)p12_get_privatekey, METH_NOARGS,
     p12_get_privatekey_doc},
    {"set_privatekey", (PyCFunction)(void (*)(void))p12_set_privatekey,
     METH_VARARGS | METH_KEYWORDS, p12_set_privatekey_doc},
    {"get_ca_certificates", (PyCFunction)p12_get_ca_certificates, METH_NOARGS,
     p12_get_ca_certificates_doc},
    {"set_ca_certificates", (PyCFunction)(void (*)(void))p12_set_ca_certificates,
     METH_VARARGS | METH_KEYWORDS, p12_set_ca_certificates_doc},
    {"get_friendlyname", (PyCFunction)p12_get_friendlyname, METH_NOARGS,
     p12_get_friendlyname_doc},
    {"set_friendlyname", (PyCFunction)(void (*)(void))p12_set_friendlyname,
     METH_VARARGS | METH_KEYWORDS, p12_set_friendlyname_doc},
    {"export", (PyCFunction)(void (*)(void))p12_export, METH_VARARGS | METH_KEYWORDS,
     p12_export_doc},
    {NULL},
};

static PyType_Slot p12_slots[] = {
    {Py_tp_doc, "PKCS12()\n--\n\n"
                "A PKCS#12 archive: a certificate, its private key, CA certificates\n"
                "and a friendly name.  Starts empty; load_pkcs12() reads one."},
    {Py_tp_new, p12_new},
    {Py_tp_dealloc, p12_dealloc},
    {Py_tp_traverse, p12_traverse},
    {Py_tp_clear, p12_clear},
    {Py_tp_methods, p12_methods},
    {0, NULL},
};

static PyType_Spec p12_spec = {
    .name = "OpenSSL.crypto.PKCS12",
    .basicsize = sizeof(PKCS12Object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = p12_slots,
};

/* ---- load_pkcs12 ---------------------------------------------------------- */

/*
 * Whether the error queue says an algorithm could not be fetched, i.e. the
 * file needs an algorithm of a provider that is not loaded.  A wrong
 * passphrase fails the MAC check before any decryption and never lands here.
 */
static int
p12_failed_for_algorithm(void)
{
    unsigned long code = ERR_peek_error();
    if (code == 0) {
        return 0;
    }
    int reason = ERR_GET_REASON(code);
    return reason == ERR_R_UNSUPPORTED || reason == ERR_R_FETCH_FAILED
        || (ERR_GET_LIB(code) == ERR_LIB_EVP
            && (reason == EVP_R_UNSUPPORTED_ALGORITHM
                || reason == EVP_R_UNSUPPORTED_CIPHER
                || reason == EVP_R_UNKNOWN_CIPHER));
}

/*
 * Load the legacy provider next to the default one, unless it already is;
 * 1 if it is loaded.  A parse that failed may still have started before
 * another thread loaded it, so "already loaded" is worth a retry too.
 * Called with the GIL held, which serialises the first load.
 */
static int
p12_load_legacy_provider(void)
{
    if (pkcs12_legacy_provider == NULL) {
        /* retain_fallbacks=1: the default provider stays in use beside it. */
        pkcs12_legacy_provider = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
    }
    return pkcs12_legacy_provider != NULL;
}

typedef struct {
    EVP_PKEY *pkey;
    X509 *cert;
    STACK_OF(X509) *ca;
} p12_parts;

static void
p12_parts_free(p12_parts *parts)
{
    EVP_PKEY_free(parts->pkey);
    X509_free(parts->cert);
    sk_X509_pop_free(parts->ca, X509_free);
    memset(parts, 0, sizeof(*parts));
}

/* PKCS12_parse with the GIL released. */
static int
p12_parse(PKCS12 *p12, const char *pass, p12_parts *parts)
{
    int ok;
    ERR_clear_error();
    OSSL_ALLOW_THREADS_BEGIN;
    ok = PKCS12_parse(p12, pass, &parts->pkey, &parts->cert, &parts->ca);
    OSSL_ALLOW_THREADS_END;
    return ok;
}

/* The PKCS12 object for what was parsed (the parts are taken over). */
static PyObject *
p12_from_parts(crypto_state *st, p12_parts *parts)
{
    PKCS12Object *self = (PKCS12Object *)p12_new(st->PKCS12_Type, NULL, NULL);
    if (self == NULL) {
        return NULL;
    }
    if (parts->pkey != NULL) {
        PyObject *key = crypto_pkey_wrap(st, parts->pkey, 0);
        if (key == NULL) {
            goto fail;
        }
        Py_SETREF(self->privatekey, key);
    }
    if (parts->cert != NULL) {
        PyObject *cert = crypto_x509_wrap(st, parts->cert);
        if (cert == NULL) {
            goto fail;
        }
        Py_SETREF(self->certificate, cert);
        int len = 0;
        const unsigned char *alias = X509_alias_get0(parts->cert, &len);
        if (alias != NULL) {
            PyObject *name = PyBytes_FromStringAndSize((const char *)alias, len);
            if (name == NULL) {
                goto fail;
            }
            Py_SETREF(self->friendlyname, name);
        }
    }
    int count = sk_X509_num(parts->ca);
    if (count > 0) {
        PyObject *tuple = PyTuple_New(count);
        if (tuple == NULL) {
            goto fail;
        }
        Py_SETREF(self->ca_certificates, tuple);
        for (int i = 0; i < count; i++) {
            PyObject *cert = crypto_x509_wrap(st, sk_X509_value(parts->ca, i));
            if (cert == NULL) {
                goto fail;
            }
            PyTuple_SET_ITEM(tuple, i, cert);
        }
    }
    p12_parts_free(parts);
    return (PyObject *)self;
fail:
    p12_parts_free(parts);
    Py_DECREF(self);
    return NULL;
}

PyDoc_STRVAR(load_pkcs12_doc,
"load_pkcs12($module, buffer, passphrase=None)\n--\n\n"
"Load a PKCS#12 archive (DER) from *buffer* and return a PKCS12.\n"
"*passphrase* (bytes or str) decrypts it; None and b\"\" both try the empty\n"
"and the absent passphrase, as OpenSSL does.  A wrong passphrase or a\n"
"damaged archive raises Error.  Archives encrypted with legacy algorithms\n"
"(RC2, RC4, single DES) load OpenSSL's legacy provider the first time one\n"
"is met.  Parsing runs with the GIL released.");

static PyObject *
crypto_load_pkcs12(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"buffer", "passphrase", NULL};
    crypto_state *st = PyModule_GetState(module);
    ossl_bytes buffer = OSSL_BYTES("buffer");
    ossl_bytes pass = OSSL_BYTES_OR_NONE("passphrase");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:load_pkcs12", kwlist,
                                     ossl_bytes_conv, &buffer, ossl_cstring_conv,
                                     &pass)) {
        return NULL;
    }
    PyObject *result = NULL;
    PKCS12 *p12 = NULL;
    p12_parts parts = {NULL, NULL, NULL};
    if (ossl_check_int_len(buffer.len, "buffer") < 0) {
        goto done;
    }
    ERR_clear_error();
    const unsigned char *p = (const unsigned char *)buffer.data;
    p12 = d2i_PKCS12(NULL, &p, (long)buffer.len);
    if (p12 == NULL) {
        ossl_raise_or(st->Error, "no PKCS#12 archive found in buffer");
        goto done;
    }
    /* An empty passphrase is passed as NULL: PKCS12_parse then tries both
       the empty and the absent one, which PKCS#12 tells apart. */
    const char *pw = pass.data != NULL && pass.len > 0 ? pass.data : NULL;
    /*
     * PKCS12_parse insists on a MAC whenever a passphrase is given, so an
     * archive written without one (export(maciter=-1), `-nomac`) could never
     * be opened.  Such a file has no integrity protection to lose: give our
     * private copy a MAC made with the given passphrase, and a wrong one
     * still fails, at decryption.
     */
    if (pw != NULL && !PKCS12_mac_present(p12)
        && !PKCS12_set_mac(p12, pw, -1, NULL, 0, 1, NULL)) {
        ossl_raise(st->Error);
        goto done;
    }
    int ok = p12_parse(p12, pw, &parts);
    if (!ok && p12_failed_for_algorithm() && p12_load_legacy_provider()) {
        p12_parts_free(&parts);
        ok = p12_parse(p12, pw, &parts); /* once: the provider is all we add */
    }
    if (!ok) {
        p12_parts_free(&parts);
        ossl_raise_or(st->Error, "could not read the PKCS#12 archive");
        goto done;
    }
    /* PKCS12_parse may leave harmless errors behind (key/certificate
       matching); they belong to no exception. */
    ERR_clear_error();
    result = p12_from_parts(st, &parts);
done:
    PKCS12_free(p12);
    ossl_bytes_release(&pass);
    ossl_bytes_release(&buffer);
    return result;
}

PyMethodDef crypto_pkcs12_functions[] = {
    {"load_pkcs12", (PyCFunction)(void (*)(void))crypto_load_pkcs12,
     METH_VARARGS | METH_KEYWORDS, load_pkcs12_doc},
    {NULL},
};

int
crypto_init_pkcs12(PyObject *module, crypto_state *st)
{
    st->PKCS12_Type = crypto_add_type(module, &p12_spec, "PKCS12Type");
    return st->PKCS12_Type == NULL ? -1 : 0;
}

/*
 * CRL: a certificate revocation list, built and signed here or loaded, and
 * the module functions load_crl and dump_crl.
 */
#include "crypto.h"

#include <limits.h>

static PyObject *
crl_adopt(crypto_state *st, X509_CRL *crl)
{
    CRLObject *self = PyObject_New(CRLObject, st->CRL_Type);
    if (self == NULL) {
        X509_CRL_free(crl);
        return NULL;
    }
    self->crl = crl;
    return (PyObject *)self;
}

static X509_CRL *
crl_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->CRL_Type, argname)) {
        return NULL;
    }
    return ((CRLObject *)obj)->crl;
}

static PyObject *
crl_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL || !_PyArg_NoPositional("CRL", args)
        || !_PyArg_NoKeywords("CRL", kwds)) {
        return NULL;
    }
    X509_CRL *crl = X509_CRL_new();
    if (crl == NULL) {
        return ossl_raise(st->Error);
    }
    CRLObject *self = (CRLObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_CRL_free(crl);
        return NULL;
    }
    self->crl = crl;
    return (PyObject *)self;
}

static void
crl_dealloc(CRLObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_CRL_free(self->crl);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(crl_get_revoked_doc,
"get_revoked($self, /)\n--\n\n"
"Return the revoked certificates as a tuple of Revoked (copies: changing\n"
"them does not change the CRL), or None if there are none.");

static PyObject *
crl_get_revoked(CRLObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(self->crl);
    int count = entries == NULL ? 0 : sk_X509_REVOKED_num(entries);
    if (count <= 0) {
        Py_RETURN_NONE;
    }
    PyObject *result = PyTuple_New(count);
    for (int i = 0; result != NULL && i < count; i++) {
        PyObject *item = crypto_revoked_wrap(st, sk_X509_REVOKED_value(entries, i));
        if (item == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyTuple_SET_ITEM(result, i, item);
    }
    return result;
}

PyDoc_STRVAR(crl_add_revoked_doc,
"add_revoked($self, revoked)\n--\n\n"
"Add a copy of the Revoked *revoked* to the list.");

static PyObject *
crl_add_revoked(CRLObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"revoked", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *revoked_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:add_revoked", kwlist,
                                     &revoked_obj)) {
        return NULL;
    }
    X509_REVOKED *revoked = crypto_revoked_arg(st, revoked_obj, "revoked");
    if (revoked == NULL) {
        return NULL;
    }
    X509_REVOKED *copy = X509_REVOKED_dup(revoked);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    /* add0 takes the copy over. */
    if (!X509_CRL_add0_revoked(self->crl, copy)) {
        X509_REVOKED_free(copy);
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(crl_get_issuer_doc,
"get_issuer($self, /)\n--\n\n"
"Return a copy of the CRL's issuer name as an X509Name.");

static PyObject *
crl_get_issuer(CRLObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    X509_NAME *issuer = X509_CRL_get_issuer(self->crl);
    if (issuer == NULL) {
        return ossl_raise_msg(st->Error, "the CRL has no issuer");
    }
    return crypto_x509name_wrap(st, issuer, NULL);
}

PyDoc_STRVAR(crl_set_version_doc,
"set_version($self, version, /)\n--\n\n"
"Set the CRL's version: 0 for v1, 1 for v2 (needed for extensions, and\n"
"set by sign() and export() when the CRL has any).");

static PyObject *
crl_set_version(CRLObject *self, PyObject *arg)
{
    int version;
    if (ossl_int_arg(arg, "version", &version) < 0) {
        return NULL;
    }
    if (version != 0 && version != 1) {
        PyErr_Format(PyExc_ValueError,
                     "version must be 0 (v1) or 1 (v2), not %d", version);
        return NULL;
    }
    if (!X509_CRL_set_version(self->crl, version)) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    Py_RETURN_NONE;
}

typedef int (*crl_time_setter)(X509_CRL *, const ASN1_TIME *);

static PyObject *
crl_set_time(CRLObject *self, PyObject *arg, crl_time_setter set)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (crypto_set_time(st, self->crl, (crypto_time_setter)set,
                        crypto_time_from_arg(st, arg, "when")) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(crl_set_lastUpdate_doc,
"set_lastUpdate($self, when, /)\n--\n\n"
"Set when this CRL was issued; *when* is b'YYYYMMDDhhmmssZ'.");

static PyObject *
crl_set_lastUpdate(CRLObject *self, PyObject *arg)
{
    return crl_set_time(self, arg, X509_CRL_set1_lastUpdate);
}

PyDoc_STRVAR(crl_set_nextUpdate_doc,
"set_nextUpdate($self, when, /)\n--\n\n"
"Set when the next CRL is due; *when* is b'YYYYMMDDhhmmssZ'.");

static PyObject *
crl_set_nextUpdate(CRLObject *self, PyObject *arg)
{
    return crl_set_time(self, arg, X509_CRL_set1_nextUpdate);
}

PyDoc_STRVAR(crl_get_lastUpdate_doc,
"get_lastUpdate($self, /)\n--\n\n"
"Return when this CRL was issued as b'YYYYMMDDhhmmssZ', or None.");

static PyObject *
crl_get_lastUpdate(CRLObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_time_to_bytes(crypto_state_of((PyObject *)self),
                                X509_CRL_get0_lastUpdate(self->crl));
}

PyDoc_STRVAR(crl_get_nextUpdate_doc,
"get_nextUpdate($self, /)\n--\n\n"
"Return when the next CRL is due as b'YYYYMMDDhhmmssZ', or None.");

static PyObject *
crl_get_nextUpdate(CRLObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_time_to_bytes(crypto_state_of((PyObject *)self),
                                X509_CRL_get0_nextUpdate(self->crl));
}

/* A CRL never signed cannot be copied (its encoding is incomplete): such a
   CRL is signed in place. */
static const crypto_signer crl_signer =
    CRYPTO_SIGNER(X509_CRL_dup, X509_CRL_sign, X509_CRL_free);

/* Set the issuer to `issuer`'s subject and sign with `pkey`/`md`. */
static int
crl_sign_as(crypto_state *st, CRLObject *self, X509 *issuer, EVP_PKEY *pkey,
            const EVP_MD *md)
{
    X509_CRL *crl = self->crl;
    if (!X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer))) {
        ossl_raise(st->Error);
        return -1;
    }
    int has_extensions = X509_CRL_get_ext_count(crl) > 0;
    STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl);
    for (int i = 0; !has_extensions && i < sk_X509_REVOKED_num(entries); i++) {
        has_extensions = X509_REVOKED_get_ext_count(sk_X509_REVOKED_value(entries, i)) > 0;
    }
    /* RFC 5280: a CRL with extensions anywhere is a v2 CRL. */
    if (has_extensions && X509_CRL_get_version(crl) < 1
        && !X509_CRL_set_version(crl, 1)) {
        ossl_raise(st->Error);
        return -1;
    }
    /* Entries sorted by serial, as OpenSSL's lookups expect. */
    X509_CRL_sort(crl);
    if (crypto_sign_swap((void **)&self->crl, &crl_signer, pkey, md) < 0) {
        ossl_raise(st->Error);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(crl_sign_doc,
"sign($self, issuer_cert, issuer_key, digest)\n--\n\n"
"Sign the CRL as issued by *issuer_cert* (its subject becomes the CRL's\n"
"issuer) with the private key *issuer_key* and the digest named *digest*\n"
"(e.g. b'sha256'; ignored for Ed25519 and Ed448).");

static PyObject *
crl_sign(CRLObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"issuer_cert", "issuer_key", "digest", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *cert_obj, *key_obj;
    ossl_bytes digest = OSSL_BYTES("digest");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO&:sign", kwlist, &cert_obj,
                                     &key_obj, ossl_cstring_conv, &digest)) {
        return NULL;
    }
    PyObject *result = NULL;
    X509 *issuer = crypto_x509_arg(st, cert_obj, "issuer_cert");
    EVP_PKEY *pkey;
    const EVP_MD *md;
    if (issuer != NULL
        && crypto_signing_key(st, key_obj, digest.data, &pkey, &md) == 0
        && crl_sign_as(st, self, issuer, pkey, md) == 0) {
        result = Py_NewRef(Py_None);
    }
    ossl_bytes_release(&digest);
    return result;
}

static const crypto_codec crl_codec =
    CRYPTO_CODEC(PEM_STRING_X509_CRL, d2i_X509_CRL, i2d_X509_CRL, X509_CRL_print,
                 "no CRL found in buffer");

PyDoc_STRVAR(crl_export_doc,
"export($self, cert, key, type=1, days=100, digest=b'sha256')\n--\n\n"
"Set lastUpdate to now and nextUpdate *days* days later, sign the CRL as\n"
"issued by *cert* with *key* and *digest*, and return it encoded as\n"
"*type* (FILETYPE_PEM, the default, FILETYPE_ASN1 or FILETYPE_TEXT).");

static PyObject *
crl_export(CRLObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cert", "key", "type", "days", "digest", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *cert_obj, *key_obj;
    int type = OSSL_FILETYPE_PEM, days = 100;
    ossl_bytes digest = OSSL_BYTES("digest");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|iiO&:export", kwlist,
                                     &cert_obj, &key_obj, &type, &days,
                                     ossl_cstring_conv, &digest)) {
        return NULL;
    }
    PyObject *result = NULL;
    ASN1_TIME *now = NULL, *next = NULL;
    X509 *issuer = crypto_x509_arg(st, cert_obj, "cert");
    EVP_PKEY *pkey;
    const EVP_MD *md;
    if (issuer == NULL || crypto_check_filetype(type, 1) < 0
        || crypto_signing_key(st, key_obj, digest.data ? digest.data : "sha256",
                              &pkey, &md) < 0) {
        goto done;
    }
    if (days < 0) {
        PyErr_Format(PyExc_ValueError, "days must not be negative, not %d", days);
        goto done;
    }
    now = X509_time_adj_ex(NULL, 0, 0, NULL);
    next = X509_time_adj_ex(NULL, days, 0, NULL);
    if (now == NULL || next == NULL || !X509_CRL_set1_lastUpdate(self->crl, now)
        || !X509_CRL_set1_nextUpdate(self->crl, next)) {
        ossl_raise(st->Error);
        goto done;
    }
    if (crl_sign_as(st, self, issuer, pkey, md) < 0) {
        goto done;
    }
    result = crypto_encode(st, &crl_codec, type, self->crl);
done:
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    ossl_bytes_release(&digest);
    return result;
}

PyDoc_STRVAR(crl_to_cryptography_doc,
"to_cryptography($self, /)\n--\n\n"
"Return the CRL as a ``cryptography.x509.CertificateRevocationList``.");

PyDoc_STRVAR(crl_from_cryptography_doc,
"from_cryptography($type, crypto_crl, /)\n--\n\n"
"Return a CRL holding the ``cryptography`` CRL *crypto_crl*.");

static PyMethodDef crl_methods[] = {
    {"get_revoked", (PyCFunction)crl_get_revoked, METH_NOARGS, crl_get_revoked_doc},
    {"add_revoked", (PyCFunction)(void (*)(void))crl_add_revoked,
     METH_VARARGS | METH_KEYWORDS, crl_add_revoked_doc},
    {"get_issuer", (PyCFunction)crl_get_issuer, METH_NOARGS, crl_get_issuer_doc},
    {"set_version", (PyCFunction)crl_set_version, METH_O, crl_set_version_doc},
    {"set_lastUpdate", (PyCFunction)crl_set_lastUpdate, METH_O,
     crl_set_lastUpdate_doc},
    {"set_nextUpdate", (PyCFunction)crl_set_nextUpdate, METH_O,
     crl_set_nextUpdate_doc},
    {"get_lastUpdate", (PyCFunction)crl_get_lastUpdate, METH_NOARGS,
     crl_get_lastUpdate_doc},
    {"get_nextUpdate", (PyCFunction)crl_get_nextUpdate, METH_NOARGS,
     crl_get_nextUpdate_doc},
    {"sign", (PyCFunction)(void (*)(void))crl_sign, METH_VARARGS | METH_KEYWORDS,
     crl_sign_doc},
    {"export", (PyCFunction)(void (*)(void))crl_export,
     METH_VARARGS | METH_KEYWORDS, crl_export_doc},
    {"to_cryptography", (PyCFunction)crypto_to_cryptography, METH_NOARGS,
     crl_to_cryptography_doc},
    {"from_cryptography", (PyCFunction)crypto_from_cryptography,
     METH_O | METH_CLASS, crl_from_cryptography_doc},
    {NULL},
};

static PyType_Slot crl_slots[] = {
    {Py_tp_doc, "CRL()\n--\n\nA certificate revocation list, empty when new."},
    {Py_tp_new, crl_new},
    {Py_tp_dealloc, crl_dealloc},
    {Py_tp_methods, crl_methods},
    {0, NULL},
};

static PyType_Spec crl_spec = {
    .name = "OpenSSL.crypto.CRL",
    .basicsize = sizeof(CRLObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = crl_slots,
};

/* ---- load and dump ------------------------------------------------------ */

PyDoc_STRVAR(load_crl_doc,
"load_crl($module, type, buffer, /)\n--\n\n"
"Load a CRL from *buffer* (FILETYPE_PEM or FILETYPE_ASN1).");

static PyObject *
crypto_load_crl(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTuple(args, "iO&:load_crl", &type, ossl_bytes_conv, &buffer)) {
        return NULL;
    }
    X509_CRL *crl = crypto_decode(st, &crl_codec, type, &buffer);
    ossl_bytes_release(&buffer);
    return crl == NULL ? NULL : crl_adopt(st, crl);
}

PyDoc_STRVAR(dump_crl_doc,
"dump_crl($module, type, crl, /)\n--\n\n"
"Return *crl* encoded as FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT.");

static PyObject *
crypto_dump_crl(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *crl_obj;
    if (!PyArg_ParseTuple(args, "iO:dump_crl", &type, &crl_obj)) {
        return NULL;
    }
    X509_CRL *crl = crl_arg(st, crl_obj, "crl");
    if (crl == NULL) {
        return NULL;
    }
    return crypto_encode(st, &crl_codec, type, crl);
}

PyMethodDef crypto_crl_functions[] = {
    {"load_crl", crypto_load_crl, METH_VARARGS, load_crl_doc},
    {"dump_crl", crypto_dump_crl, METH_VARARGS, dump_crl_doc},
    {NULL},
};

int
crypto_init_crl(PyObject *module, crypto_state *st)
{
    st->CRL_Type = crypto_add_type(module, &crl_spec, NULL);
    return st->CRL_Type == NULL ? -1 : 0;
}

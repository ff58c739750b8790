/*
 * X509Extension: a certificate or request extension, made from OpenSSL's
 * configuration syntax ("DNS:example.com, IP:127.0.0.1").
 */
#include "crypto.h"

#include <string.h>

PyObject *
crypto_x509ext_wrap(crypto_state *st, const X509_EXTENSION *ext)
{
    /* A copy built from the three fields: X509_EXTENSION_dup would encode
     * the extension and decode it again, a quarter of reading a certificate's
     * extensions. */
    X509_EXTENSION *copy = X509_EXTENSION_create_by_OBJ(
        NULL, X509_EXTENSION_get_object((X509_EXTENSION *)ext),
        X509_EXTENSION_get_critical(ext), X509_EXTENSION_get_data((X509_EXTENSION *)ext));
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    X509ExtensionObject *self = PyObject_New(X509ExtensionObject,
                                             st->X509Extension_Type);
    if (self == NULL) {
        X509_EXTENSION_free(copy);
        return NULL;
    }
    self->ext = copy;
    return (PyObject *)self;
}

/* A certificate or request given as subject/issuer, or NULL for None. */
static int
context_cert_arg(crypto_state *st, PyObject *obj, const char *argname,
                 X509 **x509, X509_REQ **req)
{
    *x509 = NULL;
    if (req != NULL) {
        *req = NULL;
    }
    if (obj == NULL || obj == Py_None) {
        return 0;
    }
    if (PyObject_TypeCheck(obj, st->X509_Type)) {
        *x509 = ((X509Object *)obj)->x509;
        return 0;
    }
    if (req != NULL && st->X509Req_Type != NULL
        && PyObject_TypeCheck(obj, st->X509Req_Type)) {
        *req = ((X509ReqObject *)obj)->req;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s must be an X509%s or None, not %.100s",
                 argname, req != NULL ? ", an X509Req" : "",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static PyObject *
x509ext_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type_name", "critical", "value", "subject",
                             "issuer", NULL};
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL) {
        return NULL;
    }
    ossl_bytes type_name = OSSL_BYTES("type_name");
    ossl_bytes value = OSSL_BYTES("value");
    int critical;
    PyObject *subject_obj = NULL, *issuer_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&pO&|OO:X509Extension", kwlist,
                                     ossl_cstring_conv, &type_name, &critical,
                                     ossl_cstring_conv, &value, &subject_obj,
                                     &issuer_obj)) {
        return NULL;
    }
    PyObject *result = NULL;
    X509 *subject, *issuer;
    X509_REQ *subject_req;
    if (context_cert_arg(st, subject_obj, "subject", &subject, &subject_req) < 0
        || context_cert_arg(st, issuer_obj, "issuer", &issuer, NULL) < 0) {
        goto done;
    }
    /* The context gives "hash" and "keyid:always" the certificates they read. */
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, subject, subject_req, NULL, 0);
    X509V3_set_ctx_nodb(&ctx);
    ERR_clear_error();
    X509_EXTENSION *ext = X509V3_EXT_nconf(NULL, &ctx, type_name.data, value.data);
    if (ext == NULL) {
        ossl_raise_or(st->Error, "cannot make a '%s' extension from '%s'",
                      type_name.data, value.data);
        goto done;
    }
    if (critical && !X509_EXTENSION_set_critical(ext, 1)) {
        X509_EXTENSION_free(ext);
        ossl_raise(st->Error);
        goto done;
    }
    X509ExtensionObject *self = (X509ExtensionObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_EXTENSION_free(ext);
        goto done;
    }
    self->ext = ext;
    result = (PyObject *)self;
done:
    ossl_bytes_release(&type_name);
    ossl_bytes_release(&value);
    return result;
}

static void
x509ext_dealloc(X509ExtensionObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_EXTENSION_free(self->ext);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/*
 * subjectAltName printed entry by entry: OpenSSL's own printer copies
 * dNSName/rfc822Name/URI values as C strings, so "good.example\0.evil"
 * would show as "good.example".  Here every byte of those values is kept.
 */
static int
print_subject_alt_name(BIO *bio, X509_EXTENSION *ext)
{
    GENERAL_NAMES *names = X509V3_EXT_d2i(ext);
    if (names == NULL) {
        return 0;
    }
    int ok = 1;
    for (int i = 0; ok && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (i > 0 && BIO_puts(bio, ", ") <= 0) {
            ok = 0;
            break;
        }
        const char *label = NULL;
        switch (gn->type) {
        case GEN_DNS:
            label = "DNS:";
            break;
        case GEN_EMAIL:
            label = "email:";
            break;
        case GEN_URI:
            label = "URI:";
            break;
        }
        if (label != NULL) {
            const ASN1_IA5STRING *s = gn->d.ia5;
            ok = BIO_puts(bio, label) > 0
                && (ASN1_STRING_length(s) == 0
                    || BIO_write(bio, ASN1_STRING_get0_data(s),
                                 ASN1_STRING_length(s)) == ASN1_STRING_length(s));
        }
        else {
            ok = GENERAL_NAME_print(bio, gn) > 0;
        }
    }
    GENERAL_NAMES_free(names);
    return ok;
}

static PyObject *
x509ext_str(X509ExtensionObject *self)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    int ok;
    if (OBJ_obj2nid(X509_EXTENSION_get_object(self->ext)) == NID_subject_alt_name) {
        ok = print_subject_alt_name(bio, self->ext);
    }
    else {
        ok = X509V3_EXT_print(bio, self->ext, 0, 0) > 0;
        if (!ok) {
            /* An extension OpenSSL cannot decode: show its bytes. */
            ERR_clear_error();
            (void)BIO_reset(bio);
            ok = ASN1_STRING_print(bio, X509_EXTENSION_get_data(self->ext)) > 0;
        }
    }
    if (!ok) {
        BIO_free(bio);
        return ossl_raise(st->Error);
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    PyObject *result = PyUnicode_DecodeUTF8(data, len < 0 ? 0 : len, "backslashreplace");
    BIO_free(bio);
    ERR_clear_error();
    return result;
}

PyDoc_STRVAR(x509ext_get_critical_doc,
"get_critical($self, /)\n--\n\n"
"Return 1 if the extension is marked critical, else 0.");

static PyObject *
x509ext_get_critical(X509ExtensionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(X509_EXTENSION_get_critical(self->ext));
}

PyDoc_STRVAR(x509ext_get_short_name_doc,
"get_short_name($self, /)\n--\n\n"
"Return the extension's short type name, e.g. b'subjectAltName'\n"
"(the dotted OID for a type OpenSSL does not know).");

static PyObject *
x509ext_get_short_name(X509ExtensionObject *self, PyObject *Py_UNUSED(ignored))
{
    const ASN1_OBJECT *obj = X509_EXTENSION_get_object(self->ext);
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) {
        return PyBytes_FromString(OBJ_nid2sn(nid));
    }
    char buf[128];
    int len = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
    if (len < 0) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    if ((size_t)len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    return PyBytes_FromStringAndSize(buf, len);
}

PyDoc_STRVAR(x509ext_get_data_doc,
"get_data($self, /)\n--\n\n"
"Return the extension's value: the DER bytes inside its OCTET STRING.");

static PyObject *
x509ext_get_data(X509ExtensionObject *self, PyObject *Py_UNUSED(ignored))
{
    const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(self->ext);
    return PyBytes_FromStringAndSize((const char *)ASN1_STRING_get0_data(data),
                                     ASN1_STRING_length(data));
}

static PyMethodDef x509ext_methods[] = {
    {"get_critical", (PyCFunction)x509ext_get_critical, METH_NOARGS,
     x509ext_get_critical_doc},
    {"get_short_name", (PyCFunction)x509ext_get_short_name, METH_NOARGS,
     x509ext_get_short_name_doc},
    {"get_data", (PyCFunction)x509ext_get_data, METH_NOARGS, x509ext_get_data_doc},
    {NULL},
};

PyDoc_STRVAR(x509ext_doc,
"X509Extension(type_name, critical, value, subject=None, issuer=None)\n--\n\n"
"An X.509 v3 extension, built from OpenSSL's configuration syntax:\n"
"X509Extension(b'subjectAltName', False, b'DNS:example.com, IP:127.0.0.1').\n\n"
"*subject* (an X509 or X509Req) is what 'subjectKeyIdentifier' = 'hash'\n"
"reads; *issuer* (an X509) is what 'authorityKeyIdentifier' = 'keyid:always'\n"
"reads.  An unknown type or a malformed value raises Error.");

static PyType_Slot x509ext_slots[] = {
    {Py_tp_doc, (void *)x509ext_doc},
    {Py_tp_new, x509ext_new},
    {Py_tp_dealloc, x509ext_dealloc},
    {Py_tp_str, x509ext_str},
    {Py_tp_methods, x509ext_methods},
    {0, NULL},
};

static PyType_Spec x509ext_spec = {
    .name = "OpenSSL.crypto.X509Extension",
    .basicsize = sizeof(X509ExtensionObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = x509ext_slots,
};

PyMethodDef crypto_x509ext_functions[] = {
    {NULL},
};

int
crypto_init_x509ext(PyObject *module, crypto_state *st)
{
    st->X509Extension_Type = crypto_add_type(module, &x509ext_spec,
                                             "X509ExtensionType");
    return st->X509Extension_Type == NULL ? -1 : 0;
}

STACK_OF(X509_EXTENSION) *
crypto_x509ext_list_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    PyObject *iter = PyObject_GetIter(obj);
    if (iter == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "%s must be a sequence of X509Extension, not %.100s",
                         argname, Py_TYPE(obj)->tp_name);
        }
        return NULL;
    }
    STACK_OF(X509_EXTENSION) *stack = sk_X509_EXTENSION_new_null();
    if (stack == NULL) {
        Py_DECREF(iter);
        return (STACK_OF(X509_EXTENSION) *)ossl_raise(st->Error);
    }
    PyObject *item;
    while ((item = PyIter_Next(iter)) != NULL) {
        /* Copies: a generator's items die as soon as they are consumed. */
        if (!PyObject_TypeCheck(item, st->X509Extension_Type)) {
            PyErr_Format(PyExc_ValueError,
                         "%s must hold only X509Extension objects, not %.100s",
                         argname, Py_TYPE(item)->tp_name);
            Py_DECREF(item);
            break;
        }
        X509_EXTENSION *copy = X509_EXTENSION_dup(((X509ExtensionObject *)item)->ext);
        Py_DECREF(item);
        if (copy == NULL || !sk_X509_EXTENSION_push(stack, copy)) {
            X509_EXTENSION_free(copy);
            ossl_raise(st->Error);
            break;
        }
    }
    Py_DECREF(iter);
    if (PyErr_Occurred()) {
        sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
        return NULL;
    }
    return stack;
}

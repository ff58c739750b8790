/*
 * PKCS7: a PKCS#7 / CMS structure (a .p7b certificate bundle, a signed or
 * enveloped message), read-only, and load_pkcs7_data / dump_pkcs7_data.
 */
#include "crypto.h"

static PyObject *
p7_adopt(crypto_state *st, PKCS7 *p7)
{
    PKCS7Object *self = PyObject_New(PKCS7Object, st->PKCS7_Type);
    if (self == NULL) {
        PKCS7_free(p7);
        return NULL;
    }
    self->p7 = p7;
    return (PyObject *)self;
}

static PyObject *
p7_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    PyErr_Format(PyExc_TypeError,
                 "cannot create '%.100s' instances; use load_pkcs7_data()",
                 type->tp_name);
    return NULL;
}

static void
p7_dealloc(PKCS7Object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PKCS7_free(self->p7);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int
p7_nid(PKCS7Object *self)
{
    return self->p7->type == NULL ? NID_undef : OBJ_obj2nid(self->p7->type);
}

PyDoc_STRVAR(p7_type_is_signed_doc,
"type_is_signed($self, /)\n--\n\n"
"Return True if this is a signedData structure (a .p7b bundle is one).");

static PyObject *
p7_type_is_signed(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(p7_nid(self) == NID_pkcs7_signed);
}

PyDoc_STRVAR(p7_type_is_enveloped_doc,
"type_is_enveloped($self, /)\n--\n\n"
"Return True if this is an envelopedData structure.");

static PyObject *
p7_type_is_enveloped(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(p7_nid(self) == NID_pkcs7_enveloped);
}

PyDoc_STRVAR(p7_type_is_signedAndEnveloped_doc,
"type_is_signedAndEnveloped($self, /)\n--\n\n"
"Return True if this is a signedAndEnvelopedData structure.");

static PyObject *
p7_type_is_signedAndEnveloped(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(p7_nid(self) == NID_pkcs7_signedAndEnveloped);
}

PyDoc_STRVAR(p7_type_is_data_doc,
"type_is_data($self, /)\n--\n\n"
"Return True if this is a plain data structure.");

static PyObject *
p7_type_is_data(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(p7_nid(self) == NID_pkcs7_data);
}

PyDoc_STRVAR(p7_get_type_name_doc,
"get_type_name($self, /)\n--\n\n"
"Return OpenSSL's short name of the content type as bytes, e.g.\n"
"b'pkcs7-signedData'.");

static PyObject *
p7_get_type_name(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    int nid = p7_nid(self);
    const char *name = nid == NID_undef ? NULL : OBJ_nid2sn(nid);
    if (name != NULL) {
        return PyBytes_FromString(name);
    }
    /* A content type OpenSSL has no name for: its dotted OID. */
    char oid[128];
    int len = self->p7->type == NULL
        ? -1 : OBJ_obj2txt(oid, sizeof(oid), self->p7->type, 1);
    if (len <= 0 || (size_t)len >= sizeof(oid)) {
        return ossl_raise_msg(crypto_state_of((PyObject *)self)->Error,
                              "the structure has no content type");
    }
    return PyBytes_FromStringAndSize(oid, len);
}

/* The certificate set of a signed or signed-and-enveloped structure. */
static STACK_OF(X509) *
p7_certificates(PKCS7 *p7)
{
    int nid = p7->type == NULL ? NID_undef : OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_signed && p7->d.sign != NULL) {
        return p7->d.sign->cert;
    }
    if (nid == NID_pkcs7_signedAndEnveloped && p7->d.signed_and_enveloped != NULL) {
        return p7->d.signed_and_enveloped->cert;
    }
    return NULL;
}

PyDoc_STRVAR(p7_get_certificates_doc,
"get_certificates($self, /)\n--\n\n"
"Return the certificates the structure carries (those of a .p7b bundle,\n"
"or a signed message's signer chain) as a tuple of X509, in order, or None\n"
"if it carries none.");

static PyObject *
p7_get_certificates(PKCS7Object *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    STACK_OF(X509) *certs = p7_certificates(self->p7);
    int count = sk_X509_num(certs);
    if (count <= 0) {
        Py_RETURN_NONE;
    }
    /* Copies: the X509 objects must not change this structure's
       certificates, nor share them with it. */
    PyObject *list = crypto_x509_copies(st, certs);
    PyObject *result = list == NULL ? NULL : PyList_AsTuple(list);
    Py_XDECREF(list);
    return result;
}

static PyMethodDef p7_methods[] = {
    {"type_is_signed", (PyCFunction)p7_type_is_signed, METH_NOARGS,
     p7_type_is_signed_doc},
    {"type_is_enveloped", (PyCFunction)p7_type_is_enveloped, METH_NOARGS,
     p7_type_is_enveloped_doc},
    {"type_is_signedAndEnveloped", (PyCFunction)p7_type_is_signedAndEnveloped,
     METH_NOARGS, p7_type_is_signedAndEnveloped_doc},
    {"type_is_data", (PyCFunction)p7_type_is_data, METH_NOARGS, p7_type_is_data_doc},
    {"get_type_name", (PyCFunction)p7_get_type_name, METH_NOARGS,
     p7_get_type_name_doc},
    {"get_certificates", (PyCFunction)p7_get_certificates, METH_NOARGS,
     p7_get_certificates_doc},
    {NULL},
};

static PyType_Slot p7_slots[] = {
    {Py_tp_doc, "A PKCS#7 structure, as load_pkcs7_data() returns it."},
    {Py_tp_new, p7_new},
    {Py_tp_dealloc, p7_dealloc},
    {Py_tp_methods, p7_methods},
    {0, NULL},
};

static PyType_Spec p7_spec = {
    .name = "OpenSSL.crypto.PKCS7",
    .basicsize = sizeof(PKCS7Object),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = p7_slots,
};

/* ---- load and dump ------------------------------------------------------ */

static int
p7_print(BIO *bio, PKCS7 *p7)
{
    return PKCS7_print_ctx(bio, p7, 0, NULL);
}

static const crypto_codec p7_codec =
    CRYPTO_CODEC(PEM_STRING_PKCS7, d2i_PKCS7, i2d_PKCS7, p7_print,
                 "no PKCS#7 structure found in buffer");

PyDoc_STRVAR(load_pkcs7_data_doc,
"load_pkcs7_data($module, type, buffer, /)\n--\n\n"
"Load a PKCS#7 structure from *buffer* (bytes or str), encoded as\n"
"FILETYPE_PEM or FILETYPE_ASN1.");

static PyObject *
crypto_load_pkcs7_data(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *type_obj;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTuple(args, "OO&:load_pkcs7_data", &type_obj, ossl_bytes_conv,
                          &buffer)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (ossl_int_arg(type_obj, "type", &type) == 0) {
        PKCS7 *p7 = crypto_decode(st, &p7_codec, type, &buffer);
        result = p7 == NULL ? NULL : p7_adopt(st, p7);
    }
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(dump_pkcs7_data_doc,
"dump_pkcs7_data($module, type, pkcs7, /)\n--\n\n"
"Return *pkcs7* encoded as FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT.");

static PyObject *
crypto_dump_pkcs7_data(PyObject *module, PyObject *args)
{
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *type_obj, *obj;
    if (!PyArg_ParseTuple(args, "OO:dump_pkcs7_data", &type_obj, &obj)
        || ossl_int_arg(type_obj, "type", &type) < 0) {
        return NULL;
    }
    if (!crypto_is_a(obj, st->PKCS7_Type, "pkcs7")) {
        return NULL;
    }
    return crypto_encode(st, &p7_codec, type, ((PKCS7Object *)obj)->p7);
}

PyMethodDef crypto_pkcs7_functions[] = {
    {"load_pkcs7_data", crypto_load_pkcs7_data, METH_VARARGS, load_pkcs7_data_doc},
    {"dump_pkcs7_data", crypto_dump_pkcs7_data, METH_VARARGS, dump_pkcs7_data_doc},
    {NULL},
};

int
crypto_init_pkcs7(PyObject *module, crypto_state *st)
{
    st->PKCS7_Type = crypto_add_type(module, &p7_spec, "PKCS7Type");
    return st->PKCS7_Type == NULL ? -1 : 0;
}

/*
 * X509Name: a distinguished name, either our own copy or a live view of a
 * certificate's or request's subject/issuer.
 */
#include "crypto.h"

#include <string.h>

/* The name `self` stands for right now (borrowed). */
static X509_NAME *
name_get(X509NameObject *self)
{
    switch (self->role) {
    case OSSL_NAME_X509_SUBJECT:
        return X509_get_subject_name(((X509Object *)self->owner)->x509);
    case OSSL_NAME_X509_ISSUER:
        return X509_get_issuer_name(((X509Object *)self->owner)->x509);
    case OSSL_NAME_REQ_SUBJECT:
        return X509_REQ_get_subject_name(((X509ReqObject *)self->owner)->req);
    default:
        return self->name;
    }
}

/*
 * Store `name` (a modified copy) back into the owner.  The setters also mark
 * the owner's cached DER encoding stale, which an in-place edit would not.
 */
static int
name_commit(X509NameObject *self, X509_NAME *name)
{
    int ok;
    switch (self->role) {
    case OSSL_NAME_X509_SUBJECT:
        ok = X509_set_subject_name(((X509Object *)self->owner)->x509, name);
        break;
    case OSSL_NAME_X509_ISSUER:
        ok = X509_set_issuer_name(((X509Object *)self->owner)->x509, name);
        break;
    case OSSL_NAME_REQ_SUBJECT:
        ok = X509_REQ_set_subject_name(((X509ReqObject *)self->owner)->req, name);
        break;
    default:
        return 0;
    }
    if (!ok) {
        ossl_raise(crypto_state_of((PyObject *)self)->Error);
        return -1;
    }
    /* A loaded certificate or request keeps the encoding it came with
       until told that it changed. */
    if (self->role == OSSL_NAME_REQ_SUBJECT) {
        (void)i2d_re_X509_REQ_tbs(((X509ReqObject *)self->owner)->req, NULL);
    }
    else {
        (void)i2d_re_X509_tbs(((X509Object *)self->owner)->x509, NULL);
    }
    ERR_clear_error();
    return 0;
}

static int
name_is_view(X509NameObject *self)
{
    return self->role == OSSL_NAME_X509_SUBJECT || self->role == OSSL_NAME_X509_ISSUER
        || self->role == OSSL_NAME_REQ_SUBJECT;
}

/* An X509Name of our own type with no name yet. */
static X509NameObject *
name_alloc(crypto_state *st)
{
    X509NameObject *self = PyObject_New(X509NameObject, st->X509Name_Type);
    if (self != NULL) {
        self->name = NULL;
        self->owner = NULL;
        self->role = OSSL_NAME_OWN;
    }
    return self;
}

PyObject *
crypto_x509name_wrap(crypto_state *st, X509_NAME *name, PyObject *owner)
{
    X509NameObject *self = name_alloc(st);
    if (self == NULL) {
        return NULL;
    }
    if (owner == NULL) {
        self->name = X509_NAME_dup(name);
        if (self->name == NULL) {
            Py_DECREF(self);
            return ossl_raise(st->Error);
        }
        return (PyObject *)self;
    }
    self->owner = Py_NewRef(owner);
    self->role = OSSL_NAME_BORROWED;
    if (PyObject_TypeCheck(owner, st->X509_Type)) {
        X509 *x509 = ((X509Object *)owner)->x509;
        if (name == X509_get_subject_name(x509)) {
            self->role = OSSL_NAME_X509_SUBJECT;
        }
        else if (name == X509_get_issuer_name(x509)) {
            self->role = OSSL_NAME_X509_ISSUER;
        }
    }
    else if (st->X509Req_Type != NULL
             && PyObject_TypeCheck(owner, st->X509Req_Type)
             && name == X509_REQ_get_subject_name(((X509ReqObject *)owner)->req)) {
        self->role = OSSL_NAME_REQ_SUBJECT;
    }
    if (self->role == OSSL_NAME_BORROWED) {
        self->name = name;
    }
    return (PyObject *)self;
}

X509_NAME *
crypto_x509name_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->X509Name_Type, argname)) {
        return NULL;
    }
    return name_get((X509NameObject *)obj);
}

static PyObject *
x509name_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"name", NULL};
    crypto_state *st = crypto_state_of_type(type);
    PyObject *other;
    if (st == NULL
        || !PyArg_ParseTupleAndKeywords(args, kwds, "O:X509Name", kwlist, &other)) {
        return NULL;
    }
    X509_NAME *source = crypto_x509name_arg(st, other, "name");
    if (source == NULL) {
        return NULL;
    }
    X509_NAME *copy = X509_NAME_dup(source);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    X509NameObject *self = (X509NameObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_NAME_free(copy);
        return NULL;
    }
    self->name = copy;
    self->owner = NULL;
    self->role = OSSL_NAME_OWN;
    return (PyObject *)self;
}

static void
x509name_dealloc(X509NameObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->role == OSSL_NAME_OWN) {
        X509_NAME_free(self->name);
    }
    Py_XDECREF(self->owner);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ---- attributes ---------------------------------------------------------- */

/* The NID an attribute name stands for, or NID_undef (queue left empty). */
static int
attribute_nid(PyObject *attr, const char **text)
{
    *text = PyUnicode_AsUTF8(attr);
    if (*text == NULL) {
        return -1;
    }
    int nid = OBJ_txt2nid(*text);
    ERR_clear_error();
    return nid;
}

static PyObject *
x509name_getattro(X509NameObject *self, PyObject *attr)
{
    PyObject *found = PyObject_GenericGetAttr((PyObject *)self, attr);
    if (found != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)
        || !PyUnicode_Check(attr)) {
        return found;
    }
    PyErr_Clear();
    const char *text;
    int nid = attribute_nid(attr, &text);
    if (nid < 0) {
        return NULL;
    }
    if (nid == NID_undef) {
        PyErr_Format(PyExc_AttributeError,
                     "X509Name has no attribute '%s' (not a name attribute "
                     "OpenSSL knows)", text);
        return NULL;
    }
    X509_NAME *name = name_get(self);
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) {
        Py_RETURN_NONE;
    }
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = NULL;
    /* The converted length counts every byte, embedded NULs included. */
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    PyObject *result = PyUnicode_DecodeUTF8((const char *)utf8, len, "strict");
    OPENSSL_free(utf8);
    return result;
}

static int
x509name_setattro(X509NameObject *self, PyObject *attr, PyObject *value)
{
    if (!PyUnicode_Check(attr)) {
        PyErr_Format(PyExc_TypeError, "attribute name must be a string, not %.100s",
                     Py_TYPE(attr)->tp_name);
        return -1;
    }
    const char *text;
    int nid = attribute_nid(attr, &text);
    if (nid < 0) {
        return -1;
    }
    if (text[0] == '_') {
        return PyObject_GenericSetAttr((PyObject *)self, attr, value);
    }
    if (nid == NID_undef) {
        PyErr_Format(PyExc_AttributeError,
                     "X509Name has no attribute '%s' (not a name attribute "
                     "OpenSSL knows)", text);
        return -1;
    }
    if (value == NULL) {
        PyErr_Format(PyExc_AttributeError, "cannot delete X509Name attribute '%s'",
                     text);
        return -1;
    }
    const char *data;
    Py_ssize_t len;
    if (PyUnicode_Check(value)) {
        data = PyUnicode_AsUTF8AndSize(value, &len);
        if (data == NULL) {
            return -1;
        }
    }
    else if (PyBytes_Check(value)) {
        data = PyBytes_AS_STRING(value);
        len = PyBytes_GET_SIZE(value);
    }
    else {
        PyErr_Format(PyExc_TypeError, "X509Name.%s must be a str, not %.100s",
                     text, Py_TYPE(value)->tp_name);
        return -1;
    }
    if (memchr(data, '\0', (size_t)len) != NULL) {
        PyErr_Format(PyExc_ValueError, "X509Name.%s must not contain NUL characters",
                     text);
        return -1;
    }
    if (ossl_check_int_len(len, text) < 0) {
        return -1;
    }

    crypto_state *st = crypto_state_of((PyObject *)self);
    X509_NAME *name = name_get(self);
    if (name_is_view(self)) {
        name = X509_NAME_dup(name);
        if (name == NULL) {
            ossl_raise(st->Error);
            return -1;
        }
    }
    /* Setting an attribute replaces every entry of that type. */
    int index;
    while ((index = X509_NAME_get_index_by_NID(name, nid, -1)) >= 0) {
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, index));
    }
    int rc = 0;
    if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                    (const unsigned char *)data, (int)len, -1, 0)) {
        ossl_raise(st->Error);
        rc = -1;
    }
    if (name_is_view(self)) {
        if (rc == 0) {
            rc = name_commit(self, name);
        }
        X509_NAME_free(name);
    }
    return rc;
}

/* ---- comparison, hash, repr ----------------------------------------------- */

static PyObject *
x509name_richcompare(PyObject *a, PyObject *b, int op)
{
    crypto_state *st = crypto_state_of(a);
    if (!PyObject_TypeCheck(b, st->X509Name_Type)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int cmp = X509_NAME_cmp(name_get((X509NameObject *)a),
                            name_get((X509NameObject *)b));
    if (cmp == -2 && ERR_peek_error() != 0) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_RICHCOMPARE(cmp, 0, op);
}

static Py_hash_t
x509name_tp_hash(X509NameObject *self)
{
    int ok = 0;
    unsigned long h = X509_NAME_hash_ex(name_get(self), NULL, NULL, &ok);
    if (!ok) {
        ossl_raise(crypto_state_of((PyObject *)self)->Error);
        return -1;
    }
    Py_hash_t result = (Py_hash_t)h;
    return result == -1 ? -2 : result;
}

static PyObject *
x509name_repr(X509NameObject *self)
{
    char *text = X509_NAME_oneline(name_get(self), NULL, 0);
    if (text == NULL) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    PyObject *result = PyUnicode_FromFormat("<X509Name object '%s'>", text);
    OPENSSL_free(text);
    return result;
}

/* ---- methods -------------------------------------------------------------- */

PyDoc_STRVAR(x509name_hash_doc,
"hash($self, /)\n--\n\n"
"Return OpenSSL's hash of the name (X509_NAME_hash): the integer that\n"
"names files in a hashed certificate directory.");

static PyObject *
x509name_hash(X509NameObject *self, PyObject *Py_UNUSED(ignored))
{
    int ok = 0;
    unsigned long h = X509_NAME_hash_ex(name_get(self), NULL, NULL, &ok);
    if (!ok) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    return PyLong_FromUnsignedLong(h);
}

PyDoc_STRVAR(x509name_der_doc,
"der($self, /)\n--\n\n"
"Return the DER encoding of the name.");

static PyObject *
x509name_der(X509NameObject *self, PyObject *Py_UNUSED(ignored))
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(name_get(self), &der);
    if (len < 0) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    return result;
}

/* The short name of an object, or its dotted OID when OpenSSL has none. */
static PyObject *
object_short_name(const ASN1_OBJECT *obj)
{
    int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) {
        return PyBytes_FromString(OBJ_nid2sn(nid));
    }
    char buf[128];
    int len = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
    if (len < 0) {
        len = 0;
    }
    if ((size_t)len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    return PyBytes_FromStringAndSize(buf, len);
}

PyDoc_STRVAR(x509name_get_components_doc,
"get_components($self, /)\n--\n\n"
"Return the entries of the name, in order, as a list of\n"
"(short name, value) pairs of bytes, e.g. [(b'CN', b'example.com')].");

static PyObject *
x509name_get_components(X509NameObject *self, PyObject *Py_UNUSED(ignored))
{
    X509_NAME *name = name_get(self);
    int count = X509_NAME_entry_count(name);
    PyObject *result = PyList_New(count);
    if (result == NULL) {
        return NULL;
    }
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        const ASN1_STRING *data = X509_NAME_ENTRY_get_data(entry);
        PyObject *key = object_short_name(X509_NAME_ENTRY_get_object(entry));
        PyObject *value = PyBytes_FromStringAndSize(
            (const char *)ASN1_STRING_get0_data(data), ASN1_STRING_length(data));
        PyObject *pair = (key && value) ? PyTuple_Pack(2, key, value) : NULL;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (pair == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, i, pair);
    }
    return result;
}

static PyMethodDef x509name_methods[] = {
    {"hash", (PyCFunction)x509name_hash, METH_NOARGS, x509name_hash_doc},
    {"der", (PyCFunction)x509name_der, METH_NOARGS, x509name_der_doc},
    {"get_components", (PyCFunction)x509name_get_components, METH_NOARGS,
     x509name_get_components_doc},
    {NULL},
};

PyDoc_STRVAR(x509name_doc,
"X509Name(name)\n--\n\n"
"An X.509 distinguished name; X509Name(name) copies another one.\n\n"
"Entries are read and written as attributes by short or long name\n"
"(CN/commonName, C/countryName, ST, L, O, OU, emailAddress, ...).\n"
"Reading gives a str or None; setting replaces every entry of that type.\n"
"A name obtained from a certificate or request is a live view of it.");

static PyType_Slot x509name_slots[] = {
    {Py_tp_doc, (void *)x509name_doc},
    {Py_tp_new, x509name_new},
    {Py_tp_dealloc, x509name_dealloc},
    {Py_tp_getattro, x509name_getattro},
    {Py_tp_setattro, x509name_setattro},
    {Py_tp_richcompare, x509name_richcompare},
    {Py_tp_hash, x509name_tp_hash},
    {Py_tp_repr, x509name_repr},
    {Py_tp_methods, x509name_methods},
    {0, NULL},
};

static PyType_Spec x509name_spec = {
    .name = "OpenSSL.crypto.X509Name",
    .basicsize = sizeof(X509NameObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = x509name_slots,
};

PyMethodDef crypto_x509name_functions[] = {
    {NULL},
};

int
crypto_init_x509name(PyObject *module, crypto_state *st)
{
    st->X509Name_Type = crypto_add_type(module, &x509name_spec, "X509NameType");
    return st->X509Name_Type == NULL ? -1 : 0;
}

/*
 * Revoked: one entry of a CRL (serial number, revocation date, reason).
 * A Revoked is always its own copy: CRL.add_revoked copies it in and
 * CRL.get_revoked copies entries out.
 */
#include "crypto.h"

#include <string.h>

/* The reasons set_reason accepts, in the order of their CRLReason codes. */
static const char *const revoked_reasons[] = {
    "unspecified",
    "keyCompromise",
    "CACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
};
#define REVOKED_REASON_COUNT \
    ((int)(sizeof(revoked_reasons) / sizeof(revoked_reasons[0])))

/* ---- times, shared with crl.c and x509.c --------------------------------- */

PyObject *
crypto_time_to_bytes(crypto_state *st, const ASN1_TIME *when)
{
    if (when == NULL || ASN1_STRING_length(when) == 0) {
        Py_RETURN_NONE;
    }
    ASN1_GENERALIZEDTIME *gt = ASN1_TIME_to_generalizedtime(when, NULL);
    if (gt == NULL) {
        return ossl_raise_or(st->Error, "the time is malformed");
    }
    PyObject *result = PyBytes_FromStringAndSize(
        (const char *)ASN1_STRING_get0_data(gt), ASN1_STRING_length(gt));
    ASN1_GENERALIZEDTIME_free(gt);
    return result;
}

ASN1_TIME *
crypto_time_from_arg(crypto_state *st, PyObject *arg, const char *argname)
{
    if (!PyBytes_Check(arg) && !PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "%s must be bytes like b'20300101000000Z', "
                     "not %.100s", argname, Py_TYPE(arg)->tp_name);
        return NULL;
    }
    ossl_bytes text = OSSL_BYTES(argname);
    if (!ossl_cstring_conv(arg, &text)) {
        return NULL;
    }
    ASN1_TIME *when = ASN1_TIME_new();
    if (when == NULL) {
        ossl_raise(st->Error);
    }
    /* The _X509 variant insists on the RFC 5280 form (seconds, "Z") and
       stores dates before 2050 as UTCTime, as certificates must. */
    else if (!ASN1_TIME_set_string_X509(when, text.data)) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError,
                     "%s is not a valid time: %R (expected b'YYYYMMDDhhmmssZ')",
                     argname, arg);
        ASN1_TIME_free(when);
        when = NULL;
    }
    ossl_bytes_release(&text);
    return when;
}

int
crypto_set_time(crypto_state *st, void *obj, crypto_time_setter set,
                ASN1_TIME *when)
{
    if (when == NULL) {
        return -1;
    }
    int ok = set(obj, when);
    ASN1_TIME_free(when);
    if (!ok) {
        ossl_raise(st->Error);
        return -1;
    }
    return 0;
}

/* ---- the type ----------------------------------------------------------- */

static PyObject *
revoked_adopt(crypto_state *st, X509_REVOKED *revoked)
{
    RevokedObject *self = PyObject_New(RevokedObject, st->Revoked_Type);
    if (self == NULL) {
        X509_REVOKED_free(revoked);
        return NULL;
    }
    self->revoked = revoked;
    return (PyObject *)self;
}

PyObject *
crypto_revoked_wrap(crypto_state *st, const X509_REVOKED *revoked)
{
    X509_REVOKED *copy = X509_REVOKED_dup(revoked);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    return revoked_adopt(st, copy);
}

X509_REVOKED *
crypto_revoked_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->Revoked_Type, argname)) {
        return NULL;
    }
    return ((RevokedObject *)obj)->revoked;
}

static PyObject *
revoked_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL || !_PyArg_NoPositional("Revoked", args)
        || !_PyArg_NoKeywords("Revoked", kwds)) {
        return NULL;
    }
    X509_REVOKED *revoked = X509_REVOKED_new();
    if (revoked == NULL) {
        return ossl_raise(st->Error);
    }
    RevokedObject *self = (RevokedObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_REVOKED_free(revoked);
        return NULL;
    }
    self->revoked = revoked;
    return (PyObject *)self;
}

static void
revoked_dealloc(RevokedObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_REVOKED_free(self->revoked);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

PyDoc_STRVAR(revoked_set_serial_doc,
"set_serial($self, hex_str)\n--\n\n"
"Set the revoked certificate's serial number from the hexadecimal digits\n"
"*hex_str* (bytes), e.g. b'3ab'.  ValueError for anything else.");

static PyObject *
revoked_set_serial(RevokedObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"hex_str", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *hex_obj;
    ossl_bytes hex = OSSL_BYTES("hex_str");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_serial", kwlist, &hex_obj)
        || !ossl_cstring_conv(hex_obj, &hex)) {
        return NULL;
    }
    PyObject *result = NULL;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    /* BN_hex2bn stops at the first non-hex character: insist it read all. */
    int used = hex.len > 0 && hex.len <= 4096 ? BN_hex2bn(&bn, hex.data) : 0;
    if (used <= 0 || used != hex.len) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError,
                     "hex_str must be hexadecimal digits, not %R", hex_obj);
        goto done;
    }
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    if (serial == NULL || !X509_REVOKED_set_serialNumber(self->revoked, serial)) {
        ossl_raise(st->Error);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    ossl_bytes_release(&hex);
    return result;
}

PyDoc_STRVAR(revoked_get_serial_doc,
"get_serial($self, /)\n--\n\n"
"Return the serial number as upper-case hexadecimal bytes, two digits a\n"
"byte (b'03AB').");

static PyObject *
revoked_get_serial(RevokedObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    PyObject *result;
    if (i2a_ASN1_INTEGER(bio, X509_REVOKED_get0_serialNumber(self->revoked)) < 0) {
        result = ossl_raise(st->Error);
    }
    else {
        result = ossl_bio_to_bytes(bio);
    }
    BIO_free(bio);
    return result;
}

/* Remove every CRLReason extension; -1 with an exception on failure. */
static int
revoked_delete_reason(crypto_state *st, X509_REVOKED *revoked)
{
    int index;
    while ((index = X509_REVOKED_get_ext_by_NID(revoked, NID_crl_reason, -1)) >= 0) {
        X509_EXTENSION *ext = X509_REVOKED_delete_ext(revoked, index);
        if (ext == NULL) {
            ossl_raise(st->Error);
            return -1;
        }
        X509_EXTENSION_free(ext);
    }
    return 0;
}

/* The reason code for `name`, compared case-insensitively and ignoring
   spaces (so get_reason()'s b"Key Compromise" is accepted back). */
static int
revoked_reason_code(const char *name, Py_ssize_t len)
{
    char squeezed[64];
    size_t n = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (name[i] == ' ') {
            continue;
        }
        if (n + 1 >= sizeof(squeezed)) {
            return -1;
        }
        squeezed[n++] = name[i];
    }
    squeezed[n] = '\0';
    for (int code = 0; code < REVOKED_REASON_COUNT; code++) {
        if (OPENSSL_strcasecmp(squeezed, revoked_reasons[code]) == 0) {
            return code;
        }
    }
    return -1;
}

PyDoc_STRVAR(revoked_set_reason_doc,
"set_reason($self, reason)\n--\n\n"
"Set the reason for the revocation: one of all_reasons() (case and\n"
"spaces do not matter), or None to remove the reason.  ValueError for an\n"
"unknown reason.");

static PyObject *
revoked_set_reason(RevokedObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"reason", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *reason_obj;
    ossl_bytes reason = OSSL_BYTES_OR_NONE("reason");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:set_reason", kwlist,
                                     &reason_obj)
        || !ossl_cstring_conv(reason_obj, &reason)) {
        return NULL;
    }
    PyObject *result = NULL;
    ASN1_ENUMERATED *value = NULL;
    int code = -1;
    if (reason.data != NULL) {
        code = revoked_reason_code(reason.data, reason.len);
        if (code < 0) {
            PyErr_Format(PyExc_ValueError,
                         "reason must be one of Revoked.all_reasons() or None, "
                         "not %R", reason_obj);
            goto done;
        }
    }
    if (revoked_delete_reason(st, self->revoked) < 0) {
        goto done;
    }
    if (code >= 0) {
        value = ASN1_ENUMERATED_new();
        if (value == NULL || !ASN1_ENUMERATED_set(value, code)
            || !X509_REVOKED_add1_ext_i2d(self->revoked, NID_crl_reason, value,
                                          0, 0)) {
            ossl_raise(st->Error);
            goto done;
        }
    }
    result = Py_NewRef(Py_None);
done:
    ASN1_ENUMERATED_free(value);
    ossl_bytes_release(&reason);
    return result;
}

PyDoc_STRVAR(revoked_get_reason_doc,
"get_reason($self, /)\n--\n\n"
"Return the reason as OpenSSL prints it (e.g. b'Key Compromise'), or None\n"
"if the entry gives none.");

static PyObject *
revoked_get_reason(RevokedObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    int index = X509_REVOKED_get_ext_by_NID(self->revoked, NID_crl_reason, -1);
    if (index < 0) {
        Py_RETURN_NONE;
    }
    X509_EXTENSION *ext = X509_REVOKED_get_ext(self->revoked, index);
    BIO *bio = BIO_new(BIO_s_mem());
    if (ext == NULL || bio == NULL) {
        BIO_free(bio);
        return ossl_raise(st->Error);
    }
    PyObject *result;
    if (X509V3_EXT_print(bio, ext, 0, 0) <= 0) {
        /* Not decodable as a CRLReason: give the raw value. */
        ERR_clear_error();
        ASN1_STRING_print(bio, X509_EXTENSION_get_data(ext));
    }
    result = ossl_bio_to_bytes(bio);
    BIO_free(bio);
    return result;
}

PyDoc_STRVAR(revoked_all_reasons_doc,
"all_reasons($self, /)\n--\n\n"
"Return the reasons set_reason() accepts, as a list of bytes.");

static PyObject *
revoked_all_reasons(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    (void)self;
    PyObject *list = PyList_New(REVOKED_REASON_COUNT);
    for (int i = 0; list != NULL && i < REVOKED_REASON_COUNT; i++) {
        PyObject *item = PyBytes_FromString(revoked_reasons[i]);
        if (item == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

PyDoc_STRVAR(revoked_get_rev_date_doc,
"get_rev_date($self, /)\n--\n\n"
"Return the revocation date as b'YYYYMMDDhhmmssZ', or None if unset.");

static PyObject *
revoked_get_rev_date(RevokedObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_time_to_bytes(crypto_state_of((PyObject *)self),
                                X509_REVOKED_get0_revocationDate(self->revoked));
}

PyDoc_STRVAR(revoked_set_rev_date_doc,
"set_rev_date($self, when, /)\n--\n\n"
"Set the revocation date; *when* is b'YYYYMMDDhhmmssZ'.");

static PyObject *
revoked_set_rev_date(RevokedObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (crypto_set_time(st, self->revoked,
                        (crypto_time_setter)X509_REVOKED_set_revocationDate,
                        crypto_time_from_arg(st, arg, "when")) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef revoked_methods[] = {
    {"set_serial", (PyCFunction)(void (*)(void))revoked_set_serial,
     METH_VARARGS | METH_KEYWORDS, revoked_set_serial_doc},
    {"get_serial", (PyCFunction)revoked_get_serial, METH_NOARGS,
     revoked_get_serial_doc},
    {"set_reason", (PyCFunction)(void (*)(void))revoked_set_reason,
     METH_VARARGS | METH_KEYWORDS, revoked_set_reason_doc},
    {"get_reason", (PyCFunction)revoked_get_reason, METH_NOARGS,
     revoked_get_reason_doc},
    {"all_reasons", (PyCFunction)revoked_all_reasons, METH_NOARGS,
     revoked_all_reasons_doc},
    {"get_rev_date", (PyCFunction)revoked_get_rev_date, METH_NOARGS,
     revoked_get_rev_date_doc},
    {"set_rev_date", (PyCFunction)revoked_set_rev_date, METH_O,
     revoked_set_rev_date_doc},
    {NULL},
};

static PyType_Slot revoked_slots[] = {
    {Py_tp_doc, "Revoked()\n--\n\n"
                "One revoked certificate of a CRL: serial number, date and\n"
                "reason."},
    {Py_tp_new, revoked_new},
    {Py_tp_dealloc, revoked_dealloc},
    {Py_tp_methods, revoked_methods},
    {0, NULL},
};

static PyType_Spec revoked_spec = {
    .name = "OpenSSL.crypto.Revoked",
    .basicsize = sizeof(RevokedObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = revoked_slots,
};

PyMethodDef crypto_revoked_functions[] = {
    {NULL},
};

int
crypto_init_revoked(PyObject *module, crypto_state *st)
{
    st->Revoked_Type = crypto_add_type(module, &revoked_spec, NULL);
    return st->Revoked_Type == NULL ? -1 : 0;
}

/*
 * X509: a certificate, and the module functions that load and dump them.
 */
#include "crypto.h"

#include <limits.h>
#include <string.h>

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

PyObject *
crypto_x509_copy(crypto_state *st, const X509 *x509)
{
    X509 *copy = X509_dup(x509);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    return x509_adopt(st, copy);
}

PyObject *
crypto_x509_copies(crypto_state *st, const STACK_OF(X509) *certs)
{
    int count = sk_X509_num(certs);
    PyObject *list = PyList_New(count < 0 ? 0 : count);
    for (int i = 0; list != NULL && i < count; i++) {
        PyObject *cert = crypto_x509_copy(st, sk_X509_value(certs, i));
        if (cert == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, cert);
    }
    return list;
}

X509 *
crypto_x509_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->X509_Type, argname)) {
        return NULL;
    }
    return ((X509Object *)obj)->x509;
}

/*
 * Mark the certificate's cached DER encoding stale.  OpenSSL 3.0 keeps the
 * encoding a certificate was loaded from and most setters do not clear it,
 * so a loaded certificate would be written out unchanged after set_*();
 * i2d_re_X509_tbs is the documented way to force a fresh encoding.
 */
static void
x509_touch(X509 *x509)
{
    (void)i2d_re_X509_tbs(x509, NULL);
    ERR_clear_error();
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

int
crypto_signing_key(crypto_state *st, PyObject *pkey_obj, const char *digest,
                   EVP_PKEY **pkey, const EVP_MD **md)
{
    *pkey = crypto_pkey_arg(st, pkey_obj, "pkey");
    if (*pkey == NULL) {
        return -1;
    }
    if (((PKeyObject *)pkey_obj)->only_public) {
        PyErr_SetString(PyExc_ValueError,
                        "pkey has only a public key: signing needs the private key");
        return -1;
    }
    return crypto_digest_for_key(*pkey, digest, md);
}

int
crypto_sign_args(crypto_state *st, PyObject *args, PyObject *kwds,
                 EVP_PKEY **pkey, const EVP_MD **md)
{
    static char *kwlist[] = {"pkey", "digest", NULL};
    PyObject *pkey_obj;
    ossl_bytes digest = OSSL_BYTES("digest");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO&:sign", kwlist, &pkey_obj,
                                     ossl_cstring_conv, &digest)) {
        return -1;
    }
    int rc = crypto_signing_key(st, pkey_obj, digest.data, pkey, md);
    ossl_bytes_release(&digest);
    return rc;
}

/*
 * Another thread may read or change the object (or regenerate the key) while
 * the GIL is released, and must never meet a half-written structure: hence
 * the private copy, and a reference of our own to the key.
 */
int
crypto_sign_swap(void **slot, const crypto_signer *signer, EVP_PKEY *pkey,
                 const EVP_MD *md)
{
    int ok;
    EVP_PKEY_up_ref(pkey);
    /*
     * An EC or EdDSA signature takes microseconds, less than the copy (OpenSSL
     * 3.0 encodes and decodes the copy's public key again), so those keys sign
     * in place with the GIL held: nothing to wait for, nothing to race.
     */
    int base_id = EVP_PKEY_get_base_id(pkey);
    int quick = base_id == EVP_PKEY_EC || base_id == EVP_PKEY_ED25519
                || base_id == EVP_PKEY_ED448;
    void *copy = quick ? NULL : signer->copy(*slot);
    ERR_clear_error();
    if (copy == NULL) {
        ok = signer->sign(*slot, pkey, md);
    }
    else {
        OSSL_ALLOW_THREADS_BEGIN;
        ok = signer->sign(copy, pkey, md);
        OSSL_ALLOW_THREADS_END;
        if (ok > 0) {
            signer->free(*slot);
            *slot = copy;
        }
        else {
            signer->free(copy);
        }
    }
    EVP_PKEY_free(pkey);
    return ok > 0 ? 0 : -1;
}

/* ---- version and serial number ------------------------------------------ */

PyDoc_STRVAR(x509_get_version_doc,
"get_version($self, /)\n--\n\n"
"Return the certificate's version number, zero-based: 2 means v3.");

static PyObject *
x509_get_version(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(X509_get_version(self->x509));
}

PyDoc_STRVAR(x509_set_version_doc,
"set_version($self, version, /)\n--\n\n"
"Set the version number, zero-based: 0 (v1), 1 (v2) or 2 (v3).");

static PyObject *
x509_set_version(X509Object *self, PyObject *arg)
{
    int version;
    if (ossl_int_arg(arg, "version", &version) < 0) {
        return NULL;
    }
    if (version < X509_VERSION_1 || version > X509_VERSION_3) {
        PyErr_Format(PyExc_ValueError,
                     "version must be 0 (v1), 1 (v2) or 2 (v3), not %d", version);
        return NULL;
    }
    if (!X509_set_version(self->x509, version)) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    x509_touch(self->x509);
    Py_RETURN_NONE;
}

/* A Python int as an ASN1_INTEGER (any size, either sign). */
static ASN1_INTEGER *
pylong_to_asn1_integer(crypto_state *st, PyObject *value, const char *argname)
{
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s",
                     argname, Py_TYPE(value)->tp_name);
        return NULL;
    }
    PyObject *hex = PyNumber_ToBase(value, 16);
    if (hex == NULL) {
        return NULL;
    }
    const char *text = PyUnicode_AsUTF8(hex);
    ASN1_INTEGER *result = NULL;
    if (text != NULL) {
        int negative = text[0] == '-';
        BIGNUM *bn = NULL;
        /* Skip the sign and the "0x" prefix. */
        if (BN_hex2bn(&bn, text + (negative ? 3 : 2)) > 0) {
            BN_set_negative(bn, negative);
            result = BN_to_ASN1_INTEGER(bn, NULL);
        }
        BN_free(bn);
        if (result == NULL) {
            ossl_raise(st->Error);
        }
    }
    Py_DECREF(hex);
    return result;
}

static PyObject *
asn1_integer_to_pylong(crypto_state *st, const ASN1_INTEGER *value)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(value, NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    BN_free(bn);
    if (hex == NULL) {
        return ossl_raise(st->Error);
    }
    PyObject *result = PyLong_FromString(hex, NULL, 16);
    OPENSSL_free(hex);
    return result;
}

PyDoc_STRVAR(x509_get_serial_number_doc,
"get_serial_number($self, /)\n--\n\n"
"Return the certificate's serial number as an int.");

static PyObject *
x509_get_serial_number(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return asn1_integer_to_pylong(crypto_state_of((PyObject *)self),
                                  X509_get0_serialNumber(self->x509));
}

PyDoc_STRVAR(x509_set_serial_number_doc,
"set_serial_number($self, serial, /)\n--\n\n"
"Set the serial number (an int of any size).");

static PyObject *
x509_set_serial_number(X509Object *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    ASN1_INTEGER *serial = pylong_to_asn1_integer(st, arg, "serial");
    if (serial == NULL) {
        return NULL;
    }
    int ok = X509_set_serialNumber(self->x509, serial);
    ASN1_INTEGER_free(serial);
    x509_touch(self->x509);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

/* ---- names ----------------------------------------------------------------- */

PyDoc_STRVAR(x509_get_subject_doc,
"get_subject($self, /)\n--\n\n"
"Return the subject name: an X509Name through which setting an attribute\n"
"changes this certificate.");

static PyObject *
x509_get_subject(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_x509name_wrap(crypto_state_of((PyObject *)self),
                                X509_get_subject_name(self->x509), (PyObject *)self);
}

PyDoc_STRVAR(x509_get_issuer_doc,
"get_issuer($self, /)\n--\n\n"
"Return the issuer name: an X509Name through which setting an attribute\n"
"changes this certificate.");

static PyObject *
x509_get_issuer(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_x509name_wrap(crypto_state_of((PyObject *)self),
                                X509_get_issuer_name(self->x509), (PyObject *)self);
}

typedef int (*name_setter)(X509 *, const X509_NAME *);

static PyObject *
x509_set_name(X509Object *self, PyObject *arg, const char *argname,
              name_setter set)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    X509_NAME *name = crypto_x509name_arg(st, arg, argname);
    if (name == NULL) {
        return NULL;
    }
    if (!set(self->x509, name)) {
        return ossl_raise(st->Error);
    }
    x509_touch(self->x509);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(x509_set_subject_doc,
"set_subject($self, subject, /)\n--\n\n"
"Set the subject to a copy of the X509Name *subject*.");

static PyObject *
x509_set_subject(X509Object *self, PyObject *arg)
{
    return x509_set_name(self, arg, "subject", X509_set_subject_name);
}

PyDoc_STRVAR(x509_set_issuer_doc,
"set_issuer($self, issuer, /)\n--\n\n"
"Set the issuer to a copy of the X509Name *issuer*.");

static PyObject *
x509_set_issuer(X509Object *self, PyObject *arg)
{
    return x509_set_name(self, arg, "issuer", X509_set_issuer_name);
}

PyDoc_STRVAR(x509_subject_name_hash_doc,
"subject_name_hash($self, /)\n--\n\n"
"Return OpenSSL's hash of the subject name (as in `openssl x509 -hash`).");

static PyObject *
x509_subject_name_hash(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromUnsignedLong(X509_subject_name_hash(self->x509));
}

/* ---- public key and signature --------------------------------------------- */

PyDoc_STRVAR(x509_get_pubkey_doc,
"get_pubkey($self, /)\n--\n\n"
"Return the certificate's public key as a PKey with no private half.");

static PyObject *
x509_get_pubkey(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_pubkey_wrap(crypto_state_of((PyObject *)self),
                              X509_get0_pubkey(self->x509), "certificate");
}

PyDoc_STRVAR(x509_set_pubkey_doc,
"set_pubkey($self, pkey, /)\n--\n\n"
"Set the certificate's public key to the public half of *pkey*.");

static PyObject *
x509_set_pubkey(X509Object *self, PyObject *arg)
{
    if (crypto_set_pubkey(crypto_state_of((PyObject *)self), self->x509,
                          (crypto_pubkey_setter)X509_set_pubkey, arg) < 0) {
        return NULL;
    }
    x509_touch(self->x509);
    Py_RETURN_NONE;
}

/*
 * A private copy of `x509` to sign.  X509_dup goes through DER, which an
 * unsigned certificate does not have yet (its signature algorithm is empty),
 * so that case copies the to-be-signed fields one by one.  NULL if neither
 * works (a certificate missing fields OpenSSL needs to encode).
 */
static X509 *
x509_copy_for_signing(X509 *x509)
{
    X509 *copy = X509_dup(x509);
    if (copy != NULL) {
        return copy;
    }
    ERR_clear_error();
    copy = X509_new();
    if (copy == NULL) {
        return NULL;
    }
    const ASN1_TIME *not_before = X509_get0_notBefore(x509);
    const ASN1_TIME *not_after = X509_get0_notAfter(x509);
    EVP_PKEY *pubkey = X509_get0_pubkey(x509);
    int ok = X509_set_version(copy, X509_get_version(x509))
        && X509_set_serialNumber(copy, (ASN1_INTEGER *)X509_get0_serialNumber(x509))
        && X509_set_issuer_name(copy, X509_get_issuer_name(x509))
        && X509_set_subject_name(copy, X509_get_subject_name(x509))
        && (ASN1_STRING_length(not_before) == 0 || X509_set1_notBefore(copy, not_before))
        && (ASN1_STRING_length(not_after) == 0 || X509_set1_notAfter(copy, not_after))
        && (pubkey == NULL || X509_set_pubkey(copy, pubkey));
    for (int i = 0; ok && i < X509_get_ext_count(x509); i++) {
        ok = X509_add_ext(copy, X509_get_ext(x509, i), -1);
    }
    ERR_clear_error();
    if (!ok) {
        X509_free(copy);
        return NULL;
    }
    return copy;
}

PyDoc_STRVAR(x509_sign_doc,
"sign($self, pkey, digest)\n--\n\n"
"Sign the certificate with the private key *pkey* and the digest named\n"
"*digest* (e.g. 'sha256'; ignored for Ed25519 and Ed448 keys).\n"
"Runs with the GIL released.");

static const crypto_signer x509_signer =
    CRYPTO_SIGNER(x509_copy_for_signing, X509_sign, X509_free);

static PyObject *
x509_sign(X509Object *self, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey;
    const EVP_MD *md;
    if (crypto_sign_args(st, args, kwds, &pkey, &md) < 0) {
        return NULL;
    }
    if (crypto_sign_swap((void **)&self->x509, &x509_signer, pkey, md) < 0) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(x509_get_signature_algorithm_doc,
"get_signature_algorithm($self, /)\n--\n\n"
"Return the long name of the signature algorithm, e.g.\n"
"b'sha256WithRSAEncryption'.  Raises ValueError if it is undefined\n"
"(an unsigned certificate).");

static PyObject *
x509_get_signature_algorithm(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    X509_get0_signature(NULL, &alg, self->x509);
    if (alg != NULL) {
        X509_ALGOR_get0(&obj, NULL, NULL, alg);
    }
    int nid = obj != NULL ? OBJ_obj2nid(obj) : NID_undef;
    if (nid == NID_undef) {
        PyErr_SetString(PyExc_ValueError, "undefined signature algorithm");
        return NULL;
    }
    return PyBytes_FromString(OBJ_nid2ln(nid));
}

PyDoc_STRVAR(x509_digest_doc,
"digest($self, digest_name)\n--\n\n"
"Return the fingerprint of the DER certificate with the digest named\n"
"*digest_name*, as colon-separated upper-case hex: b'AB:CD:...'.");

static PyObject *
x509_digest(X509Object *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"digest_name", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    ossl_bytes name = OSSL_BYTES("digest_name");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&:digest", kwlist,
                                     ossl_cstring_conv, &name)) {
        return NULL;
    }
    const EVP_MD *md = EVP_get_digestbyname(name.data);
    if (md == NULL) {
        PyErr_Format(PyExc_ValueError, "no such digest method: '%s'", name.data);
        ossl_bytes_release(&name);
        return NULL;
    }
    ossl_bytes_release(&name);
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_digest(self->x509, md, buf, &len)) {
        return ossl_raise(st->Error);
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, len == 0 ? 0 : 3 * len - 1);
    if (result == NULL) {
        return NULL;
    }
    static const char digits[] = "0123456789ABCDEF";
    char *out = PyBytes_AS_STRING(result);
    for (unsigned int i = 0; i < len; i++) {
        if (i > 0) {
            *out++ = ':';
        }
        *out++ = digits[buf[i] >> 4];
        *out++ = digits[buf[i] & 0xf];
    }
    return result;
}

/* ---- validity ---------------------------------------------------------------- */

typedef int (*time_setter)(X509 *, const ASN1_TIME *);

/* Set a validity time to `when` (taken over; NULL when making it raised). */
static PyObject *
x509_set_time(X509Object *self, ASN1_TIME *when, time_setter set)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (crypto_set_time(st, self->x509, (crypto_time_setter)set, when) < 0) {
        return NULL;
    }
    x509_touch(self->x509);
    Py_RETURN_NONE;
}

/* `amount` seconds from now (any size an ASN1_TIME can hold). */
static PyObject *
x509_adj_time(X509Object *self, PyObject *arg, time_setter set)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    long amount;
    if (ossl_long_arg(arg, "amount", &amount) < 0) {
        return NULL;
    }
    long days = amount / 86400;
    if (days > INT_MAX || days < INT_MIN) {
        PyErr_Format(PyExc_OverflowError, "amount is out of range: %R", arg);
        return NULL;
    }
    ASN1_TIME *when = X509_time_adj_ex(NULL, (int)days, (long)(amount % 86400), NULL);
    if (when == NULL) {
        return ossl_raise_or(st->Error, "amount gives a time that cannot be "
                             "represented: %R seconds from now", arg);
    }
    return x509_set_time(self, when, set);
}

PyDoc_STRVAR(x509_get_notBefore_doc,
"get_notBefore($self, /)\n--\n\n"
"Return the start of the validity period as b'YYYYMMDDhhmmssZ', or None.");

static PyObject *
x509_get_notBefore(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_time_to_bytes(crypto_state_of((PyObject *)self),
                                X509_get0_notBefore(self->x509));
}

PyDoc_STRVAR(x509_get_notAfter_doc,
"get_notAfter($self, /)\n--\n\n"
"Return the end of the validity period as b'YYYYMMDDhhmmssZ', or None.");

static PyObject *
x509_get_notAfter(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_time_to_bytes(crypto_state_of((PyObject *)self),
                                X509_get0_notAfter(self->x509));
}

PyDoc_STRVAR(x509_set_notBefore_doc,
"set_notBefore($self, when, /)\n--\n\n"
"Set the start of the validity period; *when* is b'YYYYMMDDhhmmssZ'.\n"
"Raises ValueError for a malformed time.");

static PyObject *
x509_set_notBefore(X509Object *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    return x509_set_time(self, crypto_time_from_arg(st, arg, "when"),
                         X509_set1_notBefore);
}

PyDoc_STRVAR(x509_set_notAfter_doc,
"set_notAfter($self, when, /)\n--\n\n"
"Set the end of the validity period; *when* is b'YYYYMMDDhhmmssZ'.\n"
"Raises ValueError for a malformed time.");

static PyObject *
x509_set_notAfter(X509Object *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    return x509_set_time(self, crypto_time_from_arg(st, arg, "when"),
                         X509_set1_notAfter);
}

PyDoc_STRVAR(x509_gmtime_adj_notBefore_doc,
"gmtime_adj_notBefore($self, amount, /)\n--\n\n"
"Set the start of the validity period to *amount* seconds from now.");

static PyObject *
x509_gmtime_adj_notBefore(X509Object *self, PyObject *arg)
{
    return x509_adj_time(self, arg, X509_set1_notBefore);
}

PyDoc_STRVAR(x509_gmtime_adj_notAfter_doc,
"gmtime_adj_notAfter($self, amount, /)\n--\n\n"
"Set the end of the validity period to *amount* seconds from now.");

static PyObject *
x509_gmtime_adj_notAfter(X509Object *self, PyObject *arg)
{
    return x509_adj_time(self, arg, X509_set1_notAfter);
}

PyDoc_STRVAR(x509_has_expired_doc,
"has_expired($self, /)\n--\n\n"
"Return True if the end of the validity period is in the past.");

static PyObject *
x509_has_expired(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    const ASN1_TIME *not_after = X509_get0_notAfter(self->x509);
    if (not_after == NULL || ASN1_STRING_length(not_after) == 0) {
        PyErr_SetString(PyExc_ValueError, "the certificate has no notAfter time");
        return NULL;
    }
    int cmp = X509_cmp_current_time(not_after);
    if (cmp == 0) {
        return ossl_raise_msg(crypto_state_of((PyObject *)self)->Error,
                              "the certificate's notAfter time is malformed");
    }
    return PyBool_FromLong(cmp < 0);
}

/* ---- extensions ------------------------------------------------------------- */

PyDoc_STRVAR(x509_add_extensions_doc,
"add_extensions($self, extensions, /)\n--\n\n"
"Add the X509Extension objects of the sequence *extensions*.");

static PyObject *
x509_add_extensions(X509Object *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    STACK_OF(X509_EXTENSION) *exts = crypto_x509ext_list_arg(st, arg, "extensions");
    if (exts == NULL) {
        return NULL;
    }
    int ok = 1;
    for (int i = 0; ok && i < sk_X509_EXTENSION_num(exts); i++) {
        ok = X509_add_ext(self->x509, sk_X509_EXTENSION_value(exts, i), -1);
    }
    x509_touch(self->x509);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(x509_get_extension_count_doc,
"get_extension_count($self, /)\n--\n\n"
"Return the number of extensions of the certificate.");

static PyObject *
x509_get_extension_count(X509Object *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(X509_get_ext_count(self->x509));
}

PyDoc_STRVAR(x509_get_extension_doc,
"get_extension($self, index, /)\n--\n\n"
"Return the extension at *index* as an X509Extension (IndexError when\n"
"there is none).");

static PyObject *
x509_get_extension(X509Object *self, PyObject *arg)
{
    int index;
    if (ossl_int_arg(arg, "index", &index) < 0) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_IndexError, "extension index out of bounds");
        }
        return NULL;
    }
    if (index < 0 || index >= X509_get_ext_count(self->x509)) {
        PyErr_Format(PyExc_IndexError,
                     "extension index out of bounds: %d (the certificate has %d)",
                     index, X509_get_ext_count(self->x509));
        return NULL;
    }
    return crypto_x509ext_wrap(crypto_state_of((PyObject *)self),
                               X509_get_ext(self->x509, index));
}

/* ---- cryptography ---------------------------------------------------------- */

PyDoc_STRVAR(x509_to_cryptography_doc,
"to_cryptography($self, /)\n--\n\n"
"Return the certificate as a ``cryptography.x509.Certificate``.");

PyDoc_STRVAR(x509_from_cryptography_doc,
"from_cryptography($type, crypto_cert, /)\n--\n\n"
"Return an X509 holding the ``cryptography.x509.Certificate`` *crypto_cert*.");

/* ---- comparison ------------------------------------------------------------- */

/* The DER of the certificate as it would be written now, or NULL. */
static PyObject *
x509_der_bytes(X509 *x509)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x509, &der);
    if (len < 0) {
        ERR_clear_error();
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    return result;
}

/*
 * Two certificates are equal when their encodings are (what X509_cmp means
 * for signed certificates); X509_cmp itself trusts a fingerprint cached
 * before a later set_*() call, so the encodings are compared directly.
 */
static PyObject *
x509_richcompare(PyObject *a, PyObject *b, int op)
{
    crypto_state *st = crypto_state_of(a);
    if (!PyObject_TypeCheck(b, st->X509_Type) || (op != Py_EQ && op != Py_NE)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int equal;
    if (a == b) {
        equal = 1;
    }
    else {
        PyObject *da = x509_der_bytes(((X509Object *)a)->x509);
        PyObject *db = da ? x509_der_bytes(((X509Object *)b)->x509) : NULL;
        if (da == NULL || db == NULL) {
            if (PyErr_Occurred()) {
                Py_XDECREF(da);
                return NULL;
            }
            /* An incomplete certificate has no encoding: only itself. */
            equal = 0;
        }
        else {
            equal = PyBytes_GET_SIZE(da) == PyBytes_GET_SIZE(db)
                && memcmp(PyBytes_AS_STRING(da), PyBytes_AS_STRING(db),
                          (size_t)PyBytes_GET_SIZE(da)) == 0;
        }
        Py_XDECREF(da);
        Py_XDECREF(db);
    }
    return PyBool_FromLong(op == Py_EQ ? equal : !equal);
}

static Py_hash_t
x509_hash(X509Object *self)
{
    PyObject *der = x509_der_bytes(self->x509);
    if (der == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        Py_hash_t h = (Py_hash_t)((uintptr_t)self >> 4);
        return h == -1 ? -2 : h;
    }
    Py_hash_t h = PyObject_Hash(der);
    Py_DECREF(der);
    return h;
}

static PyMethodDef x509_methods[] = {
    {"get_version", (PyCFunction)x509_get_version, METH_NOARGS, x509_get_version_doc},
    {"set_version", (PyCFunction)x509_set_version, METH_O, x509_set_version_doc},
    {"get_serial_number", (PyCFunction)x509_get_serial_number, METH_NOARGS,
     x509_get_serial_number_doc},
    {"set_serial_number", (PyCFunction)x509_set_serial_number, METH_O,
     x509_set_serial_number_doc},
    {"get_subject", (PyCFunction)x509_get_subject, METH_NOARGS, x509_get_subject_doc},
    {"set_subject", (PyCFunction)x509_set_subject, METH_O, x509_set_subject_doc},
    {"get_issuer", (PyCFunction)x509_get_issuer, METH_NOARGS, x509_get_issuer_doc},
    {"set_issuer", (PyCFunction)x509_set_issuer, METH_O, x509_set_issuer_doc},
    {"subject_name_hash", (PyCFunction)x509_subject_name_hash, METH_NOARGS,
     x509_subject_name_hash_doc},
    {"get_pubkey", (PyCFunction)x509_get_pubkey, METH_NOARGS, x509_get_pubkey_doc},
    {"set_pubkey", (PyCFunction)x509_set_pubkey, METH_O, x509_set_pubkey_doc},
    {"sign", (PyCFunction)(void (*)(void))x509_sign, METH_VARARGS | METH_KEYWORDS,
     x509_sign_doc},
    {"get_signature_algorithm", (PyCFunction)x509_get_signature_algorithm,
     METH_NOARGS, x509_get_signature_algorithm_doc},
    {"digest", (PyCFunction)(void (*)(void))x509_digest,
     METH_VARARGS | METH_KEYWORDS, x509_digest_doc},
    {"get_notBefore", (PyCFunction)x509_get_notBefore, METH_NOARGS,
     x509_get_notBefore_doc},
    {"set_notBefore", (PyCFunction)x509_set_notBefore, METH_O, x509_set_notBefore_doc},
    {"get_notAfter", (PyCFunction)x509_get_notAfter, METH_NOARGS,
     x509_get_notAfter_doc},
    {"set_notAfter", (PyCFunction)x509_set_notAfter, METH_O, x509_set_notAfter_doc},
    {"gmtime_adj_notBefore", (PyCFunction)x509_gmtime_adj_notBefore, METH_O,
     x509_gmtime_adj_notBefore_doc},
    {"gmtime_adj_notAfter", (PyCFunction)x509_gmtime_adj_notAfter, METH_O,
     x509_gmtime_adj_notAfter_doc},
    {"has_expired", (PyCFunction)x509_has_expired, METH_NOARGS, x509_has_expired_doc},
    {"add_extensions", (PyCFunction)x509_add_extensions, METH_O,
     x509_add_extensions_doc},
    {"get_extension_count", (PyCFunction)x509_get_extension_count, METH_NOARGS,
     x509_get_extension_count_doc},
    {"get_extension", (PyCFunction)x509_get_extension, METH_O, x509_get_extension_doc},
    {"to_cryptography", (PyCFunction)crypto_to_cryptography, METH_NOARGS,
     x509_to_cryptography_doc},
    {"from_cryptography", (PyCFunction)crypto_from_cryptography, METH_O | METH_CLASS,
     x509_from_cryptography_doc},
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
    {Py_tp_richcompare, x509_richcompare},
    {Py_tp_hash, x509_hash},
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

static const crypto_codec x509_codec =
    CRYPTO_CODEC(PEM_STRING_X509, d2i_X509, i2d_X509, X509_print,
                 "no certificate found in buffer");

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
    X509 *x509 = crypto_decode(st, &x509_codec, type, &buffer);
    ossl_bytes_release(&buffer);
    return x509 == NULL ? NULL : x509_adopt(st, x509);
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
    if (x509 == NULL) {
        return NULL;
    }
    return crypto_encode(st, &x509_codec, type, x509);
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
    st->X509_Type = crypto_add_type(module, &x509_spec, "X509Type");
    return st->X509_Type == NULL ? -1 : 0;
}

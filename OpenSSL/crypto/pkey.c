/*
 * PKey (public/private key pairs), the elliptic curve objects, and the
 * module functions that load, dump, sign and verify with keys.
 */
#include "crypto.h"

#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/dsa.h>

#include <string.h>

PyObject *
crypto_pkey_wrap(crypto_state *st, EVP_PKEY *pkey, int only_public)
{
    PKeyObject *self = PyObject_New(PKeyObject, st->PKey_Type);
    if (self == NULL) {
        return NULL;
    }
    EVP_PKEY_up_ref(pkey);
    self->pkey = pkey;
    self->only_public = only_public;
    return (PyObject *)self;
}

PyObject *
crypto_pubkey_wrap(crypto_state *st, EVP_PKEY *pkey, const char *owner)
{
    if (pkey == NULL) {
        return ossl_raise_or(st->Error, "the %s has no public key", owner);
    }
    return crypto_pkey_wrap(st, pkey, 1);
}

int
crypto_set_pubkey(crypto_state *st, void *obj, crypto_pubkey_setter set,
                  PyObject *arg)
{
    EVP_PKEY *pkey = crypto_pkey_arg(st, arg, "pkey");
    if (pkey == NULL) {
        return -1;
    }
    ERR_clear_error();
    if (!set(obj, pkey)) {
        ossl_raise(st->Error);
        return -1;
    }
    return 0;
}

/* Takes ownership of `pkey` (freed on failure). */
static PyObject *
pkey_adopt(crypto_state *st, EVP_PKEY *pkey, int only_public)
{
    PyObject *obj = crypto_pkey_wrap(st, pkey, only_public);
    EVP_PKEY_free(pkey);
    return obj;
}

EVP_PKEY *
crypto_pkey_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->PKey_Type, argname)) {
        return NULL;
    }
    PKeyObject *key = (PKeyObject *)obj;
    if (key->pkey == NULL) {
        PyErr_Format(PyExc_ValueError,
                     "%s is an empty PKey (generate or load a key first)",
                     argname);
        return NULL;
    }
    return key->pkey;
}

/* The key of `self`, or ValueError when it was never generated. */
static EVP_PKEY *
pkey_self(PKeyObject *self)
{
    if (self->pkey == NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "the PKey is empty (generate or load a key first)");
    }
    return self->pkey;
}

static PyObject *
pkey_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (!_PyArg_NoPositional("PKey", args) || !_PyArg_NoKeywords("PKey", kwds)) {
        return NULL;
    }
    PKeyObject *self = (PKeyObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->pkey = NULL;
    self->only_public = 0;
    return (PyObject *)self;
}

static void
pkey_dealloc(PKeyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    EVP_PKEY_free(self->pkey);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ---- elliptic curves ---------------------------------------------------- */

/* Whether the linked OpenSSL has the curve: a look-up in its table, where
 * building the group to find out would cost a third of a key generation. */
static int
curve_is_builtin(int nid)
{
    EC_builtin_curve curves[256];
    size_t n = EC_get_builtin_curves(curves, 256);
    for (size_t i = 0; i < n && i < 256; i++) {
        if (curves[i].nid == nid) {
            return 1;
        }
    }
    return 0;
}

/* The NID of a curve given by name (str/bytes) or EllipticCurve object. */
static int
curve_nid_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (PyObject_TypeCheck(obj, st->EllipticCurve_Type)) {
        return ((EllipticCurveObject *)obj)->nid;
    }
    const char *name;
    if (PyUnicode_Check(obj)) {
        name = PyUnicode_AsUTF8(obj);
    }
    else if (PyBytes_Check(obj)) {
        name = PyBytes_AS_STRING(obj);
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a curve name or an elliptic curve object, not %.100s",
                     argname, Py_TYPE(obj)->tp_name);
        return NID_undef;
    }
    if (name == NULL) {
        return NID_undef;
    }
    int nid = EC_curve_nist2nid(name);
    if (nid == NID_undef) {
        nid = OBJ_sn2nid(name);
    }
    if (nid == NID_undef) {
        nid = OBJ_ln2nid(name);
    }
    if (nid == NID_undef || !curve_is_builtin(nid)) {
        PyErr_Format(PyExc_ValueError, "unknown elliptic curve name %R", obj);
        return NID_undef;
    }
    return nid;
}

static PyObject *
curve_new_from_nid(crypto_state *st, int nid)
{
    EllipticCurveObject *self = PyObject_New(EllipticCurveObject,
                                             st->EllipticCurve_Type);
    if (self == NULL) {
        return NULL;
    }
    self->nid = nid;
    self->name = PyUnicode_FromString(OBJ_nid2sn(nid));
    if (self->name == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void
curve_dealloc(EllipticCurveObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(self->name);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
curve_repr(EllipticCurveObject *self)
{
    return PyUnicode_FromFormat("<Curve %R>", self->name);
}

static PyObject *
curve_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(b, Py_TYPE(a)) || (op != Py_EQ && op != Py_NE)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int equal = ((EllipticCurveObject *)a)->nid == ((EllipticCurveObject *)b)->nid;
    return PyBool_FromLong(op == Py_EQ ? equal : !equal);
}

static Py_hash_t
curve_hash(EllipticCurveObject *self)
{
    return PyObject_Hash(self->name);
}

static PyMemberDef curve_members[] = {
    {"name", T_OBJECT, offsetof(EllipticCurveObject, name), READONLY,
     "The curve's OpenSSL short name, e.g. 'prime256v1'."},
    {NULL},
};

static PyType_Slot curve_slots[] = {
    {Py_tp_doc, "An elliptic curve supported by the linked OpenSSL."},
    {Py_tp_dealloc, curve_dealloc},
    {Py_tp_repr, curve_repr},
    {Py_tp_richcompare, curve_richcompare},
    {Py_tp_hash, curve_hash},
    {Py_tp_members, curve_members},
    {0, NULL},
};

static PyType_Spec curve_spec = {
    .name = "OpenSSL.crypto._EllipticCurve",
    .basicsize = sizeof(EllipticCurveObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE
        | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = curve_slots,
};

PyDoc_STRVAR(get_elliptic_curves_doc,
"get_elliptic_curves($module, /)\n--\n\n"
"Return a set of the elliptic curves the linked OpenSSL supports.");

static PyObject *
crypto_get_elliptic_curves(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = PyModule_GetState(module);
    size_t count = EC_get_builtin_curves(NULL, 0);
    EC_builtin_curve *curves = PyMem_New(EC_builtin_curve, count);
    if (curves == NULL) {
        return PyErr_NoMemory();
    }
    EC_get_builtin_curves(curves, count);
    PyObject *result = PySet_New(NULL);
    for (size_t i = 0; result != NULL && i < count; i++) {
        PyObject *curve = curve_new_from_nid(st, curves[i].nid);
        if (curve == NULL || PySet_Add(result, curve) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(curve);
    }
    PyMem_Free(curves);
    return result;
}

PyDoc_STRVAR(get_elliptic_curve_doc,
"get_elliptic_curve($module, name, /)\n--\n\n"
"Return the elliptic curve called *name* (e.g. 'prime256v1' or 'P-256').\n\n"
"Raises ValueError for a name the linked OpenSSL does not know.");

static PyObject *
crypto_get_elliptic_curve(PyObject *module, PyObject *name)
{
    crypto_state *st = PyModule_GetState(module);
    if (!PyUnicode_Check(name)) {
        PyErr_Format(PyExc_TypeError, "name must be str, not %.100s",
                     Py_TYPE(name)->tp_name);
        return NULL;
    }
    int nid = curve_nid_arg(st, name, "name");
    if (nid == NID_undef) {
        return NULL;
    }
    return curve_new_from_nid(st, nid);
}

/* ---- PKey methods ------------------------------------------------------- */

#define TYPE_ED25519 EVP_PKEY_ED25519
#define TYPE_ED448 EVP_PKEY_ED448

PyDoc_STRVAR(pkey_generate_key_doc,
"generate_key($self, type, bits, /)\n--\n\n"
"Generate a key pair of the given type.\n\n"
"TYPE_RSA and TYPE_DSA take the size in *bits*; TYPE_EC takes a curve name\n"
"or an object from get_elliptic_curve() in place of *bits*; TYPE_ED25519\n"
"and TYPE_ED448 ignore it.  Runs with the GIL released.");

static PyObject *
pkey_generate_key(PKeyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
                     "generate_key() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int type;
    if (ossl_int_arg(args[0], "type", &type) < 0) {
        return NULL;
    }
    long bits = 0;
    int nid = NID_undef;
    if (type == EVP_PKEY_EC) {
        nid = curve_nid_arg(st, args[1], "bits (the curve)");
        if (nid == NID_undef) {
            return NULL;
        }
    }
    else {
        if (!PyLong_Check(args[1])) {
            PyErr_SetString(PyExc_TypeError, "bits must be an integer");
            return NULL;
        }
        bits = PyLong_AsLong(args[1]);
        if (bits == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }

    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int ok = 0;
    switch (type) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_DSA:
        if (bits <= 0 || bits > 65536) {
            PyErr_Format(PyExc_ValueError, "invalid number of bits: %ld", bits);
            return NULL;
        }
        break;
    case EVP_PKEY_EC:
    case TYPE_ED25519:
    case TYPE_ED448:
        break;
    default:
        return ossl_raise_msg(st->Error, "no such key type: %d", type);
    }

    OSSL_ALLOW_THREADS_BEGIN;
    switch (type) {
    case EVP_PKEY_RSA:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        break;
    case EVP_PKEY_EC:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(nid));
        break;
    case TYPE_ED25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case TYPE_ED448:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
        break;
    case EVP_PKEY_DSA: {
        /* DSA needs domain parameters first, then a key from them. */
        EVP_PKEY *params = NULL;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
        if (ctx != NULL && EVP_PKEY_paramgen_init(ctx) > 0
            && EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx, (int)bits) > 0
            && EVP_PKEY_paramgen(ctx, &params) > 0) {
            EVP_PKEY_CTX_free(ctx);
            ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
            if (ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0) {
                ok = EVP_PKEY_keygen(ctx, &pkey) > 0;
            }
        }
        EVP_PKEY_free(params);
        EVP_PKEY_CTX_free(ctx);
        break;
    }
    }
    OSSL_ALLOW_THREADS_END;
    (void)ok;

    if (pkey == NULL) {
        return ossl_raise(st->Error);
    }
    EVP_PKEY_free(self->pkey);
    self->pkey = pkey;
    self->only_public = 0;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(pkey_bits_doc,
"bits($self, /)\n--\n\n"
"Return the size of the key in bits.");

static PyObject *
pkey_bits(PKeyObject *self, PyObject *Py_UNUSED(ignored))
{
    EVP_PKEY *pkey = pkey_self(self);
    if (pkey == NULL) {
        return NULL;
    }
    return PyLong_FromLong(EVP_PKEY_get_bits(pkey));
}

PyDoc_STRVAR(pkey_type_doc,
"type($self, /)\n--\n\n"
"Return the key's type: TYPE_RSA, TYPE_DSA, TYPE_EC, TYPE_ED25519, ...");

static PyObject *
pkey_type(PKeyObject *self, PyObject *Py_UNUSED(ignored))
{
    EVP_PKEY *pkey = pkey_self(self);
    if (pkey == NULL) {
        return NULL;
    }
    return PyLong_FromLong(EVP_PKEY_get_base_id(pkey));
}

PyDoc_STRVAR(pkey_check_doc,
"check($self, /)\n--\n\n"
"Check the consistency of a private key; return True or raise Error.\n\n"
"Raises TypeError for a key that has only its public half.");

static PyObject *
pkey_check(PKeyObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey = pkey_self(self);
    if (pkey == NULL) {
        return NULL;
    }
    if (self->only_public) {
        PyErr_SetString(PyExc_TypeError, "public key only: nothing to check");
        return NULL;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        return ossl_raise(st->Error);
    }
    int rc;
    OSSL_ALLOW_THREADS_BEGIN;
    rc = EVP_PKEY_check(ctx);
    OSSL_ALLOW_THREADS_END;
    EVP_PKEY_CTX_free(ctx);
    if (rc != 1) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(pkey_to_cryptography_key_doc,
"to_cryptography_key($self, /)\n--\n\n"
"Return the key as a ``cryptography`` key object (needs cryptography).");

static PyObject *
pkey_to_cryptography_key(PKeyObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    if (pkey_self(self) == NULL) {
        return NULL;
    }
    return crypto_bridge_call(st, "pkey_to_cryptography", (PyObject *)self);
}

PyDoc_STRVAR(pkey_from_cryptography_key_doc,
"from_cryptography_key($type, crypto_key, /)\n--\n\n"
"Return a PKey holding the ``cryptography`` key *crypto_key*.");

static PyObject *
pkey_from_cryptography_key(PyTypeObject *type, PyObject *crypto_key)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL) {
        return NULL;
    }
    return crypto_bridge_call(st, "pkey_from_cryptography", crypto_key);
}

static PyObject *
pkey_get_only_public(PKeyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->only_public);
}

static PyObject *
pkey_get_initialized(PKeyObject *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->pkey != NULL);
}

static PyMethodDef pkey_methods[] = {
    {"generate_key", (PyCFunction)(void (*)(void))pkey_generate_key,
     METH_FASTCALL, pkey_generate_key_doc},
    {"bits", (PyCFunction)pkey_bits, METH_NOARGS, pkey_bits_doc},
    {"type", (PyCFunction)pkey_type, METH_NOARGS, pkey_type_doc},
    {"check", (PyCFunction)pkey_check, METH_NOARGS, pkey_check_doc},
    {"to_cryptography_key", (PyCFunction)pkey_to_cryptography_key, METH_NOARGS,
     pkey_to_cryptography_key_doc},
    {"from_cryptography_key", (PyCFunction)pkey_from_cryptography_key,
     METH_O | METH_CLASS, pkey_from_cryptography_key_doc},
    {NULL},
};

static PyGetSetDef pkey_getset[] = {
    {"_only_public", (getter)pkey_get_only_public, NULL, NULL, NULL},
    {"_initialized", (getter)pkey_get_initialized, NULL, NULL, NULL},
    {NULL},
};

static PyType_Slot pkey_slots[] = {
    {Py_tp_doc, "PKey()\n--\n\nA public key, or a public/private key pair."},
    {Py_tp_new, pkey_new},
    {Py_tp_dealloc, pkey_dealloc},
    {Py_tp_methods, pkey_methods},
    {Py_tp_getset, pkey_getset},
    {0, NULL},
};

static PyType_Spec pkey_spec = {
    .name = "OpenSSL.crypto.PKey",
    .basicsize = sizeof(PKeyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = pkey_slots,
};

/* ---- load and dump ------------------------------------------------------ */

/* Offset of the first PEM block whose label ends in `suffix`, or 0 if none.
 * The decoder gives up on the first block when it holds no key, where
 * PEM_read_bio_PrivateKey skips it: a certificate before the key (one
 * cert+key file, as Twisted's PrivateCertificate.loadPEM passes it) or EC
 * PARAMETERS before an EC key (openssl ecparam -genkey). */
static Py_ssize_t
pem_block_offset(const char *data, Py_ssize_t len, const char *suffix)
{
    static const char begin[] = "-----BEGIN ";
    const Py_ssize_t begin_len = (Py_ssize_t)(sizeof(begin) - 1);
    const Py_ssize_t suffix_len = (Py_ssize_t)strlen(suffix);
    for (Py_ssize_t i = 0; i + begin_len <= len; i++) {
        if ((i > 0 && data[i - 1] != '\n') || memcmp(data + i, begin, begin_len) != 0) {
            continue;
        }
        const char *label = data + i + begin_len;
        const char *end = memchr(label, '-', (size_t)(len - i - begin_len));
        if (end != NULL && end - label >= suffix_len
            && memcmp(end - suffix_len, suffix, (size_t)suffix_len) == 0) {
            return i;
        }
    }
    return 0;
}

/* Decode a key of the given selection from PEM or DER, GIL released. */
static EVP_PKEY *
pkey_decode(const char *data, Py_ssize_t len, const char *input_type,
            int selection, ossl_passphrase *pass)
{
    if (strcmp(input_type, "PEM") == 0) {
        Py_ssize_t skip = pem_block_offset(
            data, len, selection == EVP_PKEY_PUBLIC_KEY ? "PUBLIC KEY" : "PRIVATE KEY");
        data += skip;
        len -= skip;
    }
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &pkey, input_type, NULL, NULL, selection, NULL, NULL);
    if (dctx == NULL) {
        return NULL;
    }
    if (pass != NULL) {
        OSSL_DECODER_CTX_set_pem_password_cb(dctx, ossl_passphrase_cb, pass);
    }
    const unsigned char *p = (const unsigned char *)data;
    size_t left = (size_t)len;
    OSSL_ALLOW_THREADS_BEGIN;
    if (!OSSL_DECODER_from_data(dctx, &p, &left)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_ALLOW_THREADS_END;
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

PyDoc_STRVAR(load_privatekey_doc,
"load_privatekey($module, type, buffer, passphrase=None)\n--\n\n"
"Load a private key from *buffer* (FILETYPE_PEM or FILETYPE_ASN1).\n\n"
"*passphrase* decrypts an encrypted key: bytes, str, or a callable called\n"
"as passphrase(verify) that returns bytes.  A wrong passphrase\n"
"raises Error; an exception raised by the callable propagates.");

static PyObject *
crypto_load_privatekey(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", "buffer", "passphrase", NULL};
    crypto_state *st = PyModule_GetState(module);
    int type;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    ossl_passphrase pass = OSSL_PASSPHRASE("passphrase");
    pass.missing_error = st->Error;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iO&|O&:load_privatekey",
                                     kwlist, &type, ossl_bytes_conv, &buffer,
                                     ossl_passphrase_conv, &pass)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (crypto_check_filetype(type, 0) < 0) {
        goto done;
    }
    EVP_PKEY *pkey = pkey_decode(buffer.data, buffer.len,
                                 type == OSSL_FILETYPE_PEM ? "PEM" : "DER",
                                 EVP_PKEY_KEYPAIR, &pass);
    if (ossl_passphrase_finish(&pass) < 0) {
        EVP_PKEY_free(pkey);
        goto done;
    }
    if (pkey == NULL) {
        ossl_raise(st->Error);
        goto done;
    }
    result = pkey_adopt(st, pkey, 0);
done:
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(load_publickey_doc,
"load_publickey($module, type, buffer)\n--\n\n"
"Load a public key (SubjectPublicKeyInfo) from *buffer*.");

static PyObject *
crypto_load_publickey(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", "buffer", NULL};
    crypto_state *st = PyModule_GetState(module);
    int type;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iO&:load_publickey", kwlist,
                                     &type, ossl_bytes_conv, &buffer)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (crypto_check_filetype(type, 0) == 0) {
        EVP_PKEY *pkey = pkey_decode(buffer.data, buffer.len,
                                     type == OSSL_FILETYPE_PEM ? "PEM" : "DER",
                                     EVP_PKEY_PUBLIC_KEY, NULL);
        result = pkey == NULL ? ossl_raise(st->Error) : pkey_adopt(st, pkey, 1);
    }
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(dump_privatekey_doc,
"dump_privatekey($module, type, pkey, cipher=None, passphrase=None)\n--\n\n"
"Return the private key *pkey* as FILETYPE_PEM, FILETYPE_ASN1 or\n"
"FILETYPE_TEXT bytes.  With *cipher* (an OpenSSL cipher name such as\n"
"'aes-256-cbc') and *passphrase* (bytes, str or callable), PEM output is\n"
"encrypted.");

static PyObject *
crypto_dump_privatekey(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", "pkey", "cipher", "passphrase", NULL};
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *pkey_obj;
    ossl_bytes cipher_name = OSSL_BYTES_OR_NONE("cipher");
    ossl_passphrase pass = OSSL_PASSPHRASE("passphrase");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iO|O&O&:dump_privatekey",
                                     kwlist, &type, &pkey_obj,
                                     ossl_cstring_conv, &cipher_name,
                                     ossl_passphrase_conv, &pass)) {
        return NULL;
    }
    PyObject *result = NULL;
    BIO *bio = NULL;
    const EVP_CIPHER *cipher = NULL;
    EVP_PKEY *pkey = crypto_pkey_arg(st, pkey_obj, "pkey");
    if (pkey == NULL || crypto_check_filetype(type, 1) < 0) {
        goto done;
    }
    if (((PKeyObject *)pkey_obj)->only_public) {
        PyErr_SetString(PyExc_TypeError,
                        "pkey has only a public key: nothing private to dump");
        goto done;
    }
    if (cipher_name.data != NULL) {
        if (pass.obj == NULL) {
            PyErr_SetString(PyExc_TypeError,
                            "a cipher was given but no passphrase");
            goto done;
        }
        if (type != OSSL_FILETYPE_PEM) {
            PyErr_SetString(PyExc_ValueError,
                            "encrypting a key is only supported for FILETYPE_PEM");
            goto done;
        }
        cipher = EVP_get_cipherbyname(cipher_name.data);
        if (cipher == NULL) {
            PyErr_Format(PyExc_ValueError, "unknown cipher name '%s'",
                         cipher_name.data);
            goto done;
        }
    }
    else if (pass.obj != NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "a passphrase was given but no cipher");
        goto done;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        ossl_raise(st->Error);
        goto done;
    }
    int ok;
    OSSL_ALLOW_THREADS_BEGIN;
    if (type == OSSL_FILETYPE_PEM) {
        ok = PEM_write_bio_PrivateKey(bio, pkey, cipher, NULL, 0,
                                      cipher ? ossl_passphrase_cb : NULL,
                                      cipher ? &pass : NULL);
    }
    else if (type == OSSL_FILETYPE_ASN1) {
        ok = i2d_PrivateKey_bio(bio, pkey);
    }
    else {
        ok = EVP_PKEY_print_private(bio, pkey, 0, NULL);
    }
    OSSL_ALLOW_THREADS_END;
    if (ossl_passphrase_finish(&pass) < 0) {
        goto done;
    }
    if (ok <= 0) {
        ossl_raise(st->Error);
        goto done;
    }
    result = ossl_bio_to_bytes(bio);
done:
    BIO_free(bio);
    ossl_bytes_release(&cipher_name);
    return result;
}

PyDoc_STRVAR(dump_publickey_doc,
"dump_publickey($module, type, pkey)\n--\n\n"
"Return the public half of *pkey* as PEM or DER SubjectPublicKeyInfo.");

static PyObject *
crypto_dump_publickey(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type", "pkey", NULL};
    crypto_state *st = PyModule_GetState(module);
    int type;
    PyObject *pkey_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iO:dump_publickey", kwlist,
                                     &type, &pkey_obj)) {
        return NULL;
    }
    EVP_PKEY *pkey = crypto_pkey_arg(st, pkey_obj, "pkey");
    if (pkey == NULL || crypto_check_filetype(type, 0) < 0) {
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    int ok = type == OSSL_FILETYPE_PEM ? PEM_write_bio_PUBKEY(bio, pkey)
                                       : i2d_PUBKEY_bio(bio, pkey);
    PyObject *result = ok > 0 ? ossl_bio_to_bytes(bio) : ossl_raise(st->Error);
    BIO_free(bio);
    return result;
}

/* ---- sign / verify ------------------------------------------------------ */

/*
 * The message digest for signing with `pkey`: NULL for the key types that
 * sign without a separate digest (Ed25519/Ed448), where the name is ignored.
 * Returns -1 with ValueError for an unknown digest name.
 */
int
crypto_digest_for_key(EVP_PKEY *pkey, const char *name, const EVP_MD **md)
{
    int id = pkey ? EVP_PKEY_get_base_id(pkey) : NID_undef;
    *md = NULL;
    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
        return 0;
    }
    if (name == NULL) {
        PyErr_SetString(PyExc_ValueError, "a digest name is required");
        return -1;
    }
    *md = EVP_get_digestbyname(name);
    if (*md == NULL) {
        PyErr_Format(PyExc_ValueError, "no such digest method: '%s'", name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(sign_doc,
"sign($module, pkey, data, digest)\n--\n\n"
"Sign *data* with the private key *pkey* and the digest named *digest*;\n"
"return the signature bytes.");

static PyObject *
crypto_sign(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pkey", "data", "digest", NULL};
    crypto_state *st = PyModule_GetState(module);
    PyObject *pkey_obj;
    ossl_bytes data = OSSL_BYTES("data");
    ossl_bytes digest = OSSL_BYTES("digest");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO&O&:sign", kwlist,
                                     &pkey_obj, ossl_bytes_conv, &data,
                                     ossl_cstring_conv, &digest)) {
        return NULL;
    }
    PyObject *result = NULL;
    EVP_MD_CTX *ctx = NULL;
    const EVP_MD *md;
    EVP_PKEY *pkey = crypto_pkey_arg(st, pkey_obj, "pkey");
    if (pkey == NULL || crypto_digest_for_key(pkey, digest.data, &md) < 0) {
        goto done;
    }
    if (((PKeyObject *)pkey_obj)->only_public) {
        PyErr_SetString(PyExc_ValueError, "pkey has no private key to sign with");
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    size_t siglen = 0;
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) <= 0
        || EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)data.data,
                          (size_t)data.len) <= 0) {
        ossl_raise(st->Error);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)siglen);
    if (result == NULL) {
        goto done;
    }
    int ok;
    OSSL_ALLOW_THREADS_BEGIN;
    ok = EVP_DigestSign(ctx, (unsigned char *)PyBytes_AS_STRING(result), &siglen,
                        (const unsigned char *)data.data, (size_t)data.len);
    OSSL_ALLOW_THREADS_END;
    if (ok <= 0) {
        Py_CLEAR(result);
        ossl_raise(st->Error);
        goto done;
    }
    _PyBytes_Resize(&result, (Py_ssize_t)siglen);
done:
    EVP_MD_CTX_free(ctx);
    ossl_bytes_release(&data);
    ossl_bytes_release(&digest);
    return result;
}

PyDoc_STRVAR(verify_doc,
"verify($module, cert, signature, data, digest)\n--\n\n"
"Check that *signature* is the signature of *data* by the key of the\n"
"certificate *cert*; return None, or raise Error if it is not.");

static PyObject *
crypto_verify(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cert", "signature", "data", "digest", NULL};
    crypto_state *st = PyModule_GetState(module);
    PyObject *cert_obj;
    ossl_bytes signature = OSSL_BYTES("signature");
    ossl_bytes data = OSSL_BYTES("data");
    ossl_bytes digest = OSSL_BYTES("digest");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO&O&O&:verify", kwlist,
                                     &cert_obj, ossl_bytes_conv, &signature,
                                     ossl_bytes_conv, &data, ossl_cstring_conv,
                                     &digest)) {
        return NULL;
    }
    PyObject *result = NULL;
    EVP_MD_CTX *ctx = NULL;
    const EVP_MD *md;
    X509 *x509 = crypto_x509_arg(st, cert_obj, "cert");
    EVP_PKEY *pkey = x509 ? X509_get0_pubkey(x509) : NULL;
    if (x509 == NULL) {
        goto done;
    }
    if (pkey == NULL) {
        ossl_raise(st->Error);
        goto done;
    }
    if (crypto_digest_for_key(pkey, digest.data, &md) < 0) {
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    int ok = 0;
    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) > 0) {
        OSSL_ALLOW_THREADS_BEGIN;
        ok = EVP_DigestVerify(ctx, (const unsigned char *)signature.data,
                              (size_t)signature.len,
                              (const unsigned char *)data.data, (size_t)data.len);
        OSSL_ALLOW_THREADS_END;
    }
    if (ok != 1) {
        /* A bad signature may leave nothing on the queue; say so anyway. */
        ossl_raise_or(st->Error, "bad signature");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    EVP_MD_CTX_free(ctx);
    ossl_bytes_release(&signature);
    ossl_bytes_release(&data);
    ossl_bytes_release(&digest);
    return result;
}

PyMethodDef crypto_pkey_functions[] = {
    {"load_privatekey", (PyCFunction)(void (*)(void))crypto_load_privatekey,
     METH_VARARGS | METH_KEYWORDS, load_privatekey_doc},
    {"load_publickey", (PyCFunction)(void (*)(void))crypto_load_publickey,
     METH_VARARGS | METH_KEYWORDS, load_publickey_doc},
    {"dump_privatekey", (PyCFunction)(void (*)(void))crypto_dump_privatekey,
     METH_VARARGS | METH_KEYWORDS, dump_privatekey_doc},
    {"dump_publickey", (PyCFunction)(void (*)(void))crypto_dump_publickey,
     METH_VARARGS | METH_KEYWORDS, dump_publickey_doc},
    {"sign", (PyCFunction)(void (*)(void))crypto_sign,
     METH_VARARGS | METH_KEYWORDS, sign_doc},
    {"verify", (PyCFunction)(void (*)(void))crypto_verify,
     METH_VARARGS | METH_KEYWORDS, verify_doc},
    {"get_elliptic_curves", crypto_get_elliptic_curves, METH_NOARGS,
     get_elliptic_curves_doc},
    {"get_elliptic_curve", crypto_get_elliptic_curve, METH_O,
     get_elliptic_curve_doc},
    {NULL},
};

int
crypto_init_pkey(PyObject *module, crypto_state *st)
{
    st->PKey_Type = crypto_add_type(module, &pkey_spec, "PKeyType");
    if (st->PKey_Type == NULL) {
        return -1;
    }
    st->EllipticCurve_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &curve_spec, NULL);
    if (st->EllipticCurve_Type == NULL) {
        return -1;
    }
    if (ossl_add_int(module, "TYPE_RSA", EVP_PKEY_RSA) < 0
        || ossl_add_int(module, "TYPE_DSA", EVP_PKEY_DSA) < 0
        || ossl_add_int(module, "TYPE_DH", EVP_PKEY_DH) < 0
        || ossl_add_int(module, "TYPE_EC", EVP_PKEY_EC) < 0
        || ossl_add_int(module, "TYPE_ED25519", EVP_PKEY_ED25519) < 0
        || ossl_add_int(module, "TYPE_ED448", EVP_PKEY_ED448) < 0) {
        return -1;
    }
    return 0;
}

/*
 * NetscapeSPKI: a signed public key and challenge (SPKAC), the request format
 * of the old HTML <keygen> element, still read by `openssl spkac` and `openssl
 * ca -spkac`.
 */
#include "crypto.h"

static PyObject *
spki_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"enc", NULL};
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL) {
        return NULL;
    }
    ossl_bytes enc = OSSL_BYTES_OR_NONE("enc");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O&:NetscapeSPKI", kwlist,
                                     ossl_bytes_conv, &enc)) {
        return NULL;
    }
    NETSCAPE_SPKI *spki = NULL;
    PyObject *result = NULL;
    ERR_clear_error();
    if (enc.data == NULL) {
        spki = NETSCAPE_SPKI_new();
        if (spki == NULL) {
            ossl_raise(st->Error);
            goto done;
        }
    }
    else {
        if (ossl_check_int_len(enc.len, "enc") < 0) {
            goto done;
        }
        if (enc.len == 0) {
            ossl_raise_msg(st->Error, "enc is empty: no SPKAC to decode");
            goto done;
        }
        spki = NETSCAPE_SPKI_b64_decode(enc.data, (int)enc.len);
        if (spki == NULL) {
            ossl_raise_or(st->Error, "enc is not a base64-encoded SPKAC");
            goto done;
        }
    }
    NetscapeSPKIObject *self = (NetscapeSPKIObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        NETSCAPE_SPKI_free(spki);
        goto done;
    }
    self->spki = spki;
    result = (PyObject *)self;
done:
    ossl_bytes_release(&enc);
    return result;
}

static void
spki_dealloc(NetscapeSPKIObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    NETSCAPE_SPKI_free(self->spki);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/*
 * A new SPKI holding a copy of the signed part (public key and challenge) of
 * `spki`.  Only that part is copied: the old signature of an unsigned SPKI
 * cannot even be encoded.
 */
static NETSCAPE_SPKI *
spki_copy_for_signing(NETSCAPE_SPKI *spki)
{
    NETSCAPE_SPKAC *spkac = ASN1_item_dup(ASN1_ITEM_rptr(NETSCAPE_SPKAC), spki->spkac);
    NETSCAPE_SPKI *copy = spkac == NULL ? NULL : NETSCAPE_SPKI_new();
    if (copy == NULL) {
        NETSCAPE_SPKAC_free(spkac);
        return NULL;
    }
    NETSCAPE_SPKAC_free(copy->spkac);
    copy->spkac = spkac;
    return copy;
}

PyDoc_STRVAR(spki_sign_doc,
"sign($self, pkey, digest)\n--\n\n"
"Sign the SPKAC with the private key *pkey* and the digest named *digest*\n"
"(ignored for Ed25519 and Ed448).  Runs with the GIL released.");

static const crypto_signer spki_signer =
    CRYPTO_SIGNER(spki_copy_for_signing, NETSCAPE_SPKI_sign, NETSCAPE_SPKI_free);

static PyObject *
spki_sign(NetscapeSPKIObject *self, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey;
    const EVP_MD *md;
    if (crypto_sign_args(st, args, kwds, &pkey, &md) < 0) {
        return NULL;
    }
    /* Without a public key there is nothing to sign. */
    ERR_clear_error();
    EVP_PKEY *pubkey = NETSCAPE_SPKI_get_pubkey(self->spki);
    if (pubkey == NULL) {
        return ossl_raise_msg(st->Error, "nothing to sign: set a public key first");
    }
    EVP_PKEY_free(pubkey);
    if (crypto_sign_swap((void **)&self->spki, &spki_signer, pkey, md) < 0) {
        return ossl_raise_or(st->Error, "signing the SPKAC failed");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(spki_verify_doc,
"verify($self, key, /)\n--\n\n"
"Check the SPKAC's signature with the public key *key*; return True, or\n"
"raise Error if it does not match.");

static PyObject *
spki_verify(NetscapeSPKIObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    EVP_PKEY *pkey = crypto_pkey_arg(st, arg, "key");
    if (pkey == NULL) {
        return NULL;
    }
    ERR_clear_error();
    int rc = NETSCAPE_SPKI_verify(self->spki, pkey);
    if (rc <= 0) {
        return ossl_raise_or(st->Error, "the SPKAC's signature does not match the key");
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(spki_b64_encode_doc,
"b64_encode($self, /)\n--\n\n"
"Return the SPKAC DER-encoded in base64 (bytes, one line), as the\n"
"``SPKAC=`` field of `openssl spkac` holds it.");

static PyObject *
spki_b64_encode(NetscapeSPKIObject *self, PyObject *Py_UNUSED(ignored))
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    ERR_clear_error();
    char *encoded = NETSCAPE_SPKI_b64_encode(self->spki);
    if (encoded == NULL) {
        return ossl_raise_or(st->Error, "the SPKAC cannot be encoded "
                             "(set a public key first)");
    }
    PyObject *result = PyBytes_FromString(encoded);
    OPENSSL_free(encoded);
    return result;
}

PyDoc_STRVAR(spki_get_pubkey_doc,
"get_pubkey($self, /)\n--\n\n"
"Return the SPKAC's public key as a PKey with no private half.");

static PyObject *
spki_get_pubkey(NetscapeSPKIObject *self, PyObject *Py_UNUSED(ignored))
{
    ERR_clear_error();
    EVP_PKEY *pkey = NETSCAPE_SPKI_get_pubkey(self->spki);
    PyObject *result = crypto_pubkey_wrap(crypto_state_of((PyObject *)self), pkey,
                                          "SPKAC");
    EVP_PKEY_free(pkey);
    return result;
}

PyDoc_STRVAR(spki_set_pubkey_doc,
"set_pubkey($self, pkey, /)\n--\n\n"
"Set the SPKAC's public key to the public half of *pkey*.");

static PyObject *
spki_set_pubkey(NetscapeSPKIObject *self, PyObject *arg)
{
    if (crypto_set_pubkey(crypto_state_of((PyObject *)self), self->spki,
                          (crypto_pubkey_setter)NETSCAPE_SPKI_set_pubkey, arg) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef spki_methods[] = {
    {"sign", (PyCFunction)(void (*)(void))spki_sign, METH_VARARGS | METH_KEYWORDS,
     spki_sign_doc},
    {"verify", (PyCFunction)spki_verify, METH_O, spki_verify_doc},
    {"b64_encode", (PyCFunction)spki_b64_encode, METH_NOARGS, spki_b64_encode_doc},
    {"get_pubkey", (PyCFunction)spki_get_pubkey, METH_NOARGS, spki_get_pubkey_doc},
    {"set_pubkey", (PyCFunction)spki_set_pubkey, METH_O, spki_set_pubkey_doc},
    {NULL},
};

static PyType_Slot spki_slots[] = {
    {Py_tp_doc, "NetscapeSPKI(enc=None)\n--\n\n"
                "A Netscape SPKI (SPKAC): a public key and challenge, signed.\n"
                "*enc*, if given, is a base64-encoded SPKAC (bytes or str) to load."},
    {Py_tp_new, spki_new},
    {Py_tp_dealloc, spki_dealloc},
    {Py_tp_methods, spki_methods},
    {0, NULL},
};

static PyType_Spec spki_spec = {
    .name = "OpenSSL.crypto.NetscapeSPKI",
    .basicsize = sizeof(NetscapeSPKIObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = spki_slots,
};

PyMethodDef crypto_spki_functions[] = {
    {NULL},
};

int
crypto_init_spki(PyObject *module, crypto_state *st)
{
    st->NetscapeSPKI_Type = crypto_add_type(module, &spki_spec, "NetscapeSPKIType");
    return st->NetscapeSPKI_Type == NULL ? -1 : 0;
}

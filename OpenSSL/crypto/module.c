/*
 * OpenSSL.crypto: registers the types, the module functions, the constants
 * and the C API capsule.  The types themselves live one per file.
 */
#include "crypto.h"

#include <string.h>

crypto_state *
crypto_state_of_type(PyTypeObject *type)
{
    PyObject *module = PyType_GetModuleByDef(type, &crypto_module_def);
    if (module == NULL) {
        return NULL;
    }
    return PyModule_GetState(module);
}

crypto_state *
crypto_state_of(PyObject *self)
{
    return crypto_state_of_type(Py_TYPE(self));
}

PyObject *
crypto_bridge(crypto_state *st)
{
    if (st->bridge == NULL) {
        st->bridge = PyImport_ImportModule("OpenSSL._cryptography");
    }
    return st->bridge;
}

PyObject *
crypto_bridge_call(crypto_state *st, const char *func, PyObject *arg)
{
    PyObject *bridge = crypto_bridge(st);
    if (bridge == NULL) {
        return NULL;
    }
    return PyObject_CallMethod(bridge, func, "O", arg);
}

PyObject *
crypto_to_cryptography(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return crypto_bridge_call(crypto_state_of(self), "to_cryptography", self);
}

PyObject *
crypto_from_cryptography(PyTypeObject *type, PyObject *obj)
{
    crypto_state *st = crypto_state_of_type(type);
    PyObject *bridge = st == NULL ? NULL : crypto_bridge(st);
    if (bridge == NULL) {
        return NULL;
    }
    return PyObject_CallMethod(bridge, "from_cryptography", "OO", (PyObject *)type,
                               obj);
}

int
crypto_is_a(PyObject *obj, PyTypeObject *type, const char *argname)
{
    if (PyObject_TypeCheck(obj, type)) {
        return 1;
    }
    /* tp_name is "OpenSSL.crypto.X509": name the type as users write it. */
    const char *name = strrchr(type->tp_name, '.');
    name = name == NULL ? type->tp_name : name + 1;
    PyErr_Format(PyExc_TypeError, "%s must be %s %s, not %.100s", argname,
                 strchr("AEIOUX", name[0]) != NULL ? "an" : "a", name,
                 Py_TYPE(obj)->tp_name);
    return 0;
}

int
crypto_check_filetype(int type, int allow_text)
{
    if (type == OSSL_FILETYPE_PEM || type == OSSL_FILETYPE_ASN1
        || (allow_text && type == OSSL_FILETYPE_TEXT)) {
        return 0;
    }
    PyErr_Format(PyExc_ValueError,
                 "type argument must be FILETYPE_PEM or FILETYPE_ASN1%s, not %d",
                 allow_text ? " or FILETYPE_TEXT" : "", type);
    return -1;
}

void *
crypto_decode(crypto_state *st, const crypto_codec *codec, int type,
              const ossl_bytes *buffer)
{
    if (crypto_check_filetype(type, 0) < 0
        || ossl_check_int_len(buffer->len, "buffer") < 0) {
        return NULL;
    }
    ERR_clear_error();
    void *obj = NULL;
    if (type == OSSL_FILETYPE_PEM) {
        BIO *bio = BIO_new_mem_buf(buffer->data, (int)buffer->len);
        if (bio != NULL) {
            obj = PEM_ASN1_read_bio(codec->d2i, codec->pem_name, bio, NULL, NULL,
                                    NULL);
            BIO_free(bio);
        }
    }
    else {
        const unsigned char *p = (const unsigned char *)buffer->data;
        obj = codec->d2i(NULL, &p, (long)buffer->len);
    }
    if (obj == NULL) {
        ossl_raise_or(st->Error, "%s", codec->missing);
    }
    return obj;
}

PyObject *
crypto_encode(crypto_state *st, const crypto_codec *codec, int type,
              const void *obj)
{
    if (crypto_check_filetype(type, 1) < 0) {
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    int ok;
    if (type == OSSL_FILETYPE_PEM) {
        ok = PEM_ASN1_write_bio(codec->i2d, codec->pem_name, bio, obj, NULL, NULL,
                                0, NULL, NULL);
    }
    else if (type == OSSL_FILETYPE_ASN1) {
        ok = ASN1_i2d_bio(codec->i2d, bio, obj);
    }
    else {
        ok = codec->print(bio, (void *)obj);
    }
    PyObject *result = ok > 0 ? ossl_bio_to_bytes(bio) : ossl_raise(st->Error);
    BIO_free(bio);
    return result;
}

PyTypeObject *
crypto_add_type(PyObject *module, PyType_Spec *spec, const char *alias)
{
    PyTypeObject *type = (PyTypeObject *)PyType_FromModuleAndSpec(module, spec,
                                                                  NULL);
    if (type == NULL) {
        return NULL;
    }
    if (PyModule_AddType(module, type) < 0
        || (alias != NULL
            && PyModule_AddObjectRef(module, alias, (PyObject *)type) < 0)) {
        Py_DECREF(type);
        return NULL;
    }
    return type;
}

/* ---- the C API -------------------------------------------------------- */

static crypto_state *
capi_state(const OSSL_CryptoCAPI *api)
{
    return api->module_state;
}

static PyObject *
capi_x509_from_ptr(const OSSL_CryptoCAPI *api, X509 *x509)
{
    return crypto_x509_wrap(capi_state(api), x509);
}

static X509 *
capi_x509_as_ptr(const OSSL_CryptoCAPI *api, PyObject *obj)
{
    X509 *x509 = crypto_x509_arg(capi_state(api), obj, "certificate");
    if (x509 != NULL) {
        X509_up_ref(x509);
    }
    return x509;
}

static PyObject *
capi_pkey_from_ptr(const OSSL_CryptoCAPI *api, EVP_PKEY *pkey, int only_public)
{
    return crypto_pkey_wrap(capi_state(api), pkey, only_public);
}

static EVP_PKEY *
capi_pkey_as_ptr(const OSSL_CryptoCAPI *api, PyObject *obj)
{
    EVP_PKEY *pkey = crypto_pkey_arg(capi_state(api), obj, "pkey");
    if (pkey != NULL) {
        EVP_PKEY_up_ref(pkey);
    }
    return pkey;
}

static PyObject *
capi_x509name_from_ptr(const OSSL_CryptoCAPI *api, const X509_NAME *name)
{
    return crypto_x509name_wrap(capi_state(api), (X509_NAME *)name, NULL);
}

static X509_NAME *
capi_x509name_as_ptr(const OSSL_CryptoCAPI *api, PyObject *obj)
{
    X509_NAME *name = crypto_x509name_arg(capi_state(api), obj, "name");
    if (name == NULL) {
        return NULL;
    }
    X509_NAME *copy = X509_NAME_dup(name);
    if (copy == NULL) {
        ossl_raise(capi_state(api)->Error);
    }
    return copy;
}

static PyObject *
capi_x509store_from_ptr(const OSSL_CryptoCAPI *api, X509_STORE *store)
{
    return crypto_x509store_wrap(capi_state(api), store);
}

static X509_STORE *
capi_x509store_as_ptr(const OSSL_CryptoCAPI *api, PyObject *obj)
{
    X509_STORE *store = crypto_x509store_arg(capi_state(api), obj, "store");
    if (store != NULL) {
        X509_STORE_up_ref(store);
    }
    return store;
}

/* ---- module ----------------------------------------------------------- */

typedef int (*crypto_init_func)(PyObject *, crypto_state *);

static const struct {
    crypto_init_func init;
    PyMethodDef *functions;
} crypto_parts[] = {
    {crypto_init_pkey, crypto_pkey_functions},
    {crypto_init_x509name, crypto_x509name_functions},
    {crypto_init_x509ext, crypto_x509ext_functions},
    {crypto_init_x509, crypto_x509_functions},
    {crypto_init_x509req, crypto_x509req_functions},
    {crypto_init_x509store, crypto_x509store_functions},
    {crypto_init_storectx, crypto_storectx_functions},
    {crypto_init_revoked, crypto_revoked_functions},
    {crypto_init_crl, crypto_crl_functions},
    {crypto_init_pkcs12, crypto_pkcs12_functions},
    {crypto_init_pkcs7, crypto_pkcs7_functions},
    {crypto_init_spki, crypto_spki_functions},
};

static int
crypto_exec(PyObject *module)
{
    crypto_state *st = PyModule_GetState(module);

    st->Error = PyErr_NewExceptionWithDoc(
        "OpenSSL.crypto.Error",
        "An error occurred in an OpenSSL.crypto API.\n\n"
        "args[0] is OpenSSL's error queue as a list of (lib, func, reason).",
        NULL, NULL);
    if (st->Error == NULL || PyModule_AddObjectRef(module, "Error", st->Error) < 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(crypto_parts) / sizeof(crypto_parts[0]); i++) {
        if (crypto_parts[i].init(module, st) < 0) {
            return -1;
        }
        if (crypto_parts[i].functions[0].ml_name != NULL
            && PyModule_AddFunctions(module, crypto_parts[i].functions) < 0) {
            return -1;
        }
    }

    if (ossl_add_int(module, "FILETYPE_PEM", OSSL_FILETYPE_PEM) < 0
        || ossl_add_int(module, "FILETYPE_ASN1", OSSL_FILETYPE_ASN1) < 0
        || ossl_add_int(module, "FILETYPE_TEXT", OSSL_FILETYPE_TEXT) < 0) {
        return -1;
    }

    OSSL_CryptoCAPI *api = &st->capi;
    api->version = OSSL_CRYPTO_CAPI_VERSION;
    api->size = sizeof(*api);
    api->X509_Type = st->X509_Type;
    api->PKey_Type = st->PKey_Type;
    api->X509Name_Type = st->X509Name_Type;
    api->X509Store_Type = st->X509Store_Type;
    api->Error = st->Error;
    api->x509_from_ptr = capi_x509_from_ptr;
    api->x509_as_ptr = capi_x509_as_ptr;
    api->pkey_from_ptr = capi_pkey_from_ptr;
    api->pkey_as_ptr = capi_pkey_as_ptr;
    api->x509name_from_ptr = capi_x509name_from_ptr;
    api->x509name_as_ptr = capi_x509name_as_ptr;
    api->x509store_from_ptr = capi_x509store_from_ptr;
    api->x509store_as_ptr = capi_x509store_as_ptr;
    api->module_state = st;
    PyObject *capsule = PyCapsule_New(api, OSSL_CRYPTO_CAPI_NAME, NULL);
    if (ossl_module_add(module, "_C_API", capsule) < 0) {
        return -1;
    }
    return 0;
}

static int
crypto_traverse(PyObject *module, visitproc visit, void *arg)
{
    crypto_state *st = PyModule_GetState(module);
    Py_VISIT(st->Error);
    Py_VISIT(st->X509StoreContextError);
    Py_VISIT(st->PKey_Type);
    Py_VISIT(st->EllipticCurve_Type);
    Py_VISIT(st->X509_Type);
    Py_VISIT(st->X509Name_Type);
    Py_VISIT(st->X509Extension_Type);
    Py_VISIT(st->X509Req_Type);
    Py_VISIT(st->X509Store_Type);
    Py_VISIT(st->X509StoreContext_Type);
    Py_VISIT(st->CRL_Type);
    Py_VISIT(st->Revoked_Type);
    Py_VISIT(st->PKCS12_Type);
    Py_VISIT(st->PKCS7_Type);
    Py_VISIT(st->NetscapeSPKI_Type);
    Py_VISIT(st->bridge);
    return 0;
}

static int
crypto_clear(PyObject *module)
{
    crypto_state *st = PyModule_GetState(module);
    Py_CLEAR(st->Error);
    Py_CLEAR(st->X509StoreContextError);
    Py_CLEAR(st->PKey_Type);
    Py_CLEAR(st->EllipticCurve_Type);
    Py_CLEAR(st->X509_Type);
    Py_CLEAR(st->X509Name_Type);
    Py_CLEAR(st->X509Extension_Type);
    Py_CLEAR(st->X509Req_Type);
    Py_CLEAR(st->X509Store_Type);
    Py_CLEAR(st->X509StoreContext_Type);
    Py_CLEAR(st->CRL_Type);
    Py_CLEAR(st->Revoked_Type);
    Py_CLEAR(st->PKCS12_Type);
    Py_CLEAR(st->PKCS7_Type);
    Py_CLEAR(st->NetscapeSPKI_Type);
    Py_CLEAR(st->bridge);
    return 0;
}

static void
crypto_free(void *module)
{
    crypto_clear(module);
}

static PyModuleDef_Slot crypto_slots[] = {
    {Py_mod_exec, crypto_exec},
    {0, NULL},
};

PyDoc_STRVAR(crypto_doc,
"Certificates, keys, names, requests, stores, CRLs and PKCS#7/#12 on OpenSSL.");

struct PyModuleDef crypto_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "OpenSSL.crypto",
    .m_doc = crypto_doc,
    .m_size = sizeof(crypto_state),
    .m_slots = crypto_slots,
    .m_traverse = crypto_traverse,
    .m_clear = crypto_clear,
    .m_free = crypto_free,
};

PyMODINIT_FUNC
PyInit_crypto(void)
{
    return PyModuleDef_Init(&crypto_module_def);
}

/*
 * OpenSSL.SSL: registers the types, constants, exceptions and the C API.
 */
#include "ssl.h"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <string.h>

ssl_state *
ssl_state_of_type(PyTypeObject *type)
{
    PyObject *module = PyType_GetModuleByDef(type, &ssl_module_def);
    if (module == NULL) {
        return NULL;
    }
    return PyModule_GetState(module);
}

ssl_state *
ssl_state_of(PyObject *self)
{
    return ssl_state_of_type(Py_TYPE(self));
}

PyObject *
ssl_bridge(ssl_state *st)
{
    if (st->bridge == NULL) {
        st->bridge = PyImport_ImportModule("OpenSSL._cryptography");
    }
    return st->bridge;
}

/* How many entries a NULL-terminated method table has. */
static size_t
method_count(const PyMethodDef *table)
{
    size_t n = 0;
    while (table[n].ml_name != NULL) {
        n++;
    }
    return n;
}

/*
 * One NULL-terminated table of `first` followed by each table of `more`,
 * or NULL with an exception when two of them name the same method (the
 * second would hide the first without a word).
 */
static PyMethodDef *
methods_join(const char *type_name, PyMethodDef *first,
             PyMethodDef *const *more)
{
    size_t total = method_count(first);
    for (PyMethodDef *const *t = more; *t != NULL; t++) {
        total += method_count(*t);
    }
    PyMethodDef *joined = PyMem_RawCalloc(total + 1, sizeof(PyMethodDef));
    if (joined == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    size_t n = method_count(first);
    memcpy(joined, first, n * sizeof(PyMethodDef));
    for (PyMethodDef *const *t = more; *t != NULL; t++) {
        for (const PyMethodDef *def = *t; def->ml_name != NULL; def++) {
            for (size_t i = 0; i < n; i++) {
                if (strcmp(joined[i].ml_name, def->ml_name) == 0) {
                    PyErr_Format(PyExc_SystemError,
                                 "%s.%s is defined twice", type_name,
                                 def->ml_name);
                    PyMem_RawFree(joined);
                    return NULL;
                }
            }
            joined[n++] = *def;
        }
    }
    return joined;
}

PyTypeObject *
ssl_add_type(PyObject *module, PyType_Spec *spec,
             PyMethodDef *const *feature_methods, PyMethodDef **joined,
             const char *alias)
{
    size_t nslots = 0;
    PyMethodDef *own = NULL;
    for (; spec->slots[nslots].slot != 0; nslots++) {
        if (spec->slots[nslots].slot == Py_tp_methods) {
            own = spec->slots[nslots].pfunc;
        }
    }
    if (own == NULL) {
        PyErr_Format(PyExc_SystemError, "%s has no Py_tp_methods slot",
                     spec->name);
        return NULL;
    }
    /* Built once: the type's method descriptors point into the table, so
       it outlives every module object. */
    if (*joined == NULL) {
        *joined = methods_join(spec->name, own, feature_methods);
        if (*joined == NULL) {
            return NULL;
        }
    }
    /* The type keeps none of `slots`; only the methods slot differs. */
    PyType_Slot *slots = PyMem_Calloc(nslots + 1, sizeof(PyType_Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < nslots; i++) {
        slots[i] = spec->slots[i];
        if (slots[i].slot == Py_tp_methods) {
            slots[i].pfunc = *joined;
        }
    }
    PyType_Spec full = *spec;
    full.slots = slots;
    PyObject *type = PyType_FromModuleAndSpec(module, &full, NULL);
    PyMem_Free(slots);
    if (type == NULL) {
        return NULL;
    }
    if (PyModule_AddType(module, (PyTypeObject *)type) < 0
        || PyModule_AddObjectRef(module, alias, type) < 0) {
        Py_DECREF(type);
        return NULL;
    }
    return (PyTypeObject *)type;
}

/* Is `obj` an instance of cryptography's class `module.name`?  Without
   cryptography imported nobody can hold one, so the answer is no. */
static int
is_cryptography_object(PyObject *obj, const char *module, const char *name)
{
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *mod = PyDict_GetItemString(modules, module);
    if (mod == NULL) {
        return 0;
    }
    PyObject *cls = PyObject_GetAttrString(mod, name);
    if (cls == NULL) {
        PyErr_Clear();
        return 0;
    }
    int r = PyObject_IsInstance(obj, cls);
    Py_DECREF(cls);
    if (r < 0) {
        PyErr_Clear();
        return 0;
    }
    return r;
}

X509 *
ssl_x509_arg(ssl_state *st, PyObject *obj, const char *argname)
{
    if (PyObject_TypeCheck(obj, st->crypto->X509_Type)) {
        return st->crypto->x509_as_ptr(st->crypto, obj);
    }
    if (is_cryptography_object(obj, "cryptography.x509", "Certificate")) {
        PyObject *bridge = ssl_bridge(st);
        if (bridge == NULL) {
            return NULL;
        }
        PyObject *ours = PyObject_CallMethod(bridge, "x509_from_cryptography",
                                             "O", obj);
        if (ours == NULL) {
            return NULL;
        }
        X509 *x509 = st->crypto->x509_as_ptr(st->crypto, ours);
        Py_DECREF(ours);
        return x509;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must be an X509 or a cryptography.x509.Certificate, not %.100s",
                 argname, Py_TYPE(obj)->tp_name);
    return NULL;
}

EVP_PKEY *
ssl_pkey_arg(ssl_state *st, PyObject *obj, const char *argname)
{
    if (PyObject_TypeCheck(obj, st->crypto->PKey_Type)) {
        return st->crypto->pkey_as_ptr(st->crypto, obj);
    }
    PyObject *modules = PyImport_GetModuleDict();
    if (PyDict_GetItemString(modules, "cryptography") != NULL
        && (PyObject_HasAttrString(obj, "private_bytes"))) {
        PyObject *bridge = ssl_bridge(st);
        if (bridge == NULL) {
            return NULL;
        }
        PyObject *ours = PyObject_CallMethod(bridge, "pkey_from_cryptography",
                                             "O", obj);
        if (ours == NULL) {
            return NULL;
        }
        EVP_PKEY *pkey = st->crypto->pkey_as_ptr(st->crypto, ours);
        Py_DECREF(ours);
        return pkey;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must be a PKey or a cryptography private key, not %.100s",
                 argname, Py_TYPE(obj)->tp_name);
    return NULL;
}

PyObject *
ssl_x509_out(ssl_state *st, X509 *x509, int as_cryptography)
{
    /* x509_from_ptr takes its own reference: the object owns its data. */
    PyObject *ours = st->crypto->x509_from_ptr(st->crypto, x509);
    if (ours == NULL || !as_cryptography) {
        return ours;
    }
    PyObject *result = PyObject_CallMethod(ours, "to_cryptography", NULL);
    Py_DECREF(ours);
    return result;
}

PyObject *
ssl_x509_list(ssl_state *st, STACK_OF(X509) *chain, int as_cryptography)
{
    int n = sk_X509_num(chain);
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        PyObject *item = ssl_x509_out(st, sk_X509_value(chain, i),
                                      as_cryptography);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* ---- module functions ------------------------------------------------- */

PyDoc_STRVAR(ssl_openssl_version_doc,
"OpenSSL_version($module, type, /)\n--\n\n"
"A string describing the linked OpenSSL: type is one of OPENSSL_VERSION,\n"
"OPENSSL_CFLAGS, OPENSSL_BUILT_ON, OPENSSL_PLATFORM or OPENSSL_DIR.");

static PyObject *
ssl_openssl_version(PyObject *Py_UNUSED(module), PyObject *arg)
{
    int type;
    if (ossl_int_arg(arg, "type", &type) < 0) {
        return NULL;
    }
    return PyBytes_FromString(OpenSSL_version(type));
}

static PyMethodDef ssl_functions[] = {
    {"OpenSSL_version", ssl_openssl_version, METH_O, ssl_openssl_version_doc},
    {"SSLeay_version", ssl_openssl_version, METH_O, ssl_openssl_version_doc},
    {NULL, NULL, 0, NULL},
};

/* ---- constants -------------------------------------------------------- */

typedef struct {
    const char *name;
    long value;
} ssl_constant;

/* The *_METHOD values are pyOpenSSL's own numbering. */
static const ssl_constant ssl_constants[] = {
    {"SSLv23_METHOD", 3},
    {"TLSv1_METHOD", 4},
    {"TLSv1_1_METHOD", 5},
    {"TLSv1_2_METHOD", 6},
    {"TLS_METHOD", 7},
    {"TLS_SERVER_METHOD", 8},
    {"TLS_CLIENT_METHOD", 9},
    {"DTLS_METHOD", 10},
    {"DTLS_SERVER_METHOD", 11},
    {"DTLS_CLIENT_METHOD", 12},

    {"SSL3_VERSION", SSL3_VERSION},
    {"TLS1_VERSION", TLS1_VERSION},
    {"TLS1_1_VERSION", TLS1_1_VERSION},
    {"TLS1_2_VERSION", TLS1_2_VERSION},
    {"TLS1_3_VERSION", TLS1_3_VERSION},

    {"OPENSSL_VERSION", OPENSSL_VERSION},
    {"OPENSSL_CFLAGS", OPENSSL_CFLAGS},
    {"OPENSSL_PLATFORM", OPENSSL_PLATFORM},
    {"OPENSSL_DIR", OPENSSL_DIR},
    {"OPENSSL_BUILT_ON", OPENSSL_BUILT_ON},
    {"SSLEAY_VERSION", OPENSSL_VERSION},
    {"SSLEAY_CFLAGS", OPENSSL_CFLAGS},
    {"SSLEAY_PLATFORM", OPENSSL_PLATFORM},
    {"SSLEAY_DIR", OPENSSL_DIR},
    {"SSLEAY_BUILT_ON", OPENSSL_BUILT_ON},

    {"SENT_SHUTDOWN", SSL_SENT_SHUTDOWN},
    {"RECEIVED_SHUTDOWN", SSL_RECEIVED_SHUTDOWN},

    {"OP_NO_SSLv2", SSL_OP_NO_SSLv2},
    {"OP_NO_SSLv3", SSL_OP_NO_SSLv3},
    {"OP_NO_TLSv1", SSL_OP_NO_TLSv1},
    {"OP_NO_TLSv1_1", SSL_OP_NO_TLSv1_1},
    {"OP_NO_TLSv1_2", SSL_OP_NO_TLSv1_2},
    {"OP_NO_TLSv1_3", SSL_OP_NO_TLSv1_3},
    {"OP_NO_DTLSv1", SSL_OP_NO_DTLSv1},
    {"OP_NO_DTLSv1_2", SSL_OP_NO_DTLSv1_2},
    {"MODE_RELEASE_BUFFERS", SSL_MODE_RELEASE_BUFFERS},
    {"MODE_ENABLE_PARTIAL_WRITE", SSL_MODE_ENABLE_PARTIAL_WRITE},
    {"MODE_ACCEPT_MOVING_WRITE_BUFFER", SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER},
    {"MODE_AUTO_RETRY", SSL_MODE_AUTO_RETRY},
    {"MODE_NO_AUTO_CHAIN", SSL_MODE_NO_AUTO_CHAIN},
    {"OP_SINGLE_DH_USE", SSL_OP_SINGLE_DH_USE},
    {"OP_SINGLE_ECDH_USE", SSL_OP_SINGLE_ECDH_USE},
    {"OP_EPHEMERAL_RSA", SSL_OP_EPHEMERAL_RSA},
    {"OP_MICROSOFT_SESS_ID_BUG", SSL_OP_MICROSOFT_SESS_ID_BUG},
    {"OP_NETSCAPE_CHALLENGE_BUG", SSL_OP_NETSCAPE_CHALLENGE_BUG},
    {"OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG",
     SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG},
    {"OP_SSLREF2_REUSE_CERT_TYPE_BUG", SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG},
    {"OP_MICROSOFT_BIG_SSLV3_BUFFER", SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER},
    {"OP_MSIE_SSLV2_RSA_PADDING", SSL_OP_MSIE_SSLV2_RSA_PADDING},
    {"OP_SSLEAY_080_CLIENT_DH_BUG", SSL_OP_SSLEAY_080_CLIENT_DH_BUG},
    {"OP_TLS_D5_BUG", SSL_OP_TLS_D5_BUG},
    {"OP_TLS_BLOCK_PADDING_BUG", SSL_OP_TLS_BLOCK_PADDING_BUG},
    {"OP_DONT_INSERT_EMPTY_FRAGMENTS", SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS},
    {"OP_CIPHER_SERVER_PREFERENCE", SSL_OP_CIPHER_SERVER_PREFERENCE},
    {"OP_TLS_ROLLBACK_BUG", SSL_OP_TLS_ROLLBACK_BUG},
    {"OP_PKCS1_CHECK_1", SSL_OP_PKCS1_CHECK_1},
    {"OP_PKCS1_CHECK_2", SSL_OP_PKCS1_CHECK_2},
    {"OP_NETSCAPE_CA_DN_BUG", SSL_OP_NETSCAPE_CA_DN_BUG},
    {"OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG",
     SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG},
    {"OP_NO_COMPRESSION", SSL_OP_NO_COMPRESSION},
    {"OP_NO_QUERY_MTU", SSL_OP_NO_QUERY_MTU},
    {"OP_COOKIE_EXCHANGE", SSL_OP_COOKIE_EXCHANGE},
    {"OP_NO_TICKET", SSL_OP_NO_TICKET},
    {"OP_NO_RENEGOTIATION", SSL_OP_NO_RENEGOTIATION},
    {"OP_IGNORE_UNEXPECTED_EOF", SSL_OP_IGNORE_UNEXPECTED_EOF},
    {"OP_LEGACY_SERVER_CONNECT", SSL_OP_LEGACY_SERVER_CONNECT},
    {"OP_ENABLE_MIDDLEBOX_COMPAT", SSL_OP_ENABLE_MIDDLEBOX_COMPAT},
    {"OP_ALL", SSL_OP_ALL},

    {"VERIFY_PEER", SSL_VERIFY_PEER},
    {"VERIFY_FAIL_IF_NO_PEER_CERT", SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
    {"VERIFY_CLIENT_ONCE", SSL_VERIFY_CLIENT_ONCE},
    {"VERIFY_NONE", SSL_VERIFY_NONE},
    {"VERIFY_POST_HANDSHAKE", SSL_VERIFY_POST_HANDSHAKE},

    {"SESS_CACHE_OFF", SSL_SESS_CACHE_OFF},
    {"SESS_CACHE_CLIENT", SSL_SESS_CACHE_CLIENT},
    {"SESS_CACHE_SERVER", SSL_SESS_CACHE_SERVER},
    {"SESS_CACHE_BOTH", SSL_SESS_CACHE_BOTH},
    {"SESS_CACHE_NO_AUTO_CLEAR", SSL_SESS_CACHE_NO_AUTO_CLEAR},
    {"SESS_CACHE_NO_INTERNAL_LOOKUP", SSL_SESS_CACHE_NO_INTERNAL_LOOKUP},
    {"SESS_CACHE_NO_INTERNAL_STORE", SSL_SESS_CACHE_NO_INTERNAL_STORE},
    {"SESS_CACHE_NO_INTERNAL", SSL_SESS_CACHE_NO_INTERNAL},

    {"SSL_ST_CONNECT", SSL_ST_CONNECT},
    {"SSL_ST_ACCEPT", SSL_ST_ACCEPT},
    {"SSL_ST_MASK", SSL_ST_MASK},
    /* 0.13 had these; OpenSSL 1.1 dropped the macros.  Kept with the values
       they had so old code that compares against them still imports. */
    {"SSL_ST_INIT", SSL_ST_CONNECT | SSL_ST_ACCEPT},
    {"SSL_ST_BEFORE", 0x4000},
    {"SSL_ST_OK", 0x03},
    {"SSL_ST_RENEGOTIATE", 0x04 | SSL_ST_CONNECT | SSL_ST_ACCEPT},

    {"SSL_CB_LOOP", SSL_CB_LOOP},
    {"SSL_CB_EXIT", SSL_CB_EXIT},
    {"SSL_CB_READ", SSL_CB_READ},
    {"SSL_CB_WRITE", SSL_CB_WRITE},
    {"SSL_CB_ALERT", SSL_CB_ALERT},
    {"SSL_CB_READ_ALERT", SSL_CB_READ_ALERT},
    {"SSL_CB_WRITE_ALERT", SSL_CB_WRITE_ALERT},
    {"SSL_CB_ACCEPT_LOOP", SSL_CB_ACCEPT_LOOP},
    {"SSL_CB_ACCEPT_EXIT", SSL_CB_ACCEPT_EXIT},
    {"SSL_CB_CONNECT_LOOP", SSL_CB_CONNECT_LOOP},
    {"SSL_CB_CONNECT_EXIT", SSL_CB_CONNECT_EXIT},
    {"SSL_CB_HANDSHAKE_START", SSL_CB_HANDSHAKE_START},
    {"SSL_CB_HANDSHAKE_DONE", SSL_CB_HANDSHAKE_DONE},

    /* pyOpenSSL's values, for SSL.FILETYPE_* as 0.13 had them. */
    {"FILETYPE_PEM", 1},
    {"FILETYPE_ASN1", 2},
    {NULL, 0},
};

/* X509VerificationCodes: the X509_V_* numbers under pyOpenSSL's names. */
static const ssl_constant ssl_verify_codes[] = {
#define V(name) {#name, X509_V_##name}
    V(OK),
    V(ERR_UNABLE_TO_GET_ISSUER_CERT),
    V(ERR_UNABLE_TO_GET_CRL),
    V(ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE),
    V(ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE),
    V(ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY),
    V(ERR_CERT_SIGNATURE_FAILURE),
    V(ERR_CRL_SIGNATURE_FAILURE),
    V(ERR_CERT_NOT_YET_VALID),
    V(ERR_CERT_HAS_EXPIRED),
    V(ERR_CRL_NOT_YET_VALID),
    V(ERR_CRL_HAS_EXPIRED),
    V(ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD),
    V(ERR_ERROR_IN_CERT_NOT_AFTER_FIELD),
    V(ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD),
    V(ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD),
    V(ERR_OUT_OF_MEM),
    V(ERR_DEPTH_ZERO_SELF_SIGNED_CERT),
    V(ERR_SELF_SIGNED_CERT_IN_CHAIN),
    V(ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
    V(ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE),
    V(ERR_CERT_CHAIN_TOO_LONG),
    V(ERR_CERT_REVOKED),
    V(ERR_INVALID_CA),
    V(ERR_PATH_LENGTH_EXCEEDED),
    V(ERR_INVALID_PURPOSE),
    V(ERR_CERT_UNTRUSTED),
    V(ERR_CERT_REJECTED),
    V(ERR_SUBJECT_ISSUER_MISMATCH),
    V(ERR_AKID_SKID_MISMATCH),
    V(ERR_AKID_ISSUER_SERIAL_MISMATCH),
    V(ERR_KEYUSAGE_NO_CERTSIGN),
    V(ERR_UNABLE_TO_GET_CRL_ISSUER),
    V(ERR_UNHANDLED_CRITICAL_EXTENSION),
    V(ERR_KEYUSAGE_NO_CRL_SIGN),
    V(ERR_UNHANDLED_CRITICAL_CRL_EXTENSION),
    V(ERR_INVALID_NON_CA),
    V(ERR_PROXY_PATH_LENGTH_EXCEEDED),
    V(ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE),
    V(ERR_PROXY_CERTIFICATES_NOT_ALLOWED),
    V(ERR_INVALID_EXTENSION),
    V(ERR_INVALID_POLICY_EXTENSION),
    V(ERR_NO_EXPLICIT_POLICY),
    V(ERR_DIFFERENT_CRL_SCOPE),
    V(ERR_UNSUPPORTED_EXTENSION_FEATURE),
    V(ERR_UNNESTED_RESOURCE),
    V(ERR_PERMITTED_VIOLATION),
    V(ERR_EXCLUDED_VIOLATION),
    V(ERR_SUBTREE_MINMAX),
    V(ERR_UNSUPPORTED_CONSTRAINT_TYPE),
    V(ERR_UNSUPPORTED_CONSTRAINT_SYNTAX),
    V(ERR_UNSUPPORTED_NAME_SYNTAX),
    V(ERR_CRL_PATH_VALIDATION_ERROR),
    V(ERR_HOSTNAME_MISMATCH),
    V(ERR_EMAIL_MISMATCH),
    V(ERR_IP_ADDRESS_MISMATCH),
    V(ERR_APPLICATION_VERIFICATION),
#undef V
    {NULL, 0},
};

/* A plain class `name` in this module with the given attributes. */
static PyObject *
make_plain_class(const char *name, PyObject *base, PyObject *dict)
{
    PyObject *modname = PyUnicode_FromString("OpenSSL.SSL");
    if (modname == NULL || PyDict_SetItemString(dict, "__module__", modname) < 0) {
        Py_XDECREF(modname);
        return NULL;
    }
    Py_DECREF(modname);
    PyObject *bases = base != NULL ? PyTuple_Pack(1, base) : PyTuple_New(0);
    if (bases == NULL) {
        return NULL;
    }
    PyObject *cls = PyObject_CallFunction((PyObject *)&PyType_Type, "sOO", name,
                                          bases, dict);
    Py_DECREF(bases);
    return cls;
}

static int
add_verification_codes(PyObject *module)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return -1;
    }
    for (const ssl_constant *c = ssl_verify_codes; c->name != NULL; c++) {
        PyObject *v = PyLong_FromLong(c->value);
        if (v == NULL || PyDict_SetItemString(dict, c->name, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(dict);
            return -1;
        }
        Py_DECREF(v);
    }
    PyObject *doc = PyUnicode_FromString(
        "The X509_V_* certificate verification results, by name.");
    if (doc == NULL || PyDict_SetItemString(dict, "__doc__", doc) < 0) {
        Py_XDECREF(doc);
        Py_DECREF(dict);
        return -1;
    }
    Py_DECREF(doc);
    PyObject *cls = make_plain_class("X509VerificationCodes", NULL, dict);
    Py_DECREF(dict);
    return ossl_module_add(module, "X509VerificationCodes", cls);
}

/* NO_OVERLAPPING_PROTOCOLS: the sentinel an ALPN select callback returns to
   go on without ALPN. */
static int
add_no_overlapping_protocols(PyObject *module)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return -1;
    }
    PyObject *cls = make_plain_class("_NoOverlappingProtocols", NULL, dict);
    Py_DECREF(dict);
    if (cls == NULL) {
        return -1;
    }
    PyObject *obj = PyObject_CallNoArgs(cls);
    Py_DECREF(cls);
    return ossl_module_add(module, "NO_OVERLAPPING_PROTOCOLS", obj);
}

static int
add_exception(PyObject *module, PyObject **slot, const char *name,
              PyObject *base, const char *doc)
{
    char qualname[80];
    PyOS_snprintf(qualname, sizeof(qualname), "OpenSSL.SSL.%s", name);
    *slot = PyErr_NewExceptionWithDoc(qualname, doc, base, NULL);
    if (*slot == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, name, *slot);
}

/* Names 26.4 re-exports from OpenSSL.crypto. */
static int
add_crypto_names(PyObject *module, ssl_state *st)
{
    static const char *names[] = {"X509", "PKey", "X509Name", "X509Store",
                                  NULL};
    for (const char **n = names; *n != NULL; n++) {
        PyObject *obj = PyObject_GetAttrString(st->crypto_module, *n);
        if (obj == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) {
            /* A crypto type still missing must not break the import. */
            PyErr_Clear();
            continue;
        }
        if (ossl_module_add(module, *n, obj) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- C API -------------------------------------------------------------- */

static SSL_CTX *
capi_context_ptr(PyObject *obj)
{
    ssl_state *st = ssl_state_of(obj);
    if (st == NULL || !PyObject_TypeCheck(obj, st->Context_Type)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "context must be a Context, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((ContextObject *)obj)->ctx;
}

static SSL *
capi_connection_ptr(PyObject *obj)
{
    ssl_state *st = ssl_state_of(obj);
    if (st == NULL || !PyObject_TypeCheck(obj, st->Connection_Type)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "connection must be a Connection, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return ((ConnectionObject *)obj)->ssl;
}

static int
capi_connection_memory_bios(PyObject *obj, BIO **into_ssl, BIO **from_ssl)
{
    if (capi_connection_ptr(obj) == NULL) {
        return -1;
    }
    ConnectionObject *conn = (ConnectionObject *)obj;
    if (conn->transport != SSL_TRANSPORT_MEMORY) {
        PyErr_SetString(PyExc_ValueError,
                        "the Connection was not made with memory BIOs "
                        "(transport None)");
        return -1;
    }
    *into_ssl = conn->into_ssl;
    *from_ssl = conn->from_ssl;
    return 0;
}

/* ---- module ------------------------------------------------------------- */

static int
ssl_exec(PyObject *module)
{
    ssl_state *st = PyModule_GetState(module);
    if (ssl_callbacks_init() < 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "OpenSSL could not allocate ex_data indices");
        return -1;
    }
    st->crypto_module = PyImport_ImportModule("OpenSSL.crypto");
    if (st->crypto_module == NULL) {
        return -1;
    }
    st->crypto = PyCapsule_Import(OSSL_CRYPTO_CAPI_NAME, 0);
    if (st->crypto == NULL) {
        return -1;
    }
    if (add_exception(module, &st->Error, "Error", NULL,
                      "An error occurred in an OpenSSL.SSL API.\n\n"
                      "args[0] is OpenSSL's error queue as a list of "
                      "(lib, func, reason).") < 0
        || add_exception(module, &st->WantReadError, "WantReadError",
                         st->Error,
                         "The operation needs more data from the transport; "
                         "call it again once there is some.") < 0
        || add_exception(module, &st->WantWriteError, "WantWriteError",
                         st->Error,
                         "The operation needs the transport to take more "
                         "data; call it again once it can.") < 0
        || add_exception(module, &st->WantX509LookupError,
                         "WantX509LookupError", st->Error,
                         "A certificate callback asked to be called again.") < 0
        || add_exception(module, &st->ZeroReturnError, "ZeroReturnError",
                         st->Error,
                         "The peer closed the TLS connection cleanly "
                         "(close_notify).") < 0
        || add_exception(module, &st->SysCallError, "SysCallError", st->Error,
                         "The transport failed: args are (errno, message), "
                         "(-1, 'Unexpected EOF') when the peer went away "
                         "without close_notify.") < 0) {
        return -1;
    }
    for (const ssl_constant *c = ssl_constants; c->name != NULL; c++) {
        if (ossl_add_int(module, c->name, c->value) < 0) {
            return -1;
        }
    }
    PyObject *number = PyLong_FromUnsignedLong(OpenSSL_version_num());
    if (ossl_module_add(module, "OPENSSL_VERSION_NUMBER", number) < 0) {
        return -1;
    }
    if (add_verification_codes(module) < 0
        || add_no_overlapping_protocols(module) < 0
        || add_crypto_names(module, st) < 0) {
        return -1;
    }
    if (PyModule_AddFunctions(module, ssl_functions) < 0) {
        return -1;
    }
    if (ssl_init_session(module, st) < 0 || ssl_init_context(module, st) < 0
        || ssl_init_connection(module, st) < 0) {
        return -1;
    }
    if (ssl_init_fileio(module) < 0 || ssl_init_tlsext(module) < 0
        || ssl_init_dtls(module) < 0) {
        return -1;
    }

    OSSL_SSLCAPI *api = &st->capi;
    api->version = OSSL_SSL_CAPI_VERSION;
    api->size = sizeof(*api);
    api->Context_Type = st->Context_Type;
    api->Connection_Type = st->Connection_Type;
    api->Error = st->Error;
    api->crypto = st->crypto;
    api->context_ptr = capi_context_ptr;
    api->connection_ptr = capi_connection_ptr;
    api->connection_memory_bios = capi_connection_memory_bios;
    PyObject *capsule = PyCapsule_New(api, OSSL_SSL_CAPI_NAME, NULL);
    if (ossl_module_add(module, "_C_API", capsule) < 0) {
        return -1;
    }
    return 0;
}

static int
ssl_traverse(PyObject *module, visitproc visit, void *arg)
{
    ssl_state *st = PyModule_GetState(module);
    Py_VISIT(st->Error);
    Py_VISIT(st->WantReadError);
    Py_VISIT(st->WantWriteError);
    Py_VISIT(st->WantX509LookupError);
    Py_VISIT(st->ZeroReturnError);
    Py_VISIT(st->SysCallError);
    Py_VISIT(st->Context_Type);
    Py_VISIT(st->Connection_Type);
    Py_VISIT(st->Session_Type);
    Py_VISIT(st->crypto_module);
    Py_VISIT(st->bridge);
    return 0;
}

static int
ssl_clear(PyObject *module)
{
    ssl_state *st = PyModule_GetState(module);
    Py_CLEAR(st->Error);
    Py_CLEAR(st->WantReadError);
    Py_CLEAR(st->WantWriteError);
    Py_CLEAR(st->WantX509LookupError);
    Py_CLEAR(st->ZeroReturnError);
    Py_CLEAR(st->SysCallError);
    Py_CLEAR(st->Context_Type);
    Py_CLEAR(st->Connection_Type);
    Py_CLEAR(st->Session_Type);
    Py_CLEAR(st->crypto_module);
    Py_CLEAR(st->bridge);
    return 0;
}

static void
ssl_free(void *module)
{
    ssl_clear(module);
}

static PyModuleDef_Slot ssl_slots[] = {
    {Py_mod_exec, ssl_exec},
    {0, NULL},
};

struct PyModuleDef ssl_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "OpenSSL.SSL",
    .m_doc = "TLS connections on OpenSSL.",
    .m_size = sizeof(ssl_state),
    .m_slots = ssl_slots,
    .m_traverse = ssl_traverse,
    .m_clear = ssl_clear,
    .m_free = ssl_free,
};

PyMODINIT_FUNC
PyInit_SSL(void)
{
    return PyModuleDef_Init(&ssl_module_def);
}

/*
 * X509Store: the trusted certificates, CRLs and verification parameters a
 * verification runs against; the X509StoreFlags and X509StorePurpose
 * namespaces of constants.
 *
 * Every parameter setter either changes the store's X509_VERIFY_PARAM or
 * raises: a check the caller asked for and OpenSSL did not take would let a
 * chain through that should have failed.
 */
#include "crypto.h"

#include <datetime.h>
#include <limits.h>

/* Every X509_V_FLAG_* OpenSSL 3.0 defines and set_flags accepts.
   USE_CHECK_TIME is left out: set_time sets it together with the time. */
#define STORE_KNOWN_FLAGS                                                      \
    (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL                          \
     | X509_V_FLAG_IGNORE_CRITICAL | X509_V_FLAG_X509_STRICT                    \
     | X509_V_FLAG_ALLOW_PROXY_CERTS | X509_V_FLAG_POLICY_CHECK                 \
     | X509_V_FLAG_EXPLICIT_POLICY | X509_V_FLAG_INHIBIT_ANY                    \
     | X509_V_FLAG_INHIBIT_MAP | X509_V_FLAG_NOTIFY_POLICY                      \
     | X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS                \
     | X509_V_FLAG_CHECK_SS_SIGNATURE | X509_V_FLAG_TRUSTED_FIRST               \
     | X509_V_FLAG_SUITEB_128_LOS | X509_V_FLAG_PARTIAL_CHAIN                   \
     | X509_V_FLAG_NO_ALT_CHAINS | X509_V_FLAG_NO_CHECK_TIME)

PyObject *
crypto_x509store_wrap(crypto_state *st, X509_STORE *store)
{
    if (store == NULL) {
        PyErr_SetString(PyExc_ValueError, "no certificate store");
        return NULL;
    }
    X509StoreObject *self = PyObject_New(X509StoreObject, st->X509Store_Type);
    if (self == NULL) {
        return NULL;
    }
    X509_STORE_up_ref(store);
    self->store = store;
    return (PyObject *)self;
}

X509_STORE *
crypto_x509store_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    if (!crypto_is_a(obj, st->X509Store_Type, argname)) {
        return NULL;
    }
    return ((X509StoreObject *)obj)->store;
}

PyObject *
crypto_x509_coerce(crypto_state *st, PyObject *obj, const char *argname)
{
    if (PyObject_TypeCheck(obj, st->X509_Type)) {
        return Py_NewRef(obj);
    }
    PyObject *converted = crypto_bridge_call(st, "x509_from_cryptography", obj);
    if (converted == NULL
        && (PyErr_ExceptionMatches(PyExc_TypeError)
            || PyErr_ExceptionMatches(PyExc_ImportError))) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s must be an X509 or a cryptography.x509.Certificate, "
                     "not %.100s", argname, Py_TYPE(obj)->tp_name);
    }
    return converted;
}

static PyObject *
store_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    crypto_state *st = crypto_state_of_type(type);
    if (st == NULL || !_PyArg_NoPositional("X509Store", args)
        || !_PyArg_NoKeywords("X509Store", kwds)) {
        return NULL;
    }
    X509_STORE *store = X509_STORE_new();
    if (store == NULL) {
        return ossl_raise(st->Error);
    }
    X509StoreObject *self = (X509StoreObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_STORE_free(store);
        return NULL;
    }
    self->store = store;
    return (PyObject *)self;
}

static void
store_dealloc(X509StoreObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    X509_STORE_free(self->store);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static X509_VERIFY_PARAM *
store_param(X509StoreObject *self)
{
    return X509_STORE_get0_param(self->store);
}

/* Raise Error for a parameter OpenSSL refused: never go on without it. */
static PyObject *
store_param_failed(X509StoreObject *self, const char *what)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    return ossl_raise_or(st->Error, "OpenSSL refused to set the %s", what);
}

PyDoc_STRVAR(store_add_cert_doc,
"add_cert($self, cert, /)\n--\n\n"
"Add *cert* (an X509 or a ``cryptography`` certificate) as a trusted\n"
"certificate.  The store keeps its own copy: changing *cert* afterwards\n"
"does not change what the store trusts.  Adding a certificate twice is\n"
"harmless.");

static PyObject *
store_add_cert(X509StoreObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *cert = crypto_x509_coerce(st, arg, "cert");
    if (cert == NULL) {
        return NULL;
    }
    X509 *copy = X509_dup(((X509Object *)cert)->x509);
    Py_DECREF(cert);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    int ok = X509_STORE_add_cert(self->store, copy);
    X509_free(copy);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    ERR_clear_error();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_add_crl_doc,
"add_crl($self, crl, /)\n--\n\n"
"Add a certificate revocation list: a CRL or a\n"
"``cryptography.x509.CertificateRevocationList``.  CRLs are consulted\n"
"only with the CRL_CHECK or CRL_CHECK_ALL flag.");

static PyObject *
store_add_crl(X509StoreObject *self, PyObject *arg)
{
    crypto_state *st = crypto_state_of((PyObject *)self);
    PyObject *crl;
    if (PyObject_TypeCheck(arg, st->CRL_Type)) {
        crl = Py_NewRef(arg);
    }
    else {
        crl = crypto_bridge_call(st, "crl_from_cryptography", arg);
        if (crl == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)
                || PyErr_ExceptionMatches(PyExc_ImportError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError,
                             "crl must be a CRL or a cryptography.x509."
                             "CertificateRevocationList, not %.100s",
                             Py_TYPE(arg)->tp_name);
            }
            return NULL;
        }
    }
    X509_CRL *copy = X509_CRL_dup(((CRLObject *)crl)->crl);
    Py_DECREF(crl);
    if (copy == NULL) {
        return ossl_raise(st->Error);
    }
    int ok = X509_STORE_add_crl(self->store, copy);
    X509_CRL_free(copy);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    ERR_clear_error();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_set_flags_doc,
"set_flags($self, flags, /)\n--\n\n"
"Turn on the verification flags *flags*, X509StoreFlags constants or'ed\n"
"together (flags already set stay set).  An unknown bit raises\n"
"ValueError.  CRL_CHECK_ALL turns on CRL_CHECK too: OpenSSL checks no CRL\n"
"at all with CRL_CHECK_ALL alone.");

static PyObject *
store_set_flags(X509StoreObject *self, PyObject *arg)
{
    uint64_t flags;
    if (ossl_flags_arg(arg, "flags", &flags) < 0) {
        return NULL;
    }
    if (flags & ~(uint64_t)STORE_KNOWN_FLAGS) {
        /* PyErr_Format has no hexadecimal 64-bit conversion before 3.12. */
        char unknown[24];
        snprintf(unknown, sizeof unknown, "0x%llx",
                 (unsigned long long)(flags & ~(uint64_t)STORE_KNOWN_FLAGS));
        PyErr_Format(PyExc_ValueError,
                     "flags has bits that are no X509StoreFlags value: %s%s",
                     unknown,
                     (flags & X509_V_FLAG_USE_CHECK_TIME)
                         ? " (use set_time for the verification time)" : "");
        return NULL;
    }
    /* Asking for every CRL must not end in checking none. */
    if (flags & X509_V_FLAG_CRL_CHECK_ALL) {
        flags |= X509_V_FLAG_CRL_CHECK;
    }
    if (!X509_STORE_set_flags(self->store, flags)) {
        return store_param_failed(self, "verification flags");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_set_time_doc,
"set_time($self, vfy_time, /)\n--\n\n"
"Verify against the time *vfy_time* (a datetime.datetime; a naive one is\n"
"taken as UTC) instead of the current time.");

static PyObject *
store_set_time(X509StoreObject *self, PyObject *arg)
{
    if (PyDateTimeAPI == NULL) {
        PyDateTime_IMPORT;
        if (PyDateTimeAPI == NULL) {
            return NULL;
        }
    }
    if (!PyDateTime_Check(arg)) {
        PyErr_Format(PyExc_TypeError,
                     "vfy_time must be a datetime.datetime, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    /* utctimetuple() converts an aware datetime to UTC and leaves a naive
       one as it is; timegm() then reads the fields as UTC. */
    PyObject *tuple = PyObject_CallMethod(arg, "utctimetuple", NULL);
    if (tuple == NULL) {
        return NULL;
    }
    PyObject *calendar = PyImport_ImportModule("calendar");
    PyObject *seconds = calendar == NULL
        ? NULL : PyObject_CallMethod(calendar, "timegm", "(O)", tuple);
    Py_XDECREF(calendar);
    Py_DECREF(tuple);
    if (seconds == NULL) {
        return NULL;
    }
    long long value = PyLong_AsLongLong(seconds);
    Py_DECREF(seconds);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if ((long long)(time_t)value != value) {
        PyErr_Format(PyExc_OverflowError, "vfy_time is out of range: %R", arg);
        return NULL;
    }
    /* Sets X509_V_FLAG_USE_CHECK_TIME too; cannot fail. */
    X509_VERIFY_PARAM_set_time(store_param(self), (time_t)value);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_load_locations_doc,
"load_locations($self, cafile, capath=None)\n--\n\n"
"Trust the PEM certificates (and load the CRLs) of the file *cafile*,\n"
"and look up certificates in the directory *capath*, which must be\n"
"prepared with ``openssl rehash``.  Either may be None, not both.\n"
"Raises Error if a location cannot be used.");

static PyObject *
store_load_locations(X509StoreObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cafile", "capath", NULL};
    crypto_state *st = crypto_state_of((PyObject *)self);
    ossl_bytes cafile = {.name = "cafile", .allow_none = 1};
    ossl_bytes capath = {.name = "capath", .allow_none = 1};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:load_locations", kwlist,
                                     ossl_path_conv, &cafile, ossl_path_conv,
                                     &capath)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (cafile.data == NULL && capath.data == NULL) {
        ossl_raise_msg(st->Error, "cafile and capath cannot both be None");
        goto done;
    }
    int ok = 1;
    /* Reading files: the store has its own lock, the GIL can go. */
    OSSL_ALLOW_THREADS_BEGIN;
    if (cafile.data != NULL) {
        ok = X509_STORE_load_file(self->store, cafile.data);
    }
    if (ok && capath.data != NULL) {
        ok = X509_STORE_load_path(self->store, capath.data);
    }
    OSSL_ALLOW_THREADS_END;
    if (!ok) {
        ossl_raise_or(st->Error, "no certificates could be loaded");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    ossl_bytes_release(&cafile);
    ossl_bytes_release(&capath);
    return result;
}

PyDoc_STRVAR(store_set_default_paths_doc,
"set_default_paths($self, /)\n--\n\n"
"Trust the certificates of OpenSSL's default CA file and directory\n"
"(SSL_CERT_FILE and SSL_CERT_DIR override them).");

static PyObject *
store_set_default_paths(X509StoreObject *self, PyObject *Py_UNUSED(ignored))
{
    int ok;
    OSSL_ALLOW_THREADS_BEGIN;
    ok = X509_STORE_set_default_paths(self->store);
    OSSL_ALLOW_THREADS_END;
    if (!ok) {
        return ossl_raise(crypto_state_of((PyObject *)self)->Error);
    }
    /* A missing default file is not an error; its lookup leaves noise. */
    ERR_clear_error();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_set_depth_doc,
"set_depth($self, depth, /)\n--\n\n"
"Allow at most *depth* intermediate CA certificates between the\n"
"certificate and its trust anchor (OpenSSL's verify depth; chains that\n"
"are longer fail with X509_V_ERR_CERT_CHAIN_TOO_LONG).");

static PyObject *
store_set_depth(X509StoreObject *self, PyObject *arg)
{
    int depth;
    if (ossl_int_arg(arg, "depth", &depth) < 0) {
        return NULL;
    }
    if (depth < 0) {
        PyErr_Format(PyExc_ValueError, "depth must not be negative, not %d",
                     depth);
        return NULL;
    }
    X509_VERIFY_PARAM_set_depth(store_param(self), depth);
    if (X509_VERIFY_PARAM_get_depth(store_param(self)) != depth) {
        return store_param_failed(self, "verification depth");
    }
    Py_RETURN_NONE;
}

/* A non-empty, NUL-free name argument; empty would turn the check off. */
static int
store_name_arg(PyObject *arg, ossl_bytes *out)
{
    if (!ossl_cstring_conv(arg, out)) {
        return -1;
    }
    if (out->len == 0) {
        PyErr_Format(PyExc_ValueError, "%s must not be empty", out->name);
        ossl_bytes_release(out);
        return -1;
    }
    return 0;
}

typedef int (*param_name_setter)(X509_VERIFY_PARAM *, const char *, size_t);

/* set_host/set_email: set(param, the name `arg`), None removing it. */
static PyObject *
store_set_name(X509StoreObject *self, PyObject *arg, const char *argname,
               param_name_setter set, const char *what)
{
    int ok;
    if (arg == Py_None) {
        ok = set(store_param(self), NULL, 0);
    }
    else {
        ossl_bytes name = OSSL_BYTES(argname);
        if (store_name_arg(arg, &name) < 0) {
            return NULL;
        }
        ok = set(store_param(self), name.data, (size_t)name.len);
        ossl_bytes_release(&name);
    }
    if (!ok) {
        return store_param_failed(self, what);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_set_host_doc,
"set_host($self, name, /)\n--\n\n"
"Require the certificate to be valid for the DNS name *name* (str or\n"
"bytes; matched against the subjectAltName DNS entries, wildcards as\n"
"RFC 6125 allows), replacing any name set before.  A mismatch fails\n"
"with X509_V_ERR_HOSTNAME_MISMATCH.  None removes the requirement.");

static PyObject *
store_set_host(X509StoreObject *self, PyObject *arg)
{
    return store_set_name(self, arg, "name", X509_VERIFY_PARAM_set1_host,
                          "host name");
}

PyDoc_STRVAR(store_set_ip_doc,
"set_ip($self, address, /)\n--\n\n"
"Require the certificate to be valid for the IP address *address*, given\n"
"as text ('192.0.2.1', '2001:db8::1'), replacing any address set before.\n"
"A mismatch fails with X509_V_ERR_IP_ADDRESS_MISMATCH; a malformed\n"
"address raises ValueError.  None removes the requirement.");

static PyObject *
store_set_ip(X509StoreObject *self, PyObject *arg)
{
    if (arg == Py_None) {
        if (!X509_VERIFY_PARAM_set1_ip(store_param(self), NULL, 0)) {
            return store_param_failed(self, "IP address");
        }
        Py_RETURN_NONE;
    }
    ossl_bytes address = OSSL_BYTES("address");
    if (store_name_arg(arg, &address) < 0) {
        return NULL;
    }
    int ok = X509_VERIFY_PARAM_set1_ip_asc(store_param(self), address.data);
    if (!ok) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError, "address is not an IP address: %R", arg);
    }
    ossl_bytes_release(&address);
    if (!ok) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_set_email_doc,
"set_email($self, address, /)\n--\n\n"
"Require the certificate to be valid for the e-mail address *address*,\n"
"replacing any address set before.  A mismatch fails with\n"
"X509_V_ERR_EMAIL_MISMATCH.  None removes the requirement.");

static PyObject *
store_set_email(X509StoreObject *self, PyObject *arg)
{
    return store_set_name(self, arg, "address", X509_VERIFY_PARAM_set1_email,
                          "e-mail address");
}

PyDoc_STRVAR(store_set_purpose_doc,
"set_purpose($self, purpose, /)\n--\n\n"
"Require the chain to be fit for *purpose*, an X509StorePurpose value\n"
"(e.g. SSL_SERVER: extendedKeyUsage serverAuth).  A mismatch fails with\n"
"X509_V_ERR_INVALID_PURPOSE; an unknown value raises ValueError.");

static PyObject *
store_set_purpose(X509StoreObject *self, PyObject *arg)
{
    int purpose;
    if (ossl_int_arg(arg, "purpose", &purpose) < 0) {
        return NULL;
    }
    if (X509_PURPOSE_get_by_id(purpose) < 0) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError,
                     "purpose must be an X509StorePurpose value, not %d", purpose);
        return NULL;
    }
    if (!X509_VERIFY_PARAM_set_purpose(store_param(self), purpose)) {
        return store_param_failed(self, "purpose");
    }
    Py_RETURN_NONE;
}

static PyMethodDef store_methods[] = {
    {"add_cert", (PyCFunction)store_add_cert, METH_O, store_add_cert_doc},
    {"add_crl", (PyCFunction)store_add_crl, METH_O, store_add_crl_doc},
    {"set_flags", (PyCFunction)store_set_flags, METH_O, store_set_flags_doc},
    {"set_time", (PyCFunction)store_set_time, METH_O, store_set_time_doc},
    {"load_locations", (PyCFunction)(void (*)(void))store_load_locations,
     METH_VARARGS | METH_KEYWORDS, store_load_locations_doc},
    {"set_default_paths", (PyCFunction)store_set_default_paths, METH_NOARGS,
     store_set_default_paths_doc},
    {"set_depth", (PyCFunction)store_set_depth, METH_O, store_set_depth_doc},
    {"set_host", (PyCFunction)store_set_host, METH_O, store_set_host_doc},
    {"set_ip", (PyCFunction)store_set_ip, METH_O, store_set_ip_doc},
    {"set_email", (PyCFunction)store_set_email, METH_O, store_set_email_doc},
    {"set_purpose", (PyCFunction)store_set_purpose, METH_O,
     store_set_purpose_doc},
    {NULL},
};

static PyType_Slot store_slots[] = {
    {Py_tp_doc, "X509Store()\n--\n\n"
                "What a certificate is verified against: trusted certificates,\n"
                "CRLs, flags, a time and the host/IP/e-mail/purpose/depth\n"
                "checks.  Verify with X509StoreContext."},
    {Py_tp_new, store_new},
    {Py_tp_dealloc, store_dealloc},
    {Py_tp_methods, store_methods},
    {0, NULL},
};

static PyType_Spec store_spec = {
    .name = "OpenSSL.crypto.X509Store",
    .basicsize = sizeof(X509StoreObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = store_slots,
};

/* ---- constant namespaces ------------------------------------------------ */

typedef struct {
    const char *name;
    long value;
} store_constant;

static const store_constant store_flags[] = {
    {"CRL_CHECK", X509_V_FLAG_CRL_CHECK},
    {"CRL_CHECK_ALL", X509_V_FLAG_CRL_CHECK_ALL},
    {"IGNORE_CRITICAL", X509_V_FLAG_IGNORE_CRITICAL},
    {"X509_STRICT", X509_V_FLAG_X509_STRICT},
    {"ALLOW_PROXY_CERTS", X509_V_FLAG_ALLOW_PROXY_CERTS},
    {"POLICY_CHECK", X509_V_FLAG_POLICY_CHECK},
    {"EXPLICIT_POLICY", X509_V_FLAG_EXPLICIT_POLICY},
    {"INHIBIT_ANY", X509_V_FLAG_INHIBIT_ANY},
    {"INHIBIT_MAP", X509_V_FLAG_INHIBIT_MAP},
    {"NOTIFY_POLICY", X509_V_FLAG_NOTIFY_POLICY},
    {"EXTENDED_CRL_SUPPORT", X509_V_FLAG_EXTENDED_CRL_SUPPORT},
    {"USE_DELTAS", X509_V_FLAG_USE_DELTAS},
    {"CHECK_SS_SIGNATURE", X509_V_FLAG_CHECK_SS_SIGNATURE},
    {"TRUSTED_FIRST", X509_V_FLAG_TRUSTED_FIRST},
    {"PARTIAL_CHAIN", X509_V_FLAG_PARTIAL_CHAIN},
    {"NO_ALT_CHAINS", X509_V_FLAG_NO_ALT_CHAINS},
    {"NO_CHECK_TIME", X509_V_FLAG_NO_CHECK_TIME},
    {NULL, 0},
};

static const store_constant store_purposes[] = {
    {"SSL_CLIENT", X509_PURPOSE_SSL_CLIENT},
    {"SSL_SERVER", X509_PURPOSE_SSL_SERVER},
    {"NS_SSL_SERVER", X509_PURPOSE_NS_SSL_SERVER},
    {"SMIME_SIGN", X509_PURPOSE_SMIME_SIGN},
    {"SMIME_ENCRYPT", X509_PURPOSE_SMIME_ENCRYPT},
    {"CRL_SIGN", X509_PURPOSE_CRL_SIGN},
    {"ANY", X509_PURPOSE_ANY},
    {"OCSP_HELPER", X509_PURPOSE_OCSP_HELPER},
    {"TIMESTAMP_SIGN", X509_PURPOSE_TIMESTAMP_SIGN},
    {NULL, 0},
};

/* A plain class holding int constants, added to the module as `name`. */
static int
store_add_namespace(PyObject *module, const char *name, const char *doc,
                    const store_constant *constants)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return -1;
    }
    int rc = -1;
    PyObject *doc_obj = PyUnicode_FromString(doc);
    if (doc_obj == NULL || PyDict_SetItemString(dict, "__doc__", doc_obj) < 0) {
        Py_XDECREF(doc_obj);
        goto done;
    }
    Py_DECREF(doc_obj);
    PyObject *module_name = PyModule_GetNameObject(module);
    if (module_name == NULL
        || PyDict_SetItemString(dict, "__module__", module_name) < 0) {
        Py_XDECREF(module_name);
        goto done;
    }
    Py_DECREF(module_name);
    for (const store_constant *c = constants; c->name != NULL; c++) {
        PyObject *value = PyLong_FromLong(c->value);
        if (value == NULL || PyDict_SetItemString(dict, c->name, value) < 0) {
            Py_XDECREF(value);
            goto done;
        }
        Py_DECREF(value);
    }
    PyObject *cls = PyObject_CallFunction((PyObject *)&PyType_Type, "s()O",
                                          name, dict);
    rc = ossl_module_add(module, name, cls);
done:
    Py_DECREF(dict);
    return rc;
}

PyMethodDef crypto_x509store_functions[] = {
    {NULL},
};

int
crypto_init_x509store(PyObject *module, crypto_state *st)
{
    st->X509Store_Type = crypto_add_type(module, &store_spec, "X509StoreType");
    if (st->X509Store_Type == NULL) {
        return -1;
    }
    if (store_add_namespace(module, "X509StoreFlags",
                            "Flags for X509Store.set_flags (OpenSSL's "
                            "X509_V_FLAG_* values).", store_flags) < 0
        || store_add_namespace(module, "X509StorePurpose",
                               "Purposes for X509Store.set_purpose (OpenSSL's "
                               "X509_PURPOSE_* values).", store_purposes) < 0) {
        return -1;
    }
    return 0;
}

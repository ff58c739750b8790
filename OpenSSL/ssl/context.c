/*
 * Context: the settings new Connections start from (an SSL_CTX).
 *
 * A Context stays mutable after Connections were made from it: Twisted and
 * urllib3 change settings on a Context they already used.  A Connection
 * copies most settings when it is made (OpenSSL's SSL_new), so a change
 * applies to Connections made afterwards; callbacks are looked up at call
 * time and so apply at once.
 */
#include "ssl.h"

#include <openssl/pem.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#define CONTEXT_STATE(self) ssl_state_of((PyObject *)(self))

int
ssl_callbacks_traverse(ssl_callbacks *cb, visitproc visit, void *arg)
{
    for (int i = 0; i < SSL_SLOT_COUNT; i++) {
        Py_VISIT(cb->slot[i]);
    }
    return 0;
}

void
ssl_callbacks_clear(ssl_callbacks *cb)
{
    for (int i = 0; i < SSL_SLOT_COUNT; i++) {
        Py_CLEAR(cb->slot[i]);
    }
}

int
ssl_callbacks_set(ssl_callbacks *cb, int slot, PyObject *callback,
                  int allow_none)
{
    if (!(allow_none && callback == Py_None) && !PyCallable_Check(callback)) {
        PyErr_Format(PyExc_TypeError, "callback must be callable%s, not %.100s",
                     allow_none ? " or None" : "", Py_TYPE(callback)->tp_name);
        return -1;
    }
    Py_XSETREF(cb->slot[slot],
               callback == Py_None ? NULL : Py_NewRef(callback));
    return 0;
}

PyObject *
ssl_use_certificate(ssl_state *st, SSL_CTX *ctx, SSL *ssl, PyObject *cert)
{
    X509 *x509 = ssl_x509_arg(st, cert, "cert");
    if (x509 == NULL) {
        return NULL;
    }
    int ok = ctx != NULL ? SSL_CTX_use_certificate(ctx, x509)
                         : SSL_use_certificate(ssl, x509);
    X509_free(x509);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyObject *
ssl_use_privatekey(ssl_state *st, SSL_CTX *ctx, SSL *ssl, PyObject *pkey)
{
    EVP_PKEY *key = ssl_pkey_arg(st, pkey, "pkey");
    if (key == NULL) {
        return NULL;
    }
    int ok = ctx != NULL ? SSL_CTX_use_PrivateKey(ctx, key)
                         : SSL_use_PrivateKey(ssl, key);
    EVP_PKEY_free(key);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

/* Raise the exception a callback stored during a Context call (1), or
   nothing (0). */
static int
context_raise_stashed(ContextObject *self)
{
    return ossl_unstash_exception(&self->callback_error);
}

/* ---- what every new Connection copies ---------------------------------- */

int
ssl_context_pin(ContextObject *self, SSL *ssl)
{
    ssl_state *st = CONTEXT_STATE(self);
    /* Suites first: SSL_set_cipher_list builds the SSL's list from its own
       TLS 1.3 suites. */
    const char *suites = self->ciphersuites != NULL
        ? PyBytes_AS_STRING(self->ciphersuites) : OSSL_default_ciphersuites();
    const char *list = self->cipher_list != NULL
        ? PyBytes_AS_STRING(self->cipher_list) : OSSL_default_cipher_list();
    if (!SSL_set_ciphersuites(ssl, suites) || !SSL_set_cipher_list(ssl, list)) {
        ossl_raise(st->Error);
        return -1;
    }
    /* A server sends its own (possibly empty) list, never the Context's. */
    STACK_OF(X509_NAME) *names = SSL_CTX_get_client_CA_list(self->ctx);
    STACK_OF(X509_NAME) *copy = names != NULL ? SSL_dup_CA_list(names)
                                              : sk_X509_NAME_new_null();
    if (copy == NULL) {
        ossl_raise(st->Error);
        return -1;
    }
    SSL_set_client_CA_list(ssl, copy);
    /* Extra chain certificates stand for the chain of every certificate
       that has none of its own; give those certificates a copy. */
    STACK_OF(X509) *extra = NULL;
    SSL_CTX_get_extra_chain_certs_only(self->ctx, &extra);
    if (extra != NULL && sk_X509_num(extra) > 0) {
        X509 *current = SSL_get_certificate(ssl);
        for (long r = SSL_set_current_cert(ssl, SSL_CERT_SET_FIRST); r == 1;
             r = SSL_set_current_cert(ssl, SSL_CERT_SET_NEXT)) {
            STACK_OF(X509) *chain = NULL;
            SSL_get0_chain_certs(ssl, &chain);
            if ((chain == NULL || sk_X509_num(chain) == 0)
                && !SSL_set1_chain(ssl, extra)) {
                ossl_raise(st->Error);
                return -1;
            }
        }
        if (current != NULL) {
            SSL_select_current_cert(ssl, current);
        }
        ERR_clear_error();
    }
    return 0;
}

/* ---- construction ------------------------------------------------------ */

static PyObject *
context_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"method", NULL};
    PyObject *method_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Context", kwlist,
                                     &method_obj)) {
        return NULL;
    }
    if (!PyLong_Check(method_obj)) {
        PyErr_Format(PyExc_TypeError, "method must be an integer, not %.100s",
                     Py_TYPE(method_obj)->tp_name);
        return NULL;
    }
    int method = (int)PyLong_AsLong(method_obj);
    if (method == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        method = 0;
    }
    const SSL_METHOD *ssl_method = NULL;
    int version = 0;
    switch (method) {
    case 3: ssl_method = TLS_method(); break;                 /* SSLv23 */
    case 4: ssl_method = TLS_method(); version = TLS1_VERSION; break;
    case 5: ssl_method = TLS_method(); version = TLS1_1_VERSION; break;
    case 6: ssl_method = TLS_method(); version = TLS1_2_VERSION; break;
    case 7: ssl_method = TLS_method(); break;
    case 8: ssl_method = TLS_server_method(); break;
    case 9: ssl_method = TLS_client_method(); break;
    case 10: ssl_method = DTLS_method(); break;
    case 11: ssl_method = DTLS_server_method(); break;
    case 12: ssl_method = DTLS_client_method(); break;
    default:
        PyErr_Format(PyExc_ValueError,
                     "No such protocol: method %R is not one of the *_METHOD "
                     "constants", method_obj);
        return NULL;
    }
    ssl_state *st = ssl_state_of_type(type);
    if (st == NULL) {
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(ssl_method);
    if (ctx == NULL) {
        return ossl_raise(st->Error);
    }
    if (version != 0
        && (!SSL_CTX_set_min_proto_version(ctx, version)
            || !SSL_CTX_set_max_proto_version(ctx, version))) {
        SSL_CTX_free(ctx);
        return ossl_raise(st->Error);
    }
    /* pyOpenSSL's defaults: writes may be partial (send() says how much),
       and a retried write may pass a moved buffer. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                              | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    ContextObject *self = (ContextObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    self->ctx = ctx;
    self->method = method;
    SSL_CTX_set_ex_data(ctx, ssl_context_index, self);
    /* The passphrase callback is always ours; it finds the Python one in
       the callback table (a Context without one gives OpenSSL's "no
       password" failure, not a prompt on the terminal). */
    SSL_CTX_set_default_passwd_cb(ctx, ssl_passwd_trampoline);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, self);
    return (PyObject *)self;
}

/* All the work happens in __new__; __init__ takes the same arguments so
   that subclasses can call super().__init__(method). */
static int
context_init(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"method", NULL};
    PyObject *method;
    return PyArg_ParseTupleAndKeywords(args, kwds, "O:Context", kwlist,
                                       &method) ? 0 : -1;
}

static int
context_traverse(ContextObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->app_data);
    Py_VISIT(self->callback_error);
    Py_VISIT(self->cipher_list);
    Py_VISIT(self->ciphersuites);
    return ssl_callbacks_traverse(&self->cb, visit, arg);
}

static int
context_clear(ContextObject *self)
{
    Py_CLEAR(self->app_data);
    Py_CLEAR(self->callback_error);
    Py_CLEAR(self->cipher_list);
    Py_CLEAR(self->ciphersuites);
    Py_CLEAR(self->ctx_capsule);
    ssl_callbacks_clear(&self->cb);
    return 0;
}

static void
context_dealloc(ContextObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    if (self->ctx != NULL) {
        /* The SSL_CTX may outlive us (an SSL holds a reference to it):
           nothing may lead back to this object any more. */
        SSL_CTX_set_ex_data(self->ctx, ssl_context_index, NULL);
        SSL_CTX_set_default_passwd_cb_userdata(self->ctx, NULL);
        SSL_CTX_free(self->ctx);
        self->ctx = NULL;
    }
    context_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

/* ---- protocol versions, ciphers, options --------------------------------- */

PyDoc_STRVAR(context_set_min_proto_version_doc,
"set_min_proto_version($self, version, /)\n--\n\n"
"Set the lowest protocol version to offer (a *_VERSION constant; 0 for the\n"
"lowest the library supports).");

static PyObject *
context_set_min_proto_version(ContextObject *self, PyObject *arg)
{
    int version;
    if (ossl_int_arg(arg, "version", &version) < 0) {
        return NULL;
    }
    if (!SSL_CTX_set_min_proto_version(self->ctx, version)) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_max_proto_version_doc,
"set_max_proto_version($self, version, /)\n--\n\n"
"Set the highest protocol version to offer (a *_VERSION constant; 0 for the\n"
"highest the library supports).");

static PyObject *
context_set_max_proto_version(ContextObject *self, PyObject *arg)
{
    int version;
    if (ossl_int_arg(arg, "version", &version) < 0) {
        return NULL;
    }
    if (!SSL_CTX_set_max_proto_version(self->ctx, version)) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_get_min_proto_version_doc,
"get_min_proto_version($self, /)\n--\n\n"
"The lowest protocol version set (0: no bound).");

static PyObject *
context_get_min_proto_version(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_min_proto_version(self->ctx));
}

PyDoc_STRVAR(context_get_max_proto_version_doc,
"get_max_proto_version($self, /)\n--\n\n"
"The highest protocol version set (0: no bound).");

static PyObject *
context_get_max_proto_version(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_max_proto_version(self->ctx));
}

/* What set_cipher_list / set_tls13_ciphersuites do once OpenSSL said `ok`
   to `list`: keep a copy of it in *kept (new Connections get their own
   lists from it, see ssl_context_pin), or raise Error. */
static PyObject *
keep_cipher_string(ContextObject *self, int ok, ossl_bytes *list,
                   PyObject **kept)
{
    PyObject *copy = ok ? PyBytes_FromStringAndSize(list->data, list->len)
                        : NULL;
    ossl_bytes_release(list);
    if (!ok) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    if (copy == NULL) {
        return NULL;
    }
    Py_XSETREF(*kept, copy);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_cipher_list_doc,
"set_cipher_list($self, cipher_list, /)\n--\n\n"
"Set the TLS 1.2-and-below cipher list (OpenSSL's cipher string syntax).\n"
"A list that matches nothing raises Error (\"no cipher match\").");

static PyObject *
context_set_cipher_list(ContextObject *self, PyObject *args)
{
    ossl_bytes list = OSSL_BYTES("cipher_list");
    if (!PyArg_ParseTuple(args, "O&:set_cipher_list", ossl_cstring_conv,
                          &list)) {
        return NULL;
    }
    int ok = SSL_CTX_set_cipher_list(self->ctx, list.data);
    return keep_cipher_string(self, ok, &list, &self->cipher_list);
}

PyDoc_STRVAR(context_set_tls13_ciphersuites_doc,
"set_tls13_ciphersuites($self, ciphersuites, /)\n--\n\n"
"Set the TLS 1.3 cipher suites, colon separated\n"
"(e.g. b\"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\").");

static PyObject *
context_set_tls13_ciphersuites(ContextObject *self, PyObject *args)
{
    ossl_bytes list = OSSL_BYTES("ciphersuites");
    if (!PyArg_ParseTuple(args, "O&:set_tls13_ciphersuites",
                          ossl_cstring_conv, &list)) {
        return NULL;
    }
    int ok = SSL_CTX_set_ciphersuites(self->ctx, list.data);
    return keep_cipher_string(self, ok, &list, &self->ciphersuites);
}

PyDoc_STRVAR(context_set_options_doc,
"set_options($self, options, /)\n--\n\n"
"Add OP_* options (those set before stay set); return the new option word.");

static PyObject *
context_set_options(ContextObject *self, PyObject *arg)
{
    uint64_t options;
    if (ossl_flags_arg(arg, "options", &options) < 0) {
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(SSL_CTX_set_options(self->ctx, options));
}

PyDoc_STRVAR(context_clear_options_doc,
"clear_options($self, options, /)\n--\n\n"
"Clear OP_* options; return the new option word.");

static PyObject *
context_clear_options(ContextObject *self, PyObject *arg)
{
    uint64_t options;
    if (ossl_flags_arg(arg, "options", &options) < 0) {
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(
        SSL_CTX_clear_options(self->ctx, options));
}

PyDoc_STRVAR(context_get_options_doc,
"get_options($self, /)\n--\n\nThe OP_* option word.");

static PyObject *
context_get_options(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromUnsignedLongLong(SSL_CTX_get_options(self->ctx));
}

PyDoc_STRVAR(context_set_mode_doc,
"set_mode($self, mode, /)\n--\n\n"
"Add MODE_* bits (those set before stay set); return the new mode word.");

static PyObject *
context_set_mode(ContextObject *self, PyObject *arg)
{
    uint64_t mode;
    if (ossl_flags_arg(arg, "mode", &mode) < 0) {
        return NULL;
    }
    return PyLong_FromLong(SSL_CTX_set_mode(self->ctx, (long)mode));
}

PyDoc_STRVAR(context_clear_mode_doc,
"clear_mode($self, mode_to_clear, /)\n--\n\n"
"Clear MODE_* bits; return the new mode word.");

static PyObject *
context_clear_mode(ContextObject *self, PyObject *arg)
{
    uint64_t mode;
    if (ossl_flags_arg(arg, "mode_to_clear", &mode) < 0) {
        return NULL;
    }
    return PyLong_FromLong(SSL_CTX_clear_mode(self->ctx, (long)mode));
}

/* ---- verification ------------------------------------------------------ */

PyDoc_STRVAR(context_set_verify_doc,
"set_verify($self, mode, callback=None)\n--\n\n"
"Set the verification mode (VERIFY_* bits) and optionally a callback\n"
"callback(connection, x509, errnum, errdepth, ok) -> bool, called for\n"
"every certificate of the peer's chain.  Only a true return accepts a\n"
"certificate; an exception it raises fails the handshake and is raised\n"
"from the Connection call.  Without a callback OpenSSL's verdict stands.");

PyObject *
ssl_set_verify(ssl_callbacks *cb, SSL_CTX *ctx, SSL *ssl, PyObject *args,
               PyObject *kwds)
{
    static char *kwlist[] = {"mode", "callback", NULL};
    PyObject *mode_obj, *callback = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:set_verify", kwlist,
                                     &mode_obj, &callback)) {
        return NULL;
    }
    int mode;
    if (ossl_int_arg(mode_obj, "mode", &mode) < 0
        || ssl_callbacks_set(cb, SSL_SLOT_VERIFY, callback, 1) < 0) {
        return NULL;
    }
    SSL_verify_cb verify = callback == Py_None ? NULL : ssl_verify_trampoline;
    if (ctx != NULL) {
        SSL_CTX_set_verify(ctx, mode, verify);
    }
    else {
        SSL_set_verify(ssl, mode, verify);
    }
    Py_RETURN_NONE;
}

static PyObject *
context_set_verify(ContextObject *self, PyObject *args, PyObject *kwds)
{
    return ssl_set_verify(&self->cb, self->ctx, NULL, args, kwds);
}

PyDoc_STRVAR(context_set_verify_depth_doc,
"set_verify_depth($self, depth, /)\n--\n\n"
"Set the longest certificate chain verification accepts.");

static PyObject *
context_set_verify_depth(ContextObject *self, PyObject *arg)
{
    int depth;
    if (ossl_int_arg(arg, "depth", &depth) < 0) {
        return NULL;
    }
    SSL_CTX_set_verify_depth(self->ctx, depth);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_get_verify_mode_doc,
"get_verify_mode($self, /)\n--\n\nThe verification mode set by set_verify.");

static PyObject *
context_get_verify_mode(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_verify_mode(self->ctx));
}

PyDoc_STRVAR(context_get_verify_depth_doc,
"get_verify_depth($self, /)\n--\n\nThe verification depth.");

static PyObject *
context_get_verify_depth(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_verify_depth(self->ctx));
}

PyDoc_STRVAR(context_load_verify_locations_doc,
"load_verify_locations($self, cafile, capath=None)\n--\n\n"
"Trust the certificates in the PEM file cafile and/or the hashed\n"
"directory capath.");

static PyObject *
context_load_verify_locations(ContextObject *self, PyObject *args,
                              PyObject *kwds)
{
    static char *kwlist[] = {"cafile", "capath", NULL};
    ossl_bytes cafile = {.name = "cafile", .allow_none = 1};
    ossl_bytes capath = {.name = "capath", .allow_none = 1};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:load_verify_locations",
                                     kwlist, ossl_path_conv, &cafile,
                                     ossl_path_conv, &capath)) {
        return NULL;
    }
    int ok;
    if (cafile.data == NULL && capath.data == NULL) {
        /* SSL.Error as in pyOpenSSL: urllib3 catches exactly that here. */
        ok = 0;
        ossl_raise_msg(CONTEXT_STATE(self)->Error,
                       "cafile and capath cannot both be None");
    }
    else {
        ok = SSL_CTX_load_verify_locations(self->ctx, cafile.data, capath.data);
        if (!ok) {
            ossl_raise(CONTEXT_STATE(self)->Error);
        }
    }
    ossl_bytes_release(&cafile);
    ossl_bytes_release(&capath);
    if (!ok) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_default_verify_paths_doc,
"set_default_verify_paths($self, /)\n--\n\n"
"Trust the CA certificates of the platform's OpenSSL (its default file and\n"
"directory, or SSL_CERT_FILE / SSL_CERT_DIR).");

static PyObject *
context_set_default_verify_paths(ContextObject *self,
                                 PyObject *Py_UNUSED(ignored))
{
    if (!SSL_CTX_set_default_verify_paths(self->ctx)) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_get_cert_store_doc,
"get_cert_store($self, /)\n--\n\n"
"The X509Store the Context verifies against; certificates added to it are\n"
"trusted by Connections made afterwards.");

static PyObject *
context_get_cert_store(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    X509_STORE *store = SSL_CTX_get_cert_store(self->ctx);
    if (store == NULL) {
        Py_RETURN_NONE;
    }
    ssl_state *st = CONTEXT_STATE(self);
    return st->crypto->x509store_from_ptr(st->crypto, store);
}

/* ---- certificates and keys ---------------------------------------------- */

/* An O& converter for the filetype argument of the *_file methods (the
   caller's int starts as SSL_FILETYPE_PEM, the default). */
static int
filetype_conv(PyObject *obj, void *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "filetype must be an integer, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return 0;
    }
    long v = PyLong_AsLong(obj);
    if (v != SSL_FILETYPE_PEM && v != SSL_FILETYPE_ASN1) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError,
                     "filetype must be FILETYPE_PEM or FILETYPE_ASN1, not %R",
                     obj);
        return 0;
    }
    *(int *)out = (int)v;
    return 1;
}

PyDoc_STRVAR(context_use_certificate_chain_file_doc,
"use_certificate_chain_file($self, certfile)\n--\n\n"
"Use the PEM file certfile: the certificate first, then the chain to send\n"
"with it.");

static PyObject *
context_use_certificate_chain_file(ContextObject *self, PyObject *args,
                                   PyObject *kwds)
{
    static char *kwlist[] = {"certfile", NULL};
    ossl_bytes path = {.name = "certfile"};
    if (!PyArg_ParseTupleAndKeywords(args, kwds,
                                     "O&:use_certificate_chain_file", kwlist,
                                     ossl_path_conv, &path)) {
        return NULL;
    }
    int ok = SSL_CTX_use_certificate_chain_file(self->ctx, path.data);
    ossl_bytes_release(&path);
    if (!ok) {
        if (context_raise_stashed(self)) {
            return NULL;
        }
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_use_certificate_file_doc,
"use_certificate_file($self, certfile, filetype=FILETYPE_PEM)\n--\n\n"
"Use the certificate in the file certfile.");

static PyObject *
context_use_certificate_file(ContextObject *self, PyObject *args,
                             PyObject *kwds)
{
    static char *kwlist[] = {"certfile", "filetype", NULL};
    ossl_bytes path = {.name = "certfile"};
    int filetype = SSL_FILETYPE_PEM;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:use_certificate_file",
                                     kwlist, ossl_path_conv, &path,
                                     filetype_conv, &filetype)) {
        return NULL;
    }
    int ok = SSL_CTX_use_certificate_file(self->ctx, path.data, filetype);
    ossl_bytes_release(&path);
    if (!ok) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_use_certificate_doc,
"use_certificate($self, cert, /)\n--\n\n"
"Use cert (an X509 or a cryptography.x509.Certificate).");

static PyObject *
context_use_certificate(ContextObject *self, PyObject *arg)
{
    return ssl_use_certificate(CONTEXT_STATE(self), self->ctx, NULL, arg);
}

PyDoc_STRVAR(context_add_extra_chain_cert_doc,
"add_extra_chain_cert($self, certobj, /)\n--\n\n"
"Send certobj (an X509 or a cryptography.x509.Certificate) after the\n"
"certificate, as part of the chain.");

static PyObject *
context_add_extra_chain_cert(ContextObject *self, PyObject *arg)
{
    ssl_state *st = CONTEXT_STATE(self);
    X509 *x509 = ssl_x509_arg(st, arg, "certobj");
    if (x509 == NULL) {
        return NULL;
    }
    /* SSL_CTX_add_extra_chain_cert takes over our reference. */
    if (!SSL_CTX_add_extra_chain_cert(self->ctx, x509)) {
        X509_free(x509);
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_use_privatekey_file_doc,
"use_privatekey_file($self, keyfile, filetype=FILETYPE_PEM)\n--\n\n"
"Use the private key in the file keyfile; an encrypted key asks the\n"
"callback of set_passwd_cb for its passphrase.");

static PyObject *
context_use_privatekey_file(ContextObject *self, PyObject *args,
                            PyObject *kwds)
{
    static char *kwlist[] = {"keyfile", "filetype", NULL};
    ossl_bytes path = {.name = "keyfile"};
    int filetype = SSL_FILETYPE_PEM;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O&:use_privatekey_file",
                                     kwlist, ossl_path_conv, &path,
                                     filetype_conv, &filetype)) {
        return NULL;
    }
    int ok;
    /* Decrypting a key can take a while (PBKDF2); the passphrase callback
       takes the GIL back through the thread-local state. */
    OSSL_ALLOW_THREADS_BEGIN
    ok = SSL_CTX_use_PrivateKey_file(self->ctx, path.data, filetype);
    OSSL_ALLOW_THREADS_END;
    ossl_bytes_release(&path);
    if (context_raise_stashed(self)) {
        return NULL;
    }
    if (!ok) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_use_privatekey_doc,
"use_privatekey($self, pkey, /)\n--\n\n"
"Use pkey (a PKey or a cryptography private key).");

static PyObject *
context_use_privatekey(ContextObject *self, PyObject *arg)
{
    return ssl_use_privatekey(CONTEXT_STATE(self), self->ctx, NULL, arg);
}

PyDoc_STRVAR(context_check_privatekey_doc,
"check_privatekey($self, /)\n--\n\n"
"Raise Error unless the private key matches the certificate.");

static PyObject *
context_check_privatekey(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    if (!SSL_CTX_check_private_key(self->ctx)) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_passwd_cb_doc,
"set_passwd_cb($self, callback, userdata=None)\n--\n\n"
"Set callback(maxlength, verify, userdata) -> bytes, asked for the\n"
"passphrase of an encrypted private key.  A longer result is cut to\n"
"maxlength; an exception it raises comes out of the loading call.");

static PyObject *
context_set_passwd_cb(ContextObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"callback", "userdata", NULL};
    PyObject *callback, *userdata = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:set_passwd_cb", kwlist,
                                     &callback, &userdata)) {
        return NULL;
    }
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_PASSWD, callback, 0) < 0) {
        return NULL;
    }
    Py_XSETREF(self->cb.slot[SSL_SLOT_PASSWD_DATA],
               userdata == Py_None ? NULL : Py_NewRef(userdata));
    Py_RETURN_NONE;
}

/* ---- client CA lists ---------------------------------------------------- */

PyDoc_STRVAR(context_load_client_ca_doc,
"load_client_ca($self, cafile, /)\n--\n\n"
"Send the subjects of the certificates in the PEM file cafile to clients\n"
"as the CAs whose certificates the server accepts.");

static PyObject *
context_load_client_ca(ContextObject *self, PyObject *args)
{
    ossl_bytes path = {.name = "cafile"};
    if (!PyArg_ParseTuple(args, "O&:load_client_ca", ossl_path_conv, &path)) {
        return NULL;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path.data);
    ossl_bytes_release(&path);
    if (names == NULL) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    SSL_CTX_set_client_CA_list(self->ctx, names);
    Py_RETURN_NONE;
}

/* A new X509_NAME from an X509Name or a cryptography x509.Name. */
static X509_NAME *
name_arg(ssl_state *st, PyObject *item)
{
    if (PyObject_TypeCheck(item, st->crypto->X509Name_Type)) {
        return st->crypto->x509name_as_ptr(st->crypto, item);
    }
    if (PyObject_HasAttrString(item, "public_bytes")
        && PyObject_HasAttrString(item, "rdns")) {
        PyObject *der = PyObject_CallMethod(item, "public_bytes", NULL);
        if (der == NULL) {
            return NULL;
        }
        if (!PyBytes_Check(der)) {
            Py_DECREF(der);
            PyErr_SetString(PyExc_TypeError,
                            "x509.Name.public_bytes() did not return bytes");
            return NULL;
        }
        const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(der);
        X509_NAME *name = d2i_X509_NAME(NULL, &p, PyBytes_GET_SIZE(der));
        Py_DECREF(der);
        if (name == NULL) {
            ossl_raise(st->Error);
        }
        return name;
    }
    PyErr_Format(PyExc_TypeError,
                 "certificate_authorities must hold X509Name or "
                 "cryptography x509.Name objects, not %.100s",
                 Py_TYPE(item)->tp_name);
    return NULL;
}

PyDoc_STRVAR(context_set_client_ca_list_doc,
"set_client_ca_list($self, certificate_authorities, /)\n--\n\n"
"Send these names (X509Name or cryptography x509.Name objects) to clients\n"
"as the CAs whose certificates the server accepts.");

static PyObject *
context_set_client_ca_list(ContextObject *self, PyObject *arg)
{
    ssl_state *st = CONTEXT_STATE(self);
    PyObject *seq = PySequence_Fast(
        arg, "certificate_authorities must be a sequence of X509Name");
    if (seq == NULL) {
        return NULL;
    }
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    if (names == NULL) {
        Py_DECREF(seq);
        return ossl_raise(st->Error);
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        X509_NAME *name = name_arg(st, item);
        if (name == NULL) {
            goto fail;
        }
        if (!sk_X509_NAME_push(names, name)) {
            X509_NAME_free(name);
            ossl_raise(st->Error);
            goto fail;
        }
    }
    Py_DECREF(seq);
    SSL_CTX_set_client_CA_list(self->ctx, names);  /* takes the stack */
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    return NULL;
}

PyDoc_STRVAR(context_add_client_ca_doc,
"add_client_ca($self, certificate_authority, /)\n--\n\n"
"Add the subject of certificate_authority (an X509 or a cryptography\n"
"certificate) to the CAs sent to clients.");

static PyObject *
context_add_client_ca(ContextObject *self, PyObject *arg)
{
    ssl_state *st = CONTEXT_STATE(self);
    X509 *x509 = ssl_x509_arg(st, arg, "certificate_authority");
    if (x509 == NULL) {
        return NULL;
    }
    int ok = SSL_CTX_add_client_CA(self->ctx, x509);
    X509_free(x509);
    if (!ok) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

/* ---- sessions ---------------------------------------------------------- */

PyDoc_STRVAR(context_set_session_id_doc,
"set_session_id($self, buf, /)\n--\n\n"
"Set the session id context (at most 32 bytes) within which servers\n"
"resume sessions.");

static PyObject *
context_set_session_id(ContextObject *self, PyObject *args)
{
    ossl_bytes buf = OSSL_BYTES("buf");
    if (!PyArg_ParseTuple(args, "O&:set_session_id", ossl_bytes_conv, &buf)) {
        return NULL;
    }
    int ok = buf.len <= SSL_MAX_SID_CTX_LENGTH
        && SSL_CTX_set_session_id_context(self->ctx,
                                          (const unsigned char *)buf.data,
                                          (unsigned int)buf.len);
    ossl_bytes_release(&buf);
    if (!ok) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_session_cache_mode_doc,
"set_session_cache_mode($self, mode, /)\n--\n\n"
"Set the SESS_CACHE_* mode; return the previous one.");

static PyObject *
context_set_session_cache_mode(ContextObject *self, PyObject *arg)
{
    int mode;
    if (ossl_int_arg(arg, "mode", &mode) < 0) {
        return NULL;
    }
    return PyLong_FromLong(SSL_CTX_set_session_cache_mode(self->ctx, mode));
}

PyDoc_STRVAR(context_get_session_cache_mode_doc,
"get_session_cache_mode($self, /)\n--\n\nThe SESS_CACHE_* mode.");

static PyObject *
context_get_session_cache_mode(ContextObject *self,
                               PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_session_cache_mode(self->ctx));
}

PyDoc_STRVAR(context_set_timeout_doc,
"set_timeout($self, timeout, /)\n--\n\n"
"Set how long, in seconds, new sessions stay resumable; return the\n"
"previous value.");

static PyObject *
context_set_timeout(ContextObject *self, PyObject *arg)
{
    if (!PyLong_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "timeout must be an integer, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    long timeout = PyLong_AsLong(arg);
    if (timeout == -1 && PyErr_Occurred()) {
        return NULL;
    }
    /* pyOpenSSL returns the previous timeout; so do we. */
    return PyLong_FromLong(SSL_CTX_set_timeout(self->ctx, timeout));
}

PyDoc_STRVAR(context_get_timeout_doc,
"get_timeout($self, /)\n--\n\nThe session timeout in seconds.");

static PyObject *
context_get_timeout(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_CTX_get_timeout(self->ctx));
}

/* ---- key exchange -------------------------------------------------------- */

PyDoc_STRVAR(context_load_tmp_dh_doc,
"load_tmp_dh($self, dhfile, /)\n--\n\n"
"Use the Diffie-Hellman parameters in the PEM file dhfile for DHE.");

static PyObject *
context_load_tmp_dh(ContextObject *self, PyObject *args)
{
    ssl_state *st = CONTEXT_STATE(self);
    ossl_bytes path = {.name = "dhfile"};
    if (!PyArg_ParseTuple(args, "O&:load_tmp_dh", ossl_path_conv, &path)) {
        return NULL;
    }
    BIO *bio = BIO_new_file(path.data, "r");
    ossl_bytes_release(&path);
    if (bio == NULL) {
        return ossl_raise(st->Error);
    }
    EVP_PKEY *params = NULL;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &params, "PEM", NULL, "DH", OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS,
        NULL, NULL);
    int ok = dctx != NULL && OSSL_DECODER_from_bio(dctx, bio) && params != NULL;
    OSSL_DECODER_CTX_free(dctx);
    BIO_free(bio);
    if (!ok) {
        EVP_PKEY_free(params);
        return ossl_raise(st->Error);
    }
    /* set0 takes the key on success only. */
    if (!SSL_CTX_set0_tmp_dh_pkey(self->ctx, params)) {
        EVP_PKEY_free(params);
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_tmp_ecdh_doc,
"set_tmp_ecdh($self, curve, /)\n--\n\n"
"Use the elliptic curve `curve` (a crypto elliptic curve, a cryptography\n"
"ec.EllipticCurve, or a curve name) for ECDHE.");

static PyObject *
context_set_tmp_ecdh(ContextObject *self, PyObject *arg)
{
    PyObject *name_obj;
    if (PyUnicode_Check(arg) || PyBytes_Check(arg)) {
        name_obj = Py_NewRef(arg);
    }
    else {
        name_obj = PyObject_GetAttrString(arg, "name");
        if (name_obj == NULL) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "curve must be an elliptic curve object or name, "
                         "not %.100s", Py_TYPE(arg)->tp_name);
            return NULL;
        }
    }
    ossl_bytes name = OSSL_BYTES("curve");
    int conv = ossl_cstring_conv(name_obj, &name);
    Py_DECREF(name_obj);
    if (!conv) {
        return NULL;
    }
    int nid = EC_curve_nist2nid(name.data);
    if (nid == NID_undef) {
        nid = OBJ_sn2nid(name.data);
    }
    if (nid == NID_undef) {
        nid = OBJ_ln2nid(name.data);
    }
    if (nid == NID_undef) {
        PyErr_Format(PyExc_ValueError, "unknown elliptic curve %s", name.data);
        ossl_bytes_release(&name);
        return NULL;
    }
    ossl_bytes_release(&name);
    if (!SSL_CTX_set1_groups(self->ctx, &nid, 1)) {
        return ossl_raise(CONTEXT_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

/* ---- callbacks and app data --------------------------------------------- */

PyDoc_STRVAR(context_set_info_callback_doc,
"set_info_callback($self, callback, /)\n--\n\n"
"Call callback(connection, where, ret) as the state of Connections made\n"
"from this Context changes (SSL_CB_* bits in where); None removes it.");

static PyObject *
context_set_info_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_INFO, arg, 1) < 0) {
        return NULL;
    }
    SSL_CTX_set_info_callback(self->ctx,
                              arg == Py_None ? NULL : ssl_info_trampoline);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_get_app_data_doc,
"get_app_data($self, /)\n--\n\nThe object given to set_app_data, or None.");

static PyObject *
context_get_app_data(ContextObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->app_data != NULL ? self->app_data : Py_None);
}

PyDoc_STRVAR(context_set_app_data_doc,
"set_app_data($self, data, /)\n--\n\nKeep any object with the Context.");

static PyObject *
context_set_app_data(ContextObject *self, PyObject *arg)
{
    Py_XSETREF(self->app_data, Py_NewRef(arg));
    Py_RETURN_NONE;
}

static PyObject *
context_get_context_ptr(ContextObject *self, void *Py_UNUSED(closure))
{
    /* Twisted reads ctx._context (pyOpenSSL's cffi SSL_CTX pointer) and
       compares it between reads: the same object every time. */
    if (self->ctx_capsule == NULL) {
        self->ctx_capsule = PyCapsule_New(self->ctx, "OpenSSL.SSL.SSL_CTX",
                                          NULL);
    }
    return Py_XNewRef(self->ctx_capsule);
}

static PyGetSetDef context_getset[] = {
    {"_context", (getter)context_get_context_ptr, NULL,
     "The SSL_CTX * as a capsule.", NULL},
    {NULL},
};

#define METH SSL_CONTEXT_METHOD

static PyMethodDef context_methods[] = {
    METH(set_min_proto_version, METH_O),
    METH(set_max_proto_version, METH_O),
    METH(get_min_proto_version, METH_NOARGS),
    METH(get_max_proto_version, METH_NOARGS),
    METH(set_cipher_list, METH_VARARGS),
    METH(set_tls13_ciphersuites, METH_VARARGS),
    METH(set_options, METH_O),
    METH(clear_options, METH_O),
    METH(get_options, METH_NOARGS),
    METH(set_mode, METH_O),
    METH(clear_mode, METH_O),
    METH(set_verify, METH_VARARGS | METH_KEYWORDS),
    METH(set_verify_depth, METH_O),
    METH(get_verify_mode, METH_NOARGS),
    METH(get_verify_depth, METH_NOARGS),
    METH(load_verify_locations, METH_VARARGS | METH_KEYWORDS),
    METH(set_default_verify_paths, METH_NOARGS),
    METH(get_cert_store, METH_NOARGS),
    METH(use_certificate_chain_file, METH_VARARGS | METH_KEYWORDS),
    METH(use_certificate_file, METH_VARARGS | METH_KEYWORDS),
    METH(use_certificate, METH_O),
    METH(add_extra_chain_cert, METH_O),
    METH(use_privatekey_file, METH_VARARGS | METH_KEYWORDS),
    METH(use_privatekey, METH_O),
    METH(check_privatekey, METH_NOARGS),
    METH(set_passwd_cb, METH_VARARGS | METH_KEYWORDS),
    METH(load_client_ca, METH_VARARGS),
    METH(set_client_ca_list, METH_O),
    METH(add_client_ca, METH_O),
    METH(set_session_id, METH_VARARGS),
    METH(set_session_cache_mode, METH_O),
    METH(get_session_cache_mode, METH_NOARGS),
    METH(set_timeout, METH_O),
    METH(get_timeout, METH_NOARGS),
    METH(load_tmp_dh, METH_VARARGS),
    METH(set_tmp_ecdh, METH_O),
    METH(set_info_callback, METH_O),
    METH(get_app_data, METH_NOARGS),
    METH(set_app_data, METH_O),
    {NULL, NULL, 0, NULL},
};

static PyMemberDef context_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ContextObject, weakreflist),
     READONLY, NULL},
    {NULL},
};

static PyType_Slot context_slots[] = {
    {Py_tp_doc, "Context(method)\n--\n\n"
                "The settings Connections are made from: protocol versions,\n"
                "certificates and keys, verification, callbacks.  method is\n"
                "one of the *_METHOD constants (TLS_METHOD, TLS_CLIENT_METHOD,\n"
                "TLS_SERVER_METHOD, ...)."},
    {Py_tp_new, context_new},
    {Py_tp_init, context_init},
    {Py_tp_dealloc, context_dealloc},
    {Py_tp_traverse, context_traverse},
    {Py_tp_clear, context_clear},
    {Py_tp_methods, context_methods},
    {Py_tp_getset, context_getset},
    {Py_tp_members, context_members},
    {0, NULL},
};

/* The methods that live with their feature, after context_methods. */
static PyMethodDef *const context_feature_methods[] = {
    ssl_tlsext_context_methods,
    ssl_dtls_context_methods,
    NULL,
};

static PyType_Spec context_spec = {
    .name = "OpenSSL.SSL.Context",
    .basicsize = sizeof(ContextObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = context_slots,
};

int
ssl_init_context(PyObject *module, ssl_state *st)
{
    static PyMethodDef *all_methods;
    /* 0.13 had the type under the name ContextType as well. */
    st->Context_Type = ssl_add_type(module, &context_spec,
                                    context_feature_methods, &all_methods,
                                    "ContextType");
    return st->Context_Type != NULL ? 0 : -1;
}

/*
 * Everything around the handshake that rides on TLS extensions or
 * callbacks: SNI, ALPN, OCSP stapling, key logging, the new-session
 * callback, key exchange groups, TLS 1.3 post-handshake client
 * authentication and pre-shared keys.  NPN is deliberately absent.
 *
 * Each trampoline takes the GIL with ossl_callback_enter and calls the
 * Python callback through ssl_callback_call.  A Python exception is
 * stored on the Connection (ossl_stash_exception), the
 * callback reports failure to OpenSSL so the handshake stops, and the
 * Connection call that drove OpenSSL raises the stored exception.  Once a
 * callback has failed, later ones of the same call do not run.
 */
#include "ssl.h"

#include <string.h>

#define CTX_STATE(self) ssl_state_of((PyObject *)(self))

/* ---- shared helpers ------------------------------------------------------- */

/* ALPN's wire format (length-prefixed strings) from a list of bytes. */
static PyObject *
alpn_wire(PyObject *protos)
{
    PyObject *seq = PySequence_Fast(protos, "protos must be a list of bytes");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "protos must not be empty");
        Py_DECREF(seq);
        return NULL;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError,
                         "protos must be a list of bytes, not of %.100s",
                         Py_TYPE(item)->tp_name);
            Py_DECREF(seq);
            return NULL;
        }
        Py_ssize_t len = PyBytes_GET_SIZE(item);
        if (len < 1 || len > 255) {
            PyErr_Format(PyExc_ValueError,
                         "each protocol name must be 1 to 255 bytes long, "
                         "not %zd (%R)", len, item);
            Py_DECREF(seq);
            return NULL;
        }
        total += 1 + len;
    }
    if (ossl_check_int_len(total, "protos") < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    PyObject *wire = PyBytes_FromStringAndSize(NULL, total);
    if (wire != NULL) {
        unsigned char *p = (unsigned char *)PyBytes_AS_STRING(wire);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
            Py_ssize_t len = PyBytes_GET_SIZE(item);
            *p++ = (unsigned char)len;
            memcpy(p, PyBytes_AS_STRING(item), (size_t)len);
            p += len;
        }
    }
    Py_DECREF(seq);
    return wire;
}

/* Offer `protos` with ALPN on the SSL_CTX `ctx`, or when it is NULL on the
   SSL `ssl`. */
static PyObject *
set_alpn_protos(ssl_state *st, SSL_CTX *ctx, SSL *ssl, PyObject *protos)
{
    PyObject *wire = alpn_wire(protos);
    if (wire == NULL) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(wire);
    unsigned int len = (unsigned int)PyBytes_GET_SIZE(wire);
    /* Both return 0 on success, unlike most of OpenSSL. */
    int rc = ctx != NULL ? SSL_CTX_set_alpn_protos(ctx, data, len)
                         : SSL_set_alpn_protos(ssl, data, len);
    Py_DECREF(wire);
    if (rc != 0) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

/* ---- SNI ---------------------------------------------------------------------- */

static int
servername_trampoline(SSL *ssl, int *alert, void *arg)
{
    (void)arg;
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    int result = SSL_TLSEXT_ERR_OK;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    int failed_before = conn->callback_error != NULL;
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_SERVERNAME, "(O)", conn);
    if (r == NULL && conn->callback_error != NULL) {
        if (!failed_before) {
            *alert = SSL_AD_INTERNAL_ERROR;
        }
        result = SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    Py_XDECREF(r);
    ossl_callback_leave(&cs);
    return result;
}

PyDoc_STRVAR(context_set_tlsext_servername_callback_doc,
"set_tlsext_servername_callback($self, callback, /)\n--\n\n"
"Call callback(connection) on a server when a client hello arrives; it\n"
"may read connection.get_servername() and switch the Context with\n"
"connection.set_context().  An exception it raises fails the handshake\n"
"and is raised by the call that ran it.");

static PyObject *
context_set_tlsext_servername_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_SERVERNAME, arg, 0) < 0) {
        return NULL;
    }
    SSL_CTX_set_tlsext_servername_callback(self->ctx, servername_trampoline);
    Py_RETURN_NONE;
}

/* ---- ALPN --------------------------------------------------------------------- */

/* The list of bytes of ALPN's wire format. */
static PyObject *
alpn_offered(const unsigned char *in, unsigned int inlen)
{
    PyObject *offered = PyList_New(0);
    for (unsigned int i = 0; offered != NULL && i < inlen;) {
        unsigned int len = in[i];
        if (len == 0 || i + 1 + len > inlen) {
            break;    /* OpenSSL has checked the list; stop at anything odd */
        }
        PyObject *name = PyBytes_FromStringAndSize((const char *)in + i + 1,
                                                   len);
        if (name == NULL || PyList_Append(offered, name) < 0) {
            Py_CLEAR(offered);
        }
        Py_XDECREF(name);
        i += 1 + len;
    }
    return offered;
}

static int
alpn_select_trampoline(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)arg;
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    int result = SSL_TLSEXT_ERR_ALERT_FATAL;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *offered = alpn_offered(in, inlen);
    if (offered == NULL) {
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_ALPN_SELECT, "(OO)", conn,
                                    offered);
    Py_DECREF(offered);
    if (r == NULL) {
        if (conn->callback_error == NULL) {
            result = SSL_TLSEXT_ERR_NOACK;
        }
        goto done;
    }
    PyObject *module = PyType_GetModuleByDef(Py_TYPE(conn), &ssl_module_def);
    PyObject *none = module != NULL
        ? PyObject_GetAttrString(module, "NO_OVERLAPPING_PROTOCOLS") : NULL;
    if (none == NULL) {
        Py_DECREF(r);
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    if (r == none) {
        result = SSL_TLSEXT_ERR_NOACK;
        Py_DECREF(r);
    }
    else if (PyBytes_Check(r) && PyBytes_GET_SIZE(r) == 0) {
        /* Selecting nothing refuses the client (Twisted returns b"" when no
           protocol overlaps, to fail the handshake): a fatal
           no_application_protocol alert. */
        result = SSL_TLSEXT_ERR_ALERT_FATAL;
        Py_DECREF(r);
    }
    else if (!PyBytes_Check(r) || PyBytes_GET_SIZE(r) > 255) {
        PyErr_Format(PyExc_TypeError,
                     "the ALPN select callback must return one of the offered "
                     "protocols (bytes of at most 255) or "
                     "NO_OVERLAPPING_PROTOCOLS, not %.100R", r);
        Py_DECREF(r);
        ossl_stash_exception(&conn->callback_error);
    }
    else {
        /* OpenSSL copies the choice after we return; until then the bytes
           stay alive on the Connection. */
        Py_XSETREF(conn->extra[0], r);
        *out = (const unsigned char *)PyBytes_AS_STRING(r);
        *outlen = (unsigned char)PyBytes_GET_SIZE(r);
        result = SSL_TLSEXT_ERR_OK;
    }
    Py_DECREF(none);
done:
    ossl_callback_leave(&cs);
    return result;
}

PyDoc_STRVAR(context_set_alpn_protos_doc,
"set_alpn_protos($self, protos, /)\n--\n\n"
"Offer the protocols of the list protos (bytes, most wanted first) with\n"
"ALPN, as a client.");

static PyObject *
context_set_alpn_protos(ContextObject *self, PyObject *arg)
{
    return set_alpn_protos(CTX_STATE(self), self->ctx, NULL, arg);
}

PyDoc_STRVAR(context_set_alpn_select_callback_doc,
"set_alpn_select_callback($self, callback, /)\n--\n\n"
"On a server, call callback(connection, offered) with the list of\n"
"protocols the client offered; it returns the chosen one (bytes) or\n"
"NO_OVERLAPPING_PROTOCOLS to go on without ALPN.");

static PyObject *
context_set_alpn_select_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_ALPN_SELECT, arg, 0) < 0) {
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(self->ctx, alpn_select_trampoline, NULL);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_set_alpn_protos_doc,
"set_alpn_protos($self, protos, /)\n--\n\n"
"Offer the protocols of the list protos (bytes) on this Connection.");

static PyObject *
connection_set_alpn_protos(ConnectionObject *self, PyObject *arg)
{
    return set_alpn_protos(CTX_STATE(self), NULL, self->ssl, arg);
}

PyDoc_STRVAR(connection_get_alpn_proto_negotiated_doc,
"get_alpn_proto_negotiated($self, /)\n--\n\n"
"The protocol ALPN settled on, or b'' when there was none.");

static PyObject *
connection_get_alpn_proto_negotiated(ConnectionObject *self,
                                     PyObject *Py_UNUSED(ignored))
{
    const unsigned char *data = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(self->ssl, &data, &len);
    return PyBytes_FromStringAndSize((const char *)data, data ? len : 0);
}

/* ---- OCSP stapling -------------------------------------------------------------- */

/* A server staples what its callback returned (r, a reference it takes). */
static int
ocsp_staple(ConnectionObject *conn, SSL *ssl, PyObject *r)
{
    if (!PyBytes_Check(r)) {
        PyErr_Format(PyExc_TypeError,
                     "the OCSP server callback must return bytes (a DER OCSP "
                     "response, or b'' for none), not %.100s",
                     Py_TYPE(r)->tp_name);
        Py_DECREF(r);
        ossl_stash_exception(&conn->callback_error);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    Py_ssize_t len = PyBytes_GET_SIZE(r);
    if (len == 0) {
        Py_DECREF(r);
        return SSL_TLSEXT_ERR_NOACK;
    }
    if (len > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "the OCSP response is too long");
        Py_DECREF(r);
        ossl_stash_exception(&conn->callback_error);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    /* OpenSSL takes ownership of an OPENSSL_malloc'd copy. */
    unsigned char *copy = OPENSSL_malloc((size_t)len);
    if (copy == NULL) {
        Py_DECREF(r);
        PyErr_NoMemory();
        ossl_stash_exception(&conn->callback_error);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    memcpy(copy, PyBytes_AS_STRING(r), (size_t)len);
    Py_DECREF(r);
    if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len)) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* A client shows its callback the staple (b'' for none). */
static int
ocsp_check(ConnectionObject *conn, SSL *ssl, PyObject *data)
{
    const unsigned char *resp = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &resp);
    PyObject *r = ssl_callback_call(
        conn, SSL_SLOT_OCSP, "(Oy#O)", conn,
        resp != NULL && len > 0 ? (const char *)resp : "",
        (Py_ssize_t)(resp != NULL && len > 0 ? len : 0), data);
    if (r == NULL) {
        return conn->callback_error != NULL ? -1 : 1;
    }
    int truth = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (truth < 0) {
        ossl_stash_exception(&conn->callback_error);
        return -1;
    }
    /* 0 fails the handshake: the staple was not good enough. */
    return truth;
}

static int
ocsp_trampoline(SSL *ssl, void *arg)
{
    (void)arg;
    ConnectionObject *conn = ssl_connection_of(ssl);
    int server = SSL_is_server(ssl);
    if (conn == NULL) {
        return server ? SSL_TLSEXT_ERR_NOACK : 1;
    }
    int result;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *data = ssl_connection_callback(conn, SSL_SLOT_OCSP_DATA);
    data = data != NULL ? data : Py_None;
    if (server) {
        PyObject *r = ssl_callback_call(conn, SSL_SLOT_OCSP, "(OO)", conn,
                                        data);
        result = r != NULL ? ocsp_staple(conn, ssl, r)
                 : conn->callback_error != NULL ? SSL_TLSEXT_ERR_ALERT_FATAL
                 : SSL_TLSEXT_ERR_NOACK;
    }
    else {
        result = ocsp_check(conn, ssl, data);
    }
    ossl_callback_leave(&cs);
    return result;
}

static PyObject *
set_ocsp_callback(ContextObject *self, PyObject *args, PyObject *kwds,
                  const char *fname)
{
    static char *kwlist[] = {"callback", "data", NULL};
    PyObject *callback, *data = Py_None;
    char format[64];
    PyOS_snprintf(format, sizeof(format), "O|O:%s", fname);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, format, kwlist, &callback,
                                     &data)) {
        return NULL;
    }
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_OCSP, callback, 0) < 0) {
        return NULL;
    }
    Py_XSETREF(self->cb.slot[SSL_SLOT_OCSP_DATA], Py_NewRef(data));
    SSL_CTX_set_tlsext_status_cb(self->ctx, ocsp_trampoline);
    SSL_CTX_set_tlsext_status_arg(self->ctx, NULL);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_ocsp_server_callback_doc,
"set_ocsp_server_callback($self, callback, data=None)\n--\n\n"
"On a server, call callback(connection, data) when a client asks for a\n"
"stapled OCSP response; it returns the DER response (bytes), or b'' to\n"
"staple nothing.");

static PyObject *
context_set_ocsp_server_callback(ContextObject *self, PyObject *args,
                                 PyObject *kwds)
{
    return set_ocsp_callback(self, args, kwds, "set_ocsp_server_callback");
}

PyDoc_STRVAR(context_set_ocsp_client_callback_doc,
"set_ocsp_client_callback($self, callback, data=None)\n--\n\n"
"On a client that called request_ocsp(), call\n"
"callback(connection, ocsp, data) with the stapled response (b'' when\n"
"there is none); a false result fails the handshake.");

static PyObject *
context_set_ocsp_client_callback(ContextObject *self, PyObject *args,
                                 PyObject *kwds)
{
    return set_ocsp_callback(self, args, kwds, "set_ocsp_client_callback");
}

PyDoc_STRVAR(connection_request_ocsp_doc,
"request_ocsp($self, /)\n--\n\n"
"Ask the server to staple an OCSP response to its certificate.");

static PyObject *
connection_request_ocsp(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (!SSL_set_tlsext_status_type(self->ssl, TLSEXT_STATUSTYPE_ocsp)) {
        return ossl_raise(CTX_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

/* ---- key log ---------------------------------------------------------------------- */

static void
keylog_trampoline(const SSL *ssl, const char *line)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return;
    }
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    /* OpenSSL cannot be told of a failure; the call that ran it raises. */
    Py_XDECREF(ssl_callback_call(conn, SSL_SLOT_KEYLOG, "(Oy)", conn, line));
    ossl_callback_leave(&cs);
}

PyDoc_STRVAR(context_set_keylog_callback_doc,
"set_keylog_callback($self, callback, /)\n--\n\n"
"Call callback(connection, line) with each secret in the NSS key log\n"
"format (bytes, no newline) that Wireshark reads; None stops it.");

static PyObject *
context_set_keylog_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_KEYLOG, arg, 1) < 0) {
        return NULL;
    }
    SSL_CTX_set_keylog_callback(self->ctx,
                                arg == Py_None ? NULL : keylog_trampoline);
    Py_RETURN_NONE;
}

/* ---- sessions ------------------------------------------------------------------------ */

static int
new_session_trampoline(SSL *ssl, SSL_SESSION *session)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return 0;
    }
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    /* OpenSSL calls the session cache's Context (the one the Connection
       was made with), even after set_context() switched to another. */
    ContextObject *owner = conn->session_context != NULL
        ? conn->session_context : conn->context;
    PyObject *callback = conn->callback_error == NULL && owner != NULL
        ? Py_XNewRef(owner->cb.slot[SSL_SLOT_SESSION]) : NULL;
    if (callback != NULL) {
        ssl_state *st = ssl_state_of((PyObject *)conn);
        PyObject *pysession = st != NULL ? ssl_session_wrap(st, session)
                                         : NULL;
        PyObject *r = NULL;
        if (pysession != NULL) {
            r = PyObject_CallFunctionObjArgs(callback, (PyObject *)conn,
                                             pysession, NULL);
            Py_DECREF(pysession);
        }
        Py_DECREF(callback);
        if (r == NULL) {
            ossl_stash_exception(&conn->callback_error);
        }
        Py_XDECREF(r);
    }
    ossl_callback_leave(&cs);
    /* The Session took its own reference; OpenSSL keeps its own. */
    return 0;
}

PyDoc_STRVAR(context_set_session_callback_doc,
"set_session_callback($self, callback, /)\n--\n\n"
"Call callback(connection, session) whenever a connection gets a new\n"
"resumable Session: after a full TLS 1.2 handshake, and for each TLS 1.3\n"
"ticket (which arrives after the handshake, with the first read).  Turns\n"
"on client-side caching so clients see them too; a TLS_METHOD Context then\n"
"also keeps client sessions in its internal cache until they time out\n"
"(set_timeout), a TLS_CLIENT_METHOD one does not.  None stops it.");

static PyObject *
context_set_session_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_SESSION, arg, 1) < 0) {
        return NULL;
    }
    if (arg == Py_None) {
        SSL_CTX_sess_set_new_cb(self->ctx, NULL);
        Py_RETURN_NONE;
    }
    long mode = SSL_CTX_get_session_cache_mode(self->ctx)
                | SSL_SESS_CACHE_CLIENT;
    /* OpenSSL files client sessions in the internal cache, where nothing
       ever looks them up; a Context that can only be a client skips it. */
    if (SSL_CTX_get_ssl_method(self->ctx) == TLS_client_method()
        || SSL_CTX_get_ssl_method(self->ctx) == DTLS_client_method()) {
        mode |= SSL_SESS_CACHE_NO_INTERNAL_STORE;
    }
    SSL_CTX_set_session_cache_mode(self->ctx, mode);
    SSL_CTX_sess_set_new_cb(self->ctx, new_session_trampoline);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_session_reused_doc,
"session_reused($self, /)\n--\n\n"
"Whether the handshake resumed a session instead of a full handshake.");

static PyObject *
connection_session_reused(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(SSL_session_reused(self->ssl));
}

/* ---- groups ---------------------------------------------------------------------------- */

/* "a:b:c" from a str/bytes or a sequence of them (new reference). */
static PyObject *
groups_string(PyObject *arg)
{
    if (PyUnicode_Check(arg)) {
        return PyUnicode_AsUTF8String(arg);
    }
    if (PyBytes_Check(arg)) {
        return Py_NewRef(arg);
    }
    PyObject *seq = PySequence_Fast(arg, "groups must be a list of names "
                                         "or a colon-separated string");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *parts = PyList_New(n);
    for (Py_ssize_t i = 0; parts != NULL && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *b;
        if (PyUnicode_Check(item)) {
            b = PyUnicode_AsUTF8String(item);
        }
        else if (PyBytes_Check(item)) {
            b = Py_NewRef(item);
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "group names must be str or bytes, not %.100s",
                         Py_TYPE(item)->tp_name);
            b = NULL;
        }
        if (b == NULL) {
            Py_CLEAR(parts);
            break;
        }
        PyList_SET_ITEM(parts, i, b);
    }
    Py_DECREF(seq);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *sep = PyBytes_FromString(":");
    PyObject *joined = sep != NULL ? _PyBytes_Join(sep, parts) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(parts);
    return joined;
}

PyDoc_STRVAR(context_set_groups_doc,
"set_groups($self, groups, /)\n--\n\n"
"Set the key exchange groups, most preferred first: a list of names\n"
"(\"X25519\", \"P-256\", \"ffdhe2048\", and the hybrid post-quantum ones\n"
"such as \"X25519MLKEM768\" where the linked OpenSSL has them) or one\n"
"colon-separated string.  A name the linked OpenSSL does not know raises\n"
"Error naming the list.");

static PyObject *
context_set_groups(ContextObject *self, PyObject *arg)
{
    PyObject *list = groups_string(arg);
    if (list == NULL) {
        return NULL;
    }
    const char *s = PyBytes_AS_STRING(list);
    if (PyBytes_GET_SIZE(list) == 0) {
        PyErr_SetString(PyExc_ValueError, "groups must not be empty");
        Py_DECREF(list);
        return NULL;
    }
    if (strlen(s) != (size_t)PyBytes_GET_SIZE(list)) {
        PyErr_SetString(PyExc_ValueError, "groups must not contain NUL");
        Py_DECREF(list);
        return NULL;
    }
    if (!SSL_CTX_set1_groups_list(self->ctx, s)) {
        ssl_state *st = CTX_STATE(self);
        ossl_raise_msg(st->Error,
                       "unknown or unsupported group in %s (linked %s)", s,
                       OpenSSL_version(OPENSSL_VERSION));
        Py_DECREF(list);
        return NULL;
    }
    Py_DECREF(list);
    Py_RETURN_NONE;
}

/* ---- post-handshake authentication ------------------------------------------------------ */

PyDoc_STRVAR(context_set_post_handshake_auth_doc,
"set_post_handshake_auth($self, enabled, /)\n--\n\n"
"As a TLS 1.3 client, tell servers that a certificate may be asked for\n"
"after the handshake (verify_client_post_handshake).");

static PyObject *
context_set_post_handshake_auth(ContextObject *self, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0) {
        return NULL;
    }
    SSL_CTX_set_post_handshake_auth(self->ctx, on);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_verify_client_post_handshake_doc,
"verify_client_post_handshake($self, /)\n--\n\n"
"As a TLS 1.3 server whose Context verifies peers (VERIFY_PEER, e.g. with\n"
"VERIFY_POST_HANDSHAKE), ask the client for its certificate now.  The\n"
"request goes out with the next send() or do_handshake(); the\n"
"certificate is checked when it arrives (on a later recv()).  Raises\n"
"Error when the client did not offer post-handshake auth or the\n"
"connection is not TLS 1.3.");

static PyObject *
connection_verify_client_post_handshake(ConnectionObject *self,
                                        PyObject *Py_UNUSED(ignored))
{
    if (!SSL_verify_client_post_handshake(self->ssl)) {
        return ossl_raise(CTX_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

/* ---- PSK ------------------------------------------------------------------------------ */

static unsigned int
psk_client_trampoline(SSL *ssl, const char *hint, char *identity,
                      unsigned int max_identity_len, unsigned char *psk,
                      unsigned int max_psk_len)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return 0;
    }
    unsigned int result = 0;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    /* No hint (TLS 1.3) is None. */
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_PSK_CLIENT, "(Oy)", conn,
                                    hint);
    if (r == NULL) {
        goto done;
    }
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2
        || !PyBytes_Check(PyTuple_GET_ITEM(r, 0))
        || !PyBytes_Check(PyTuple_GET_ITEM(r, 1))) {
        PyErr_Format(PyExc_TypeError,
                     "the PSK client callback must return a tuple "
                     "(identity, psk) of bytes, not %.100R", r);
        Py_DECREF(r);
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    PyObject *id = PyTuple_GET_ITEM(r, 0), *key = PyTuple_GET_ITEM(r, 1);
    Py_ssize_t id_len = PyBytes_GET_SIZE(id), key_len = PyBytes_GET_SIZE(key);
    if ((size_t)id_len >= max_identity_len
        || strlen(PyBytes_AS_STRING(id)) != (size_t)id_len) {
        PyErr_Format(PyExc_ValueError,
                     "the PSK identity must be shorter than %u bytes, "
                     "without NUL", max_identity_len);
        ossl_stash_exception(&conn->callback_error);
    }
    else if ((size_t)key_len > max_psk_len) {
        PyErr_Format(PyExc_ValueError, "the PSK must be at most %u bytes",
                     max_psk_len);
        ossl_stash_exception(&conn->callback_error);
    }
    else {
        memcpy(identity, PyBytes_AS_STRING(id), (size_t)id_len + 1);
        memcpy(psk, PyBytes_AS_STRING(key), (size_t)key_len);
        result = (unsigned int)key_len;   /* 0: no PSK, handshake fails */
    }
    Py_DECREF(r);
done:
    ossl_callback_leave(&cs);
    return result;
}

static unsigned int
psk_server_trampoline(SSL *ssl, const char *identity, unsigned char *psk,
                      unsigned int max_psk_len)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL || identity == NULL) {
        return 0;
    }
    unsigned int result = 0;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_PSK_SERVER, "(Oy)", conn,
                                    identity);
    if (r == NULL) {
        goto done;
    }
    if (!PyBytes_Check(r)) {
        PyErr_Format(PyExc_TypeError,
                     "the PSK server callback must return bytes (b'' to "
                     "refuse), not %.100s", Py_TYPE(r)->tp_name);
        ossl_stash_exception(&conn->callback_error);
    }
    else if ((size_t)PyBytes_GET_SIZE(r) > max_psk_len) {
        PyErr_Format(PyExc_ValueError, "the PSK must be at most %u bytes",
                     max_psk_len);
        ossl_stash_exception(&conn->callback_error);
    }
    else {
        memcpy(psk, PyBytes_AS_STRING(r), (size_t)PyBytes_GET_SIZE(r));
        result = (unsigned int)PyBytes_GET_SIZE(r);
    }
    Py_DECREF(r);
done:
    ossl_callback_leave(&cs);
    return result;
}

PyDoc_STRVAR(context_set_psk_client_callback_doc,
"set_psk_client_callback($self, callback, /)\n--\n\n"
"As a client, use a pre-shared key: callback(connection, hint) gets the\n"
"server's identity hint (bytes, or None under TLS 1.3) and returns\n"
"(identity, psk) as bytes.");

static PyObject *
context_set_psk_client_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_PSK_CLIENT, arg, 1) < 0) {
        return NULL;
    }
    SSL_CTX_set_psk_client_callback(
        self->ctx, arg == Py_None ? NULL : psk_client_trampoline);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_psk_server_callback_doc,
"set_psk_server_callback($self, callback, /)\n--\n\n"
"As a server, accept pre-shared keys: callback(connection, identity)\n"
"returns the key for that identity (bytes); b'' refuses the client.");

static PyObject *
context_set_psk_server_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_PSK_SERVER, arg, 1) < 0) {
        return NULL;
    }
    SSL_CTX_set_psk_server_callback(
        self->ctx, arg == Py_None ? NULL : psk_server_trampoline);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_use_psk_identity_hint_doc,
"use_psk_identity_hint($self, hint, /)\n--\n\n"
"Send hint (bytes) to TLS 1.2 PSK clients, to help them pick a key.");

static PyObject *
context_use_psk_identity_hint(ContextObject *self, PyObject *arg)
{
    if (!PyBytes_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "hint must be bytes, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    Py_ssize_t len = PyBytes_GET_SIZE(arg);
    if (len > PSK_MAX_IDENTITY_LEN
        || strlen(PyBytes_AS_STRING(arg)) != (size_t)len) {
        PyErr_Format(PyExc_ValueError,
                     "hint must be at most %d bytes, without NUL",
                     PSK_MAX_IDENTITY_LEN);
        return NULL;
    }
    if (!SSL_CTX_use_psk_identity_hint(self->ctx, PyBytes_AS_STRING(arg))) {
        return ossl_raise(CTX_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

/* ---- SRTP (pyOpenSSL has it) ------------------------------------------------------------ */

PyDoc_STRVAR(context_set_tlsext_use_srtp_doc,
"set_tlsext_use_srtp($self, profiles, /)\n--\n\n"
"Offer SRTP keying with the colon-separated profiles (bytes), e.g.\n"
"b'SRTP_AES128_CM_SHA1_80'.");

static PyObject *
context_set_tlsext_use_srtp(ContextObject *self, PyObject *arg)
{
    if (!PyBytes_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "profiles must be bytes, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    /* Returns 0 on success. */
    if (SSL_CTX_set_tlsext_use_srtp(self->ctx, PyBytes_AS_STRING(arg)) != 0) {
        return ossl_raise(CTX_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_get_selected_srtp_profile_doc,
"get_selected_srtp_profile($self, /)\n--\n\n"
"The SRTP profile negotiated (bytes), or b''.");

static PyObject *
connection_get_selected_srtp_profile(ConnectionObject *self,
                                     PyObject *Py_UNUSED(ignored))
{
    SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(self->ssl);
    return PyBytes_FromString(profile != NULL && profile->name != NULL
                              ? profile->name : "");
}

/* ---- registration ------------------------------------------------------------------------ */


PyMethodDef ssl_tlsext_context_methods[] = {
    SSL_CONTEXT_METHOD(set_tlsext_servername_callback, METH_O),
    SSL_CONTEXT_METHOD(set_alpn_protos, METH_O),
    SSL_CONTEXT_METHOD(set_alpn_select_callback, METH_O),
    SSL_CONTEXT_METHOD(set_ocsp_server_callback, METH_VARARGS | METH_KEYWORDS),
    SSL_CONTEXT_METHOD(set_ocsp_client_callback, METH_VARARGS | METH_KEYWORDS),
    SSL_CONTEXT_METHOD(set_keylog_callback, METH_O),
    SSL_CONTEXT_METHOD(set_session_callback, METH_O),
    SSL_CONTEXT_METHOD(set_groups, METH_O),
    SSL_CONTEXT_METHOD(set_post_handshake_auth, METH_O),
    SSL_CONTEXT_METHOD(set_psk_client_callback, METH_O),
    SSL_CONTEXT_METHOD(set_psk_server_callback, METH_O),
    SSL_CONTEXT_METHOD(use_psk_identity_hint, METH_O),
    SSL_CONTEXT_METHOD(set_tlsext_use_srtp, METH_O),
    {NULL, NULL, 0, NULL},
};

PyMethodDef ssl_tlsext_connection_methods[] = {
    SSL_CONNECTION_METHOD(set_alpn_protos, METH_O),
    SSL_CONNECTION_METHOD(get_alpn_proto_negotiated, METH_NOARGS),
    SSL_CONNECTION_METHOD(request_ocsp, METH_NOARGS),
    SSL_CONNECTION_METHOD(session_reused, METH_NOARGS),
    SSL_CONNECTION_METHOD(verify_client_post_handshake, METH_NOARGS),
    SSL_CONNECTION_METHOD(get_selected_srtp_profile, METH_NOARGS),
    {NULL, NULL, 0, NULL},
};

int
ssl_init_tlsext(PyObject *module)
{
    return ossl_add_int(module, "VERIFY_POST_HANDSHAKE",
                        SSL_VERIFY_POST_HANDSHAKE);
}

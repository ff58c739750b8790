/*
 * What every module of the package shares: the error path, the argument
 * converters, the thread state helpers and stored callback exceptions.
 */
#ifndef OSSL_COMMON_H
#define OSSL_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <openssl/err.h>
#include <openssl/bio.h>

#include <structmember.h>
#include <stdint.h>

#include "gil.h"

#define OSSL_HIDDEN __attribute__((visibility("hidden")))

/* ---- errors.c -------------------------------------------------------- */

/*
 * Raise `exc_type` with args[0] the OpenSSL error queue as a list of
 * (lib, func, reason) strings, and leave the queue empty.  Returns NULL so a
 * caller can `return ossl_raise(...)`.
 */
OSSL_HIDDEN PyObject *ossl_raise(PyObject *exc_type);
/* The queue as that list (new reference), emptying it. */
OSSL_HIDDEN PyObject *ossl_error_list(void);
/* Raise exc_type(message) after discarding whatever the queue holds. */
OSSL_HIDDEN PyObject *ossl_raise_msg(PyObject *exc_type, const char *fmt, ...);
/* ossl_raise when the queue holds anything; exc_type(message) when OpenSSL
   failed without saying why. */
OSSL_HIDDEN PyObject *ossl_raise_or(PyObject *exc_type, const char *fmt, ...);

/*
 * An exception raised in a callback is kept here until the outer call
 * returns; the first one wins, later ones are dropped (the first is the cause).
 */
OSSL_HIDDEN void ossl_stash_exception(PyObject **slot);
/* Re-raise a stashed exception; returns 1 if it raised, 0 if there was none. */
OSSL_HIDDEN int ossl_unstash_exception(PyObject **slot);

/* ---- args.c ---------------------------------------------------------- */

/*
 * Converters for PyArg_Parse* "O&".  Each takes a pointer to one of the
 * structs below, initialised with the Python-visible argument name (which
 * every error message quotes) and whether None is allowed.  They support
 * Py_CLEANUP_SUPPORTED; on success the caller releases with ossl_*_release.
 */
typedef struct {
    const char *name;        /* argument name for messages */
    int allow_none;          /* None gives data == NULL */
    int allow_str;           /* str is encoded as UTF-8 */
    const char *data;        /* the bytes; NULL for None */
    Py_ssize_t len;
    Py_buffer view;          /* valid when has_view */
    int has_view;
    PyObject *owner;         /* a bytes object we own, or NULL */
} ossl_bytes;

#define OSSL_BYTES(argname) {.name = (argname), .allow_str = 1}
#define OSSL_BYTES_OR_NONE(argname) {.name = (argname), .allow_none = 1, .allow_str = 1}
#define OSSL_BUFFER(argname) {.name = (argname)}

/* Any bytes-like object (and str when allow_str). */
OSSL_HIDDEN int ossl_bytes_conv(PyObject *obj, void *out);
/* The same, NUL-terminated, with embedded NUL bytes refused (ValueError). */
OSSL_HIDDEN int ossl_cstring_conv(PyObject *obj, void *out);
/* str, bytes or os.PathLike, encoded with the file system encoding. */
OSSL_HIDDEN int ossl_path_conv(PyObject *obj, void *out);
OSSL_HIDDEN void ossl_bytes_release(ossl_bytes *b);

/* An int argument: TypeError/OverflowError naming `name`; -1 on failure. */
OSSL_HIDDEN int ossl_int_arg(PyObject *obj, const char *name, int *out);
/* The same for a C long. */
OSSL_HIDDEN int ossl_long_arg(PyObject *obj, const char *name, long *out);
/* A size or count: an int (TypeError naming `name` otherwise; Python's
   OverflowError beyond Py_ssize_t).  With allow_none, None (or NULL, an
   argument not given) leaves *out as it was.  Signs are the caller's. */
OSSL_HIDDEN int ossl_ssize_arg(PyObject *obj, const char *name, int allow_none,
                               Py_ssize_t *out);
/* An unsigned 64-bit flag word (options, modes, verification flags):
   TypeError for a non-int, ValueError naming `name` when negative or too big. */
OSSL_HIDDEN int ossl_flags_arg(PyObject *obj, const char *name, uint64_t *out);
/* A writable buffer; TypeError naming `name` for anything else (bytes give
   BufferError, which names nothing).  Release with PyBuffer_Release. */
OSSL_HIDDEN int ossl_writable_buffer(PyObject *obj, const char *name,
                                     Py_buffer *view);

/* A Py_ssize_t length that must fit an OpenSSL int: ValueError naming `name`. */
OSSL_HIDDEN int ossl_check_int_len(Py_ssize_t len, const char *name);

/*
 * A passphrase given as bytes, str or a callable, for OpenSSL's
 * pem_password_cb.  The callable is called as pyOpenSSL calls it:
 * callable(verify) without `extra`, callable(maxlen, verify, extra) with it;
 * an exception it raises is stashed and raised by ossl_passphrase_finish.
 */
typedef struct {
    const char *name;
    PyObject *obj;           /* borrowed: bytes/str/callable/None */
    PyObject *extra;         /* optional userdata argument or NULL */
    PyObject *error;         /* stashed exception */
    PyObject *missing_error; /* raised when a passphrase is needed but none
                                was given (the module's Error); default
                                TypeError */
    int called;
} ossl_passphrase;

#define OSSL_PASSPHRASE(argname) {.name = (argname)}

OSSL_HIDDEN int ossl_passphrase_conv(PyObject *obj, void *out);
OSSL_HIDDEN int ossl_passphrase_cb(char *buf, int size, int rwflag, void *u);
/* After the OpenSSL call: raise the stashed exception if any (returns -1). */
OSSL_HIDDEN int ossl_passphrase_finish(ossl_passphrase *p);

/* ---- small helpers ---------------------------------------------------- */

/* A memory BIO's contents as bytes (new reference). */
OSSL_HIDDEN PyObject *ossl_bio_to_bytes(BIO *bio);

/* PyModule_Add of 3.13: add `value`, stealing the reference (NULL ok). */
static inline int
ossl_module_add(PyObject *module, const char *name, PyObject *value)
{
    int rc = value == NULL ? -1 : PyModule_AddObjectRef(module, name, value);
    Py_XDECREF(value);
    return rc;
}

/* Add an int constant; returns -1 on failure. */
OSSL_HIDDEN int ossl_add_int(PyObject *module, const char *name, long value);

/* The arguments of a METH_FASTCALL | METH_KEYWORDS method, by position or by
   keyword, into out[0..nnames); absent optional ones are NULL (borrowed).
   TypeError naming fname for too many, unknown, repeated or missing ones. */
OSSL_HIDDEN int ossl_fastcall_args(const char *fname, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames,
                                   const char *const *names, int nnames,
                                   int nrequired, PyObject **out);

#endif

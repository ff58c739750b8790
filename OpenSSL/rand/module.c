/*
 * OpenSSL.rand: OpenSSL's pseudo-random number generator.
 *
 * OpenSSL 3 seeds itself from the operating system, so add/seed only mix
 * extra data in and cleanup() has nothing left to do.  OpenSSL 3 is also
 * built without EGD support; egd() speaks the daemon's protocol itself.
 */
#include "../_common/common.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/rand.h>

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#endif

typedef struct {
    PyObject *Error;
} rand_state;

static rand_state *
rand_state_of(PyObject *module)
{
    return PyModule_GetState(module);
}

/* Requests at least this long are filled with the GIL released: below it,
   giving the GIL up costs more than the bytes do. */
#define RAND_BYTES_NOGIL_THRESHOLD (64 * 1024)

PyDoc_STRVAR(rand_add_doc,
"add($module, buffer, entropy)\n--\n\n"
"Mix the bytes of *buffer* into the PRNG state.  *entropy* (an int or a\n"
"float) is the number of bytes of randomness *buffer* is believed to hold;\n"
"a larger estimate than len(buffer) counts as len(buffer).");

static PyObject *
rand_add(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"buffer", "entropy", NULL};
    (void)module;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    PyObject *entropy_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&O:add", kwlist, ossl_bytes_conv,
                                     &buffer, &entropy_obj)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (!PyFloat_Check(entropy_obj) && !PyLong_Check(entropy_obj)) {
        PyErr_Format(PyExc_TypeError, "entropy must be an int or a float, not %.100s",
                     Py_TYPE(entropy_obj)->tp_name);
        goto done;
    }
    double entropy = PyFloat_AsDouble(entropy_obj);
    if (entropy == -1.0 && PyErr_Occurred()) {
        goto done;
    }
    if (!(entropy >= 0.0)) {
        PyErr_Format(PyExc_ValueError, "entropy must not be negative, not %R",
                     entropy_obj);
        goto done;
    }
    /* A buffer cannot hold more randomness than its length: claim no more. */
    if (entropy > (double)buffer.len) {
        entropy = (double)buffer.len;
    }
    if (ossl_check_int_len(buffer.len, "buffer") < 0) {
        goto done;
    }
    RAND_add(buffer.data, (int)buffer.len, entropy);
    result = Py_NewRef(Py_None);
done:
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(rand_seed_doc,
"seed($module, buffer)\n--\n\n"
"Mix the bytes of *buffer* into the PRNG state, counting every byte as\n"
"random (``add(buffer, len(buffer))``).");

static PyObject *
rand_seed(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"buffer", NULL};
    (void)module;
    ossl_bytes buffer = OSSL_BYTES("buffer");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&:seed", kwlist, ossl_bytes_conv,
                                     &buffer)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (ossl_check_int_len(buffer.len, "buffer") == 0) {
        RAND_seed(buffer.data, (int)buffer.len);
        result = Py_NewRef(Py_None);
    }
    ossl_bytes_release(&buffer);
    return result;
}

PyDoc_STRVAR(rand_status_doc,
"status($module, /)\n--\n\n"
"Return 1 if the PRNG has been seeded with enough data, 0 if not.");

static PyObject *
rand_status(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    (void)module;
    int status = RAND_status();
    ERR_clear_error();
    return PyLong_FromLong(status == 1);
}

PyDoc_STRVAR(rand_cleanup_doc,
"cleanup($module, /)\n--\n\n"
"Kept for old callers; does nothing.  OpenSSL 3 frees the PRNG state\n"
"itself at process exit and the PRNG stays usable after this call.");

static PyObject *
rand_cleanup(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    (void)module;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(rand_bytes_doc,
"bytes($module, num_bytes)\n--\n\n"
"Return *num_bytes* cryptographically strong random bytes.  Large\n"
"requests are filled with the GIL released.");

static PyObject *
rand_bytes(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"num_bytes", NULL};
    rand_state *st = rand_state_of(module);
    PyObject *arg;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:bytes", kwlist, &arg)) {
        return NULL;
    }
    long num;
    if (ossl_long_arg(arg, "num_bytes", &num) < 0) {
        return NULL;
    }
    if (num < 0) {
        PyErr_Format(PyExc_ValueError, "num_bytes must not be negative, not %ld",
                     num);
        return NULL;
    }
    if (ossl_check_int_len(num, "num_bytes") < 0) {
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, num);
    if (result == NULL) {
        return NULL;
    }
    /* Nobody else can see `result` yet, so it may be filled without the GIL. */
    unsigned char *buf = (unsigned char *)PyBytes_AS_STRING(result);
    int ok;
    if (num >= RAND_BYTES_NOGIL_THRESHOLD) {
        OSSL_ALLOW_THREADS_BEGIN;
        ok = RAND_bytes(buf, (int)num);
        OSSL_ALLOW_THREADS_END;
    }
    else {
        ok = RAND_bytes(buf, (int)num);
    }
    if (ok != 1) {
        Py_DECREF(result);
        return ossl_raise_or(st->Error, "the PRNG could not produce %ld bytes", num);
    }
    return result;
}

PyDoc_STRVAR(rand_load_file_doc,
"load_file($module, filename, maxbytes=-1)\n--\n\n"
"Mix up to *maxbytes* bytes of the file *filename* (str, bytes or\n"
"os.PathLike) into the PRNG; -1 reads the whole file.  Return the number of\n"
"bytes read; raise Error if the file cannot be read.");

static PyObject *
rand_load_file(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"filename", "maxbytes", NULL};
    rand_state *st = rand_state_of(module);
    ossl_bytes path = OSSL_BYTES("filename");
    PyObject *maxbytes_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O:load_file", kwlist,
                                     ossl_path_conv, &path, &maxbytes_obj)) {
        return NULL;
    }
    PyObject *result = NULL;
    long maxbytes = -1;
    if (maxbytes_obj != NULL) {
        if (ossl_long_arg(maxbytes_obj, "maxbytes", &maxbytes) < 0) {
            goto done;
        }
        if (maxbytes < -1) {
            PyErr_Format(PyExc_ValueError,
                         "maxbytes must be -1 (the whole file) or at least 0, not %ld",
                         maxbytes);
            goto done;
        }
    }
    int count = 0;
    if (maxbytes != 0) {
        OSSL_ALLOW_THREADS_BEGIN;
        count = RAND_load_file(path.data, maxbytes);
        OSSL_ALLOW_THREADS_END;
    }
    if (count < 0) {
        ossl_raise_or(st->Error, "could not read random data from '%s'",
                      path.data);
        goto done;
    }
    ERR_clear_error();
    result = PyLong_FromLong(count);
done:
    ossl_bytes_release(&path);
    return result;
}

PyDoc_STRVAR(rand_write_file_doc,
"write_file($module, filename)\n--\n\n"
"Write a seed file of random bytes to *filename* (str, bytes or\n"
"os.PathLike), for a later load_file(); return the number of bytes written.");

static PyObject *
rand_write_file(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"filename", NULL};
    rand_state *st = rand_state_of(module);
    ossl_bytes path = OSSL_BYTES("filename");
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&:write_file", kwlist,
                                     ossl_path_conv, &path)) {
        return NULL;
    }
    int count;
    OSSL_ALLOW_THREADS_BEGIN;
    count = RAND_write_file(path.data);
    OSSL_ALLOW_THREADS_END;
    PyObject *result;
    if (count < 0) {
        result = ossl_raise_or(st->Error, "could not write random data to '%s'",
                               path.data);
    }
    else {
        ERR_clear_error();
        result = PyLong_FromLong(count);
    }
    ossl_bytes_release(&path);
    return result;
}

/* ---- EGD ----------------------------------------------------------------- */

#ifndef _WIN32

/* How long one exchange with the daemon may take before egd() gives up. */
#define EGD_TIMEOUT_SECONDS 10
/* The protocol's count is one byte: at most this much per request. */
#define EGD_MAX_CHUNK 255

enum {
    EGD_OK = 0,
    EGD_ERRNO,      /* errno says why */
    EGD_CLOSED,     /* the daemon closed the connection mid-answer */
    EGD_TIMEOUT,
};

/* Send or receive exactly `len` bytes; EGD_* result. */
static int
egd_io(int fd, unsigned char *buf, size_t len, int sending)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = sending ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
                            : recv(fd, buf + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
        }
        else if (n == 0) {
            return EGD_CLOSED;
        }
        else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return EGD_TIMEOUT;
        }
        else if (errno != EINTR) {
            return EGD_ERRNO;
        }
    }
    return EGD_OK;
}

/*
 * Ask the daemon at `path` for up to `wanted` bytes with the non-blocking
 * read command (0x02 count -> count byte, then that many bytes), chunk by
 * chunk, feeding each chunk to the PRNG.  Stops early when the daemon has
 * no more.  Runs without the GIL.  Returns EGD_*; *got the bytes fed.
 */
static int
egd_query(const struct sockaddr_un *addr, int wanted, int *got)
{
    *got = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        return EGD_ERRNO;
    }
    struct timeval tv = {.tv_sec = EGD_TIMEOUT_SECONDS};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc;
    do {
        rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        rc = errno == EAGAIN || errno == EINPROGRESS ? EGD_TIMEOUT : EGD_ERRNO;
        int saved = errno;
        close(fd);
        errno = saved;
        return rc;
    }
    unsigned char buf[EGD_MAX_CHUNK];
    rc = EGD_OK;
    while (*got < wanted) {
        int chunk = wanted - *got;
        if (chunk > EGD_MAX_CHUNK) {
            chunk = EGD_MAX_CHUNK;
        }
        unsigned char request[2] = {0x02, (unsigned char)chunk};
        unsigned char count;
        rc = egd_io(fd, request, sizeof(request), 1);
        if (rc == EGD_OK) {
            rc = egd_io(fd, &count, 1, 0);
        }
        if (rc != EGD_OK) {
            break;
        }
        if (count > chunk) {
            /* More than was asked for: not an EGD daemon we understand. */
            rc = EGD_CLOSED;
            break;
        }
        if (count == 0) {
            break; /* the daemon has nothing more right now */
        }
        rc = egd_io(fd, buf, count, 0);
        if (rc != EGD_OK) {
            break;
        }
        RAND_add(buf, count, (double)count);
        *got += count;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

PyDoc_STRVAR(rand_egd_doc,
"egd($module, path, bytes=255)\n--\n\n"
"Read up to *bytes* bytes of entropy from the Entropy Gathering Daemon\n"
"listening on the Unix socket *path* and mix them into the PRNG.  Return\n"
"the number of bytes read (fewer when the daemon runs dry; check\n"
"status()).  Raise Error if the daemon cannot be reached or answers\n"
"wrongly.");

static PyObject *
rand_egd(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"path", "bytes", NULL};
    rand_state *st = rand_state_of(module);
    ossl_bytes path = OSSL_BYTES("path");
    PyObject *bytes_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|O:egd", kwlist, ossl_path_conv,
                                     &path, &bytes_obj)) {
        return NULL;
    }
    PyObject *result = NULL;
    int wanted = EGD_MAX_CHUNK;
    if (bytes_obj != NULL && ossl_int_arg(bytes_obj, "bytes", &wanted) < 0) {
        goto done;
    }
    if (wanted < 0) {
        PyErr_Format(PyExc_ValueError, "bytes must not be negative, not %d", wanted);
        goto done;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if ((size_t)path.len >= sizeof(addr.sun_path)) {
        PyErr_Format(PyExc_ValueError,
                     "path is too long for a Unix socket (%zd bytes, at most %zu)",
                     path.len, sizeof(addr.sun_path) - 1);
        goto done;
    }
    memcpy(addr.sun_path, path.data, (size_t)path.len);
    int got = 0, rc = EGD_OK, err = 0;
    if (wanted > 0) {
        OSSL_ALLOW_THREADS_BEGIN;
        rc = egd_query(&addr, wanted, &got);
        err = errno;
        OSSL_ALLOW_THREADS_END;
    }
    switch (rc) {
    case EGD_OK:
        result = PyLong_FromLong(got);
        break;
    case EGD_ERRNO:
        ossl_raise_msg(st->Error, "EGD at '%s': %s", path.data, strerror(err));
        break;
    case EGD_CLOSED:
        ossl_raise_msg(st->Error,
                       "EGD at '%s' broke off or sent a malformed answer "
                       "(after %d bytes)", path.data, got);
        break;
    default:
        ossl_raise_msg(st->Error, "EGD at '%s' did not answer within %d seconds",
                       path.data, EGD_TIMEOUT_SECONDS);
        break;
    }
done:
    ossl_bytes_release(&path);
    return result;
}

#endif /* !_WIN32 */

#ifdef _WIN32
PyDoc_STRVAR(rand_screen_doc,
"screen($module, /)\n--\n\n"
"Add entropy from the system to the PRNG (Windows only).  OpenSSL 3 has\n"
"no screen sampling any more; this asks the system's own source instead.");

static PyObject *
rand_screen(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    rand_state *st = rand_state_of(module);
    if (RAND_poll() != 1) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}
#endif

static PyMethodDef rand_functions[] = {
    {"add", (PyCFunction)(void (*)(void))rand_add, METH_VARARGS | METH_KEYWORDS,
     rand_add_doc},
    {"seed", (PyCFunction)(void (*)(void))rand_seed, METH_VARARGS | METH_KEYWORDS,
     rand_seed_doc},
    {"status", rand_status, METH_NOARGS, rand_status_doc},
    {"cleanup", rand_cleanup, METH_NOARGS, rand_cleanup_doc},
    {"bytes", (PyCFunction)(void (*)(void))rand_bytes, METH_VARARGS | METH_KEYWORDS,
     rand_bytes_doc},
    {"load_file", (PyCFunction)(void (*)(void))rand_load_file,
     METH_VARARGS | METH_KEYWORDS, rand_load_file_doc},
    {"write_file", (PyCFunction)(void (*)(void))rand_write_file,
     METH_VARARGS | METH_KEYWORDS, rand_write_file_doc},
#ifndef _WIN32
    {"egd", (PyCFunction)(void (*)(void))rand_egd, METH_VARARGS | METH_KEYWORDS,
     rand_egd_doc},
#endif
#ifdef _WIN32
    {"screen", rand_screen, METH_NOARGS, rand_screen_doc},
#endif
    {NULL},
};

static int
rand_exec(PyObject *module)
{
    rand_state *st = PyModule_GetState(module);
    st->Error = PyErr_NewExceptionWithDoc(
        "OpenSSL.rand.Error", "An error occurred in an OpenSSL.rand API.", NULL,
        NULL);
    if (st->Error == NULL || PyModule_AddObjectRef(module, "Error", st->Error) < 0) {
        return -1;
    }
    return 0;
}

static int
rand_traverse(PyObject *module, visitproc visit, void *arg)
{
    rand_state *st = PyModule_GetState(module);
    Py_VISIT(st->Error);
    return 0;
}

static int
rand_clear(PyObject *module)
{
    rand_state *st = PyModule_GetState(module);
    Py_CLEAR(st->Error);
    return 0;
}

static void
rand_free(void *module)
{
    rand_clear(module);
}

static PyModuleDef_Slot rand_slots[] = {
    {Py_mod_exec, rand_exec},
    {0, NULL},
};

static struct PyModuleDef rand_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "OpenSSL.rand",
    .m_doc = "OpenSSL's pseudo-random number generator.",
    .m_size = sizeof(rand_state),
    .m_methods = rand_functions,
    .m_slots = rand_slots,
    .m_traverse = rand_traverse,
    .m_clear = rand_clear,
    .m_free = rand_free,
};

PyMODINIT_FUNC
PyInit_rand(void)
{
    return PyModuleDef_Init(&rand_module_def);
}

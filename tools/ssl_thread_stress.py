"""Handshakes from many threads on one shared pair of Contexts.

    python tools/ssl_thread_stress.py [--threads 8] [--handshakes 200]

Each thread runs client handshakes over socketpairs against a server
Connection driven by a second thread, all from one client Context (with a
Python verify callback) and one server Context, then moves some data and
closes cleanly.  Prints handshakes per second for 1 thread and for
--threads threads: with the GIL released during TLS work the second number
grows with the cores.  Exit status 1 on any failure.  With
OSSL_TEST_INSTALLED=1 it runs against the installed package instead.
"""
import argparse
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test"))
if os.environ.get("OSSL_TEST_INSTALLED") != "1":
    # The checkout's build; with OSSL_TEST_INSTALLED=1 the installed
    # OpenSSL package (pyOpenSSL, for comparison).
    sys.path.insert(0, os.path.join(HERE, ".."))

from OpenSSL import SSL  # noqa: E402

import peers  # noqa: E402


def contexts(key_type):
    made, paths = peers.chain("stress-" + key_type, key_type)
    server = SSL.Context(SSL.TLS_METHOD)
    server.use_certificate_chain_file(paths["chain"])
    server.use_privatekey_file(paths["leaf_key"])
    client = SSL.Context(SSL.TLS_METHOD)
    client.load_verify_locations(paths["ca"])
    calls = [0]

    def verify(conn, cert, errnum, depth, ok):
        calls[0] += 1
        return ok

    client.set_verify(SSL.VERIFY_PEER, verify)
    return client, server, calls


def worker(client_ctx, server_ctx, count, errors):
    try:
        for i in range(count):
            client, server = peers.socket_pair(client_ctx, server_ctx)
            peers.handshake_sockets(client, server)
            client.sendall(b"x" * 1024)
            got = b""
            while len(got) < 1024:
                got += server.recv(4096)
            client.shutdown()
            try:
                server.recv(10)
            except SSL.ZeroReturnError:
                pass
            client.close()
            server.close()
    except Exception as exc:  # reported by main
        errors.append(exc)


def run(threads, total, key_type):
    client_ctx, server_ctx, calls = contexts(key_type)
    errors = []
    per = total // threads
    pool = [threading.Thread(target=worker,
                             args=(client_ctx, server_ctx, per, errors))
            for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    done = per * threads
    return done / elapsed, errors, calls[0], done


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--handshakes", type=int, default=200)
    parser.add_argument("--key", default="rsa", choices=["rsa", "ec"])
    args = parser.parse_args()
    failed = False
    for threads in (1, args.threads):
        rate, errors, calls, done = run(threads, args.handshakes, args.key)
        print("%2d thread(s): %4d handshakes, %7.1f handshakes/s, "
              "%d verify callbacks, %d errors"
              % (threads, done, rate, calls, len(errors)))
        if errors or calls != done * 3:
            failed = True
            for exc in errors[:3]:
                print("  error:", repr(exc))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

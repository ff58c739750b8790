"""The benchmark harness: every workload against every implementation, the
runs alternated, the median kept, one table.

    python bench/run.py [--quick] [--results bench/RESULTS.md] [--only W1-ecdsa,W5]

Implementations (columns):
  C            bench/cbench.c, compiled here with gcc against the system libssl
  ours         this package, from the in-place build (--ours-python, PYTHONPATH=repo)
  pyOpenSSL    the latest release from PyPI in its own venv (--pyopenssl-python);
               it runs on the OpenSSL bundled in cryptography's wheel
  pyOpenSSL-deb  Debian's python3-openssl (--debian-python): an older pyOpenSSL, but
               on the very same system OpenSSL as C and ours
  ssl          the stdlib ssl module (TLS workloads only)
A column whose interpreter is missing is left out with a note; a workload an
implementation cannot run shows "n/a".  Exit status 1 when any workload failed
its own check.
"""

import argparse
import datetime
import json
import os
import platform
import selectors
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MiB = 1 << 20

# name, what one unit is, scale (units per shown unit), full param, quick param,
# target vs C, target vs pyOpenSSL (rate multiple), title
WORKLOADS = [
    ("W1-ecdsa", "handshakes/s", 1, 0, 0, 0.95, 1.0,
     "full TLS 1.3 handshake over memory BIOs, ECDSA P-256 server"),
    ("W1-rsa", "handshakes/s", 1, 0, 0, 0.95, 1.0,
     "full TLS 1.3 handshake over memory BIOs, RSA-2048 server"),
    ("W2", "MiB/s", MiB, 64 * MiB, 4 * MiB, 0.95, 1.0,
     "64 MiB client to server in 16 KiB writes over memory BIOs"),
    ("W3", "records/s", 1, 1_000_000, 20_000, 0.6, 3.0,
     "1,000,000 64-byte records over memory BIOs"),
    ("W4", "loads/s", 1, 0, 0, 0.95, 1.0,
     "load_certificate of a 1.3 KB PEM leaf"),
    ("W4b", "dumps/s", 1, 0, 0, 0.85, 1.0,
     "dump_certificate to PEM"),
    ("W5", "sets/s", 1, 0, 0, 0.5, 3.0,
     "accessors: subject CN, issuer, notAfter, serial, sha256 digest, 6 extensions"),
    ("W6", "certs/s", 1, 0, 0, 0.95, 1.0,
     "build and sign a certificate with 3 extensions, EC P-256 key"),
    ("W7-rsa", "keys/s", 1, 0, 0, 0.95, 1.0, "RSA-2048 key generation"),
    ("W7-ec", "keys/s", 1, 0, 0, 0.95, 1.0, "EC P-256 key generation"),
    ("W8-rtt", "round trips/s", 1, 1000, 100, 0.95, 1.0,
     "TCP loopback, 1,000 round trips of 1 KiB (server in a forked process)"),
    ("W8-bulk", "MiB/s", MiB, 32 * MiB, 2 * MiB, 0.95, 1.0,
     "TCP loopback, 32 MiB one way in 16 KiB writes"),
    ("W9", "x (2 threads / 1)", 1, 0, 0, 0.95, 1.0,
     "W1-ecdsa in one thread, then in two threads at once: the scaling factor"),
]
MEMORY = [
    ("mem-cert", 100_000, 2_000, "W4+W5 (load a certificate and read it)"),
    ("mem-handshake", 100_000, 1_000, "W1-ecdsa (full handshake)"),
]
SECONDS = {"full": 2.0, "quick": 0.3}
LONG = {"W7-rsa": 6.0, "W9": 4.0}   # noisy workloads get longer runs
POOLED = {"W7-rsa"}                  # random prime search: all runs pooled


class Worker:
    """A persistent worker process for one Python implementation."""

    def __init__(self, name, argv, env, cwd):
        self.name, self.argv, self.env = name, argv, env
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=cwd,
            text=True, bufsize=1)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        hello = self.read(120)
        self.openssl = hello["openssl"]

    def read(self, timeout):
        if not self.sel.select(timeout):
            self.proc.kill()
            raise RuntimeError(f"{self.name}: no answer in {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name}: worker exited ({self.proc.wait()})")
        return json.loads(line)

    def request(self, wl, seconds, param, clock="cpu"):
        self.proc.stdin.write(json.dumps(
            {"wl": wl, "seconds": seconds, "param": param, "clock": clock}) + "\n")
        self.proc.stdin.flush()
        return self.read(max(600, 30 * seconds))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


class CProgram:
    name = "C"

    def __init__(self, exe, data):
        self.exe, self.data = exe, data
        self.openssl = subprocess.check_output([exe, data, "version"], text=True).strip()

    def request(self, wl, seconds, param, clock="cpu"):
        out = subprocess.run([self.exe, self.data, wl, str(seconds), str(param), clock],
                             capture_output=True, text=True, timeout=max(600, 30 * seconds))
        if out.returncode != 0:
            return {"error": out.stderr.strip()}
        return json.loads(out.stdout)

    def close(self):
        pass


def build_c(data):
    exe = os.path.join(HERE, ".build", "cbench")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    src = os.path.join(HERE, "cbench.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.check_call(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe, src,
                               "-lssl", "-lcrypto", "-lpthread"])
    return exe


def start_workers(args, data):
    impls = [CProgram(build_c(data), data)]
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = os.path.join(HERE, "worker.py")
    specs = [
        ("ours", [args.ours_python, script, "ours", data], dict(base_env, PYTHONPATH=ROOT)),
        ("pyOpenSSL", [args.pyopenssl_python, "-s", script, "pyopenssl", data], base_env),
        ("pyOpenSSL-deb", [args.debian_python, "-s", "-E", script, "pyopenssl", data], base_env),
        ("ssl", [args.ours_python, script, "stdlib", data], base_env),
    ]
    notes = []
    for name, argv, env in specs:
        if not argv[0] or not os.path.exists(argv[0]):
            notes.append(f"{name}: no interpreter ({argv[0] or 'not given'}), column left out")
            continue
        if name == "pyOpenSSL-deb" and subprocess.run(
                [argv[0], "-s", "-E", "-c", "import OpenSSL.SSL"], cwd=HERE,
                capture_output=True).returncode != 0:
            notes.append(f"{name}: {argv[0]} has no OpenSSL package "
                         "(apt-get install python3-openssl), column left out")
            continue
        # cwd=bench/ so that only PYTHONPATH decides which OpenSSL package loads.
        impls.append(Worker(name, argv, env, HERE))
    return impls, notes


def fmt(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds per workload")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--wall", action="store_true",
                    help="measure W1-W7 in wall time too (default: the thread's CPU time)")
    ap.add_argument("--ours-python", default=sys.executable)
    ap.add_argument("--pyopenssl-python",
                    default=os.path.join(HERE, ".venv-pyopenssl", "bin", "python"))
    ap.add_argument("--debian-python", default="/usr/bin/python3")
    ap.add_argument("--results", help="write the table to this Markdown file")
    ap.add_argument("--command", default="make bench", help="shown in --results")
    args = ap.parse_args()
    mode = "quick" if args.quick else "full"
    repeats = args.repeats or (3 if args.quick else 5)
    base_seconds = args.seconds or SECONDS[mode]
    clock = "wall" if args.wall else "cpu"

    data = os.path.join(HERE, ".build", "data")
    subprocess.check_call(["bash", os.path.join(HERE, "make_data.sh"), data])
    impls, notes = start_workers(args, data)
    names = [i.name for i in impls]
    workloads = [w for w in WORKLOADS if not args.only or w[0] in args.only.split(",")]
    memory = [] if args.no_memory else [
        m for m in MEMORY if not args.only or m[0] in args.only.split(",")]

    started = time.time()
    runs = {(w[0], n): [] for w in workloads for n in names}
    failures = []
    extra = {}
    for rep in range(repeats):
        for w in workloads:
            wl, param = w[0], (w[4] if args.quick else w[3])
            seconds = base_seconds if args.quick else LONG.get(wl, base_seconds)
            # Rotate who goes first so that drift and warm caches even out.
            order = impls[rep % len(impls):] + impls[:rep % len(impls)]
            for impl in order:
                answer = impl.request(wl, seconds, param, clock)
                if "error" in answer:
                    failures.append(f"{wl} {impl.name}: {answer['error']}")
                    runs[wl, impl.name] = None
                elif "na" in answer:
                    runs[wl, impl.name] = None
                    extra[wl, impl.name, "na"] = answer["na"]
                elif runs[wl, impl.name] is not None:
                    runs[wl, impl.name].append(answer)
                    if "note" in answer:
                        extra[wl, impl.name, "note"] = answer["note"]
                print(f"  {wl:9} {impl.name:14} {answer.get('units', 0) / max(answer.get('seconds', 1), 1e-9) / w[2]:12.2f}"
                      f" {answer.get('na', answer.get('error', ''))[:70]}",
                      file=sys.stderr, flush=True)
    openssl = {i.name: i.openssl for i in impls}
    for impl in impls:
        impl.close()

    mem = {}
    for m in memory:
        wl, iterations = m[0], (m[2] if args.quick else m[1])
        for impl in impls:
            # A fresh process each, so that earlier workloads do not count.
            one = impl if isinstance(impl, CProgram) else Worker(
                impl.name, impl.argv, impl.env, HERE)
            answer = one.request(wl, 0, iterations)
            if one is not impl:
                one.close()
            if "error" in answer:
                failures.append(f"{wl} {impl.name}: {answer['error']}")
            elif "na" not in answer:
                mem[wl, impl.name] = (answer["rss_after_kib"] - answer["rss_before_kib"],
                                      answer["rss_after_kib"])
            print(f"  {wl:14} {impl.name:14} {mem.get((wl, impl.name))}", file=sys.stderr,
                  flush=True)

    # ---- the table --------------------------------------------------------
    def rate(wl, name, scale):
        r = runs.get((wl, name))
        if not r:
            return None
        if wl in POOLED:
            return sum(a["units"] for a in r) / sum(a["seconds"] for a in r) / scale
        return statistics.median(a["units"] / a["seconds"] / scale for a in r)

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    pyo_cols = [n for n in ("pyOpenSSL", "pyOpenSSL-deb") if n in names]
    head = ["workload", "unit"] + names + ["ours/C"] + [f"ours/{n}" for n in pyo_cols] + [
        "target", "holds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    verdicts = []
    for w in workloads:
        wl, unit, scale, _, _, t_c, t_pyo, title = w
        rates = {n: rate(wl, n, scale) for n in names}
        ours, c = rates.get("ours"), rates.get("C")
        r_c = ratio(ours, c)
        r_pyo = {n: ratio(ours, rates[n]) for n in pyo_cols}
        target = f"≥{t_c:g}×C" + (f", ≥{t_pyo:g}×pyO" if t_pyo != 1 else ", ≥1×pyO")
        if ours is None:
            holds = "n/a"
        else:
            ok_c = r_c is not None and r_c >= t_c
            # Against pyOpenSSL on the same OpenSSL where there is one.
            ref = "pyOpenSSL-deb" if r_pyo.get("pyOpenSSL-deb") else "pyOpenSSL"
            ok_p = r_pyo.get(ref) is None or r_pyo[ref] >= t_pyo
            holds = "yes" if ok_c and ok_p else "NO"
            verdicts.append((wl, holds))
        def fmt_ratio(r):  # three digits, so that 0.946 does not read as 0.95
            return "n/a" if r is None else (f"{r:.3f}" if r < 10 else f"{r:.1f}")
        cells = [wl, unit] + [fmt(rates[n]) for n in names] + [fmt_ratio(r_c)] + [
            fmt_ratio(r_pyo[n]) for n in pyo_cols] + [target, holds]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)

    mem_lines = []
    if mem or memory:
        mem_lines = ["| memory run | iterations | " + " | ".join(names) + " | holds |",
                     "|---|---|" + "---|" * len(names) + "---|"]
        for m in memory:
            wl = m[0]
            iterations = m[2] if args.quick else m[1]
            cells = []
            for n in names:
                v = mem.get((wl, n))
                cells.append("n/a" if v is None else f"+{v[0] / 1024:.2f} MiB (RSS {v[1] / 1024:.0f} MiB)")
            g = mem.get((wl, "ours"))
            holds = "n/a" if g is None else ("yes" if g[0] < 2048 else "NO")
            mem_lines.append(f"| {wl}: {m[3]} | {iterations:,} | " + " | ".join(cells)
                             + f" | {holds} |")

    legend = [f"- **{n}**: {openssl[n]}" for n in names]
    footnotes = sorted({f"- {wl} on {n}: {text}" for (wl, n, kind), text in extra.items()
                        if kind == "note"})
    na = sorted({f"- {wl} on {n}: n/a ({text})" for (wl, n, kind), text in extra.items()
                 if kind == "na" and n != "ssl"})
    elapsed = time.time() - started
    report = "\n".join(
        [f"Mode: {mode}, {repeats} runs per cell (median; W7-rsa pooled), "
         f"{base_seconds:g} s per run, implementations alternated; {elapsed / 60:.1f} min.",
         "Clock: " + ("wall time everywhere." if args.wall else
                      "W1-W7 per CPU-second of the measuring thread (steady when the machine "
                      "is shared); W8 and W9 in wall time."),
         "", table, "", *mem_lines, "", "OpenSSL each column ran on:", *legend]
        + (["", "Notes:", *footnotes, *na] if footnotes or na else [])
        + (["", *notes] if notes else []))
    print(report)

    if args.results:
        cpu = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        header = [
            "# Benchmark results", "",
            f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC  ",
            f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} "
            f"{platform.release()}  ",
            f"Python: {platform.python_version()} ({sys.executable})  ",
            f"OpenSSL (system, C and ours): {openssl.get('C')}  ",
            f"Command: `{args.command}`", "",
            "Workloads:", *[f"- {w[0]}: {w[7]}" for w in workloads], "",
        ]
        # Hand-written notes below the marker survive a new run.
        marker = "<!-- notes: kept by bench/run.py -->"
        kept = ""
        if os.path.exists(args.results):
            with open(args.results) as f:
                old = f.read()
            if marker in old:
                kept = old[old.index(marker):]
        with open(args.results, "w") as f:
            f.write("\n".join(header) + "\n" + report + "\n\n" + (kept or marker + "\n"))
    with open(os.path.join(HERE, ".build", f"results-{mode}.json"), "w") as f:
        json.dump({"runs": {f"{k[0]} {k[1]}": v for k, v in runs.items()},
                   "memory": {f"{k[0]} {k[1]}": v for k, v in mem.items()},
                   "openssl": openssl, "failures": failures}, f, indent=1)
    if failures:
        print("\nFAILED:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

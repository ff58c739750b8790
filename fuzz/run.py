"""Run the fuzz targets.

    python fuzz/run.py all --runs 20000            # every target, 20,000 inputs each
    python fuzz/run.py all --seconds 120           # every target for 2 minutes
    python fuzz/run.py load_certificate_der --runs 100000
    python fuzz/run.py load_certificate_der crash-1234   # replay an input

Each target runs in its own process under atheris (libFuzzer's mutator and
driver), starting from the seeds that fuzz/seeds.py makes with the package
itself; inputs that reach new coverage are kept in the work corpus
(--work, default fuzz/work).  When the extension was built with clang's
-fsanitize=fuzzer-no-link (`make fuzz` does that when clang is present) the
C code gives libFuzzer coverage; otherwise only the Python side does and the
run is a mutation fuzz of the seeds.  Without atheris at all, a built-in
mutator (bit flips, byte runs, splices, truncation) drives the same targets
with a fixed random seed, so a failure replays with the same command.

A finding is a crash, a sanitizer report, a hang (--timeout seconds per
input) or an exception a target does not declare; it is saved as
<work>/<target>/crash-* and the run exits non-zero.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def target_names():
    import targets
    return list(targets.TARGETS)


def prepare_corpus(work, name):
    """The work corpus of `name`: the package-made seeds plus whatever
    earlier runs kept."""
    corpus = os.path.join(work, name, "corpus")
    seeds_dir = os.path.join(work, "seeds", name)
    if not os.path.isdir(seeds_dir):
        import seeds
        seeds.write_seeds(os.path.join(work, "seeds"))
    os.makedirs(corpus, exist_ok=True)
    for entry in os.listdir(seeds_dir):
        dest = os.path.join(corpus, entry)
        if not os.path.exists(dest):
            shutil.copyfile(os.path.join(seeds_dir, entry), dest)
    return corpus


# -- one target, in this process ----------------------------------------------

def run_atheris(name, args, corpus):
    import atheris
    with atheris.instrument_imports(include=["targets"]):
        import targets
    fuzz_one = targets.TARGETS[name]
    artifacts = os.path.join(args.work, name) + os.sep
    argv = [sys.argv[0], corpus, f"-artifact_prefix={artifacts}",
            f"-timeout={args.timeout}", "-rss_limit_mb=4096", "-max_len=16384",
            "-print_final_stats=1",
            # Seeds stay in the corpus even when they add no coverage (they
            # add none when only the Python side is instrumented).
            "-keep_seed=1", "-len_control=0"]
    if args.runs:
        argv.append(f"-runs={args.runs}")
    if args.seconds:
        argv.append(f"-max_total_time={args.seconds}")
    atheris.Setup(argv, fuzz_one)
    atheris.Fuzz()


def mutate(rng, data, pool):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if choice == 0 and data:
            data[pos % len(data)] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[pos % len(data)] = rng.choice((0, 0xff, 0x7f, 0x80, 0x30, 0x0a,
                                                rng.randrange(256)))
        elif choice == 2:
            data[pos:pos] = bytes([rng.randrange(256)]) * rng.randint(1, 64)
        elif choice == 3:
            del data[pos:pos + rng.randint(1, 64)]
        elif choice == 4:
            other = rng.choice(pool)
            start = rng.randrange(len(other) + 1)
            data[pos:pos] = other[start:start + rng.randint(1, 256)]
        elif choice == 5:
            data = data[:pos]
        elif choice == 6 and len(data) > 4:
            # a DER length byte: make it lie
            data[pos % len(data)] = rng.choice((0x81, 0x82, 0x83, 0x84, 0x00, 0xff))
    return bytes(data)


def run_builtin(name, args, corpus):
    import targets
    fuzz_one = targets.TARGETS[name]
    pool = []
    for entry in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, entry), "rb") as f:
            pool.append(f.read())
    rng = random.Random(args.seed)
    runs = args.runs or 0
    deadline = time.monotonic() + args.seconds if args.seconds else None
    current = os.path.join(args.work, name, "current-input")
    done = 0
    start = time.monotonic()
    while True:
        if runs and done >= runs:
            break
        if deadline and time.monotonic() > deadline:
            break
        data = pool[done] if done < len(pool) else mutate(rng, rng.choice(pool), pool)
        if done % 256 == 0:
            # Cheap replay aid: a crash leaves the input it died on nearby.
            with open(current, "wb") as f:
                f.write(data)
        try:
            fuzz_one(data)
        except BaseException:
            path = os.path.join(args.work, name, f"crash-builtin-{done}")
            with open(path, "wb") as f:
                f.write(data)
            print(f"== finding in {name} on input {done}, saved to {path}",
                  flush=True)
            raise
        done += 1
    print(f"Done {done} runs in {int(time.monotonic() - start)} second(s)", flush=True)


def replay(name, path):
    import targets
    with open(path, "rb") as f:
        targets.TARGETS[name](f.read())
    print(f"{path}: no finding")


# -- every target, each in a child process ------------------------------------

def run_all(args, names):
    failed = []
    results = []
    for name in names:
        cmd = [sys.executable, os.path.abspath(__file__), name, "--work", args.work,
               "--timeout", str(args.timeout), "--seed", str(args.seed)]
        if args.runs:
            cmd += ["--runs", str(args.runs)]
        if args.seconds:
            cmd += ["--seconds", str(args.seconds)]
        if args.builtin:
            cmd.append("--builtin")
        started = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        elapsed = time.monotonic() - started
        out = proc.stdout.decode("utf-8", "replace")
        log = os.path.join(args.work, name, "last-run.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as f:
            f.write(out)
        match = re.findall(r"Done (\d+) runs", out)
        runs = int(match[-1]) if match else 0
        corpus = os.path.join(args.work, name, "corpus")
        kept = len(os.listdir(corpus)) if os.path.isdir(corpus) else 0
        status = "ok" if proc.returncode == 0 else f"FINDING (exit {proc.returncode})"
        results.append((name, runs, elapsed, kept, status))
        print(f"{name:32s} {runs:9d} inputs {elapsed:7.1f}s corpus {kept:5d}  {status}",
              flush=True)
        if proc.returncode != 0:
            failed.append(name)
            print(out[-6000:])
    total = sum(r[1] for r in results)
    print(f"fuzz: {len(results)} targets, {total} inputs, {len(failed)} with findings"
          + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="a target name, or 'all'")
    parser.add_argument("replay", nargs="?", help="an input file to replay")
    parser.add_argument("--runs", type=int, default=0, help="inputs per target")
    parser.add_argument("--seconds", type=int, default=0, help="time per target")
    parser.add_argument("--timeout", type=int, default=20, help="seconds per input")
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--seed", type=int, default=1, help="built-in mutator seed")
    parser.add_argument("--builtin", action="store_true",
                        help="use the built-in mutator even when atheris is present")
    parser.add_argument("--only", default="", help="with 'all': comma-separated subset")
    args = parser.parse_args()
    args.work = os.path.abspath(args.work)
    if not args.runs and not args.seconds and not args.replay:
        parser.error("give --runs or --seconds")
    if not args.builtin:
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("atheris is not installed: using the built-in mutator", flush=True)
            args.builtin = True
    if args.target == "all":
        names = target_names()
        if args.only:
            names = [n for n in names if n in args.only.split(",")]
        sys.exit(run_all(args, names))
    if args.target not in target_names():
        parser.error(f"unknown target {args.target!r}; one of {target_names()}")
    if args.replay:
        replay(args.target, args.replay)
        return
    corpus = prepare_corpus(args.work, args.target)
    if args.builtin:
        run_builtin(args.target, args, corpus)
    else:
        run_atheris(args.target, args, corpus)


if __name__ == "__main__":
    main()

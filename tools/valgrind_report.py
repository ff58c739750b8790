"""Read a valgrind memcheck log and judge it for this package.

    python tools/valgrind_report.py valgrind.log

Prints the definite-leak total and every definitely-lost record or memory
error whose stack passes through this package's extension modules (a frame
in OpenSSL/crypto*.so, SSL*.so, rand*.so or a source file under OpenSSL/).
Exits 1 if there is any: leaks and errors inside CPython's own start-up
are not ours and are only counted.
"""
import re
import sys

OURS = re.compile(r"(OpenSSL/(crypto|ssl|rand|_common)/\w+\.[ch]"
                  r"|/OpenSSL/(crypto|SSL|rand)\.cpython)")


def records(lines):
    """Blocks of a valgrind log: each starts at a line with text after the
    ==pid== prefix and ends at a blank one."""
    block = []
    for line in lines:
        body = re.sub(r"^==\d+== ?", "", line.rstrip("\n"))
        if body.strip():
            block.append(body)
        elif block:
            yield block
            block = []
    if block:
        yield block


def main(path):
    with open(path, errors="replace") as f:
        lines = f.readlines()
    definite = re.findall(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks",
                          "".join(lines))
    ours = []
    errors_total = 0
    for block in records(lines):
        head = block[0]
        is_leak = "definitely lost in loss record" in head
        is_error = (head.startswith(("Invalid ", "Conditional jump", "Use of uninit",
                                     "Syscall param", "Mismatched free",
                                     "Source and destination overlap")))
        if is_error:
            errors_total += 1
        if (is_leak or is_error) and any(OURS.search(line) for line in block):
            ours.append(block)
    lost = definite[-1] if definite else ("0", "0")
    print(f"valgrind: definitely lost {lost[0]} bytes in {lost[1]} blocks in all; "
          f"{errors_total} memory errors in all; {len(ours)} record(s) "
          f"through this package's code")
    for block in ours:
        print("\n".join(block[:30]))
        print()
    return 1 if ours else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))

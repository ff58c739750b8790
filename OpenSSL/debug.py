"""``python -m OpenSSL.debug``: versions and build flags, for bug reports."""

from OpenSSL.__main__ import info_lines

_env_info = "\n".join(info_lines())

if __name__ == "__main__":
    print(_env_info)

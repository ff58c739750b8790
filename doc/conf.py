"""Sphinx configuration for the OpenSSL package's documentation.

The API reference is written out by hand (py: directives) rather than pulled
from the built modules with autodoc: the pages then build without compiling
the extension, and test/test_docs.py can read which names they document.
"""
import os
import re

_here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_here, "..", "OpenSSL", "version.py"), encoding="utf-8") as f:
    release = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)
version = ".".join(release.split(".")[:2])

project = "OpenSSL for Python"
author = "The OpenSSL for Python developers"
copyright = "2026, " + author

extensions = []
templates_path = []
exclude_patterns = ["_build"]
master_doc = "index"
default_role = "any"
pygments_style = "sphinx"
highlight_language = "python3"

html_theme = "alabaster"
html_static_path = []
html_title = f"{project} {release}"

# Every reference inside these pages must resolve (make docs runs sphinx with
# -n -W).  Names from outside (builtins, typing, cryptography, the stdlib)
# have no inventory here: the build machine may not reach their sites.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(bytes|str|int|float|bool|None|object|list|tuple|set|dict|type)"),
    (r"py:.*", r"(typing|collections\.abc)\..*"),
    (r"py:.*", r"(Any|Callable|Sequence|Iterable|Literal|Buffer|Self|NoReturn)"),
    (r"py:.*", r"(cryptography|x509|ec|socket|datetime|os|ssl|asyncio|selectors|secrets|io)(\..*)?"),
    (r"py:.*", r"(Exception|ValueError|TypeError|OSError|BlockingIOError|IndexError|KeyError|AttributeError|NotImplementedError|DeprecationWarning)"),
    (r"py:.*", r"(PathLike|StrOrBytesPath|path-like|buffer|callable|optional)"),
]

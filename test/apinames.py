"""The public names of the three C modules, as built, as stubbed and as documented.

Names are dotted paths below the module: ``"X509"``, ``"X509.get_subject"``,
``"FILETYPE_PEM"``.  The stubs and the API reference describe the whole API
(pyOpenSSL 26.4 plus what 0.13 had); the built modules grow towards it.  So:

- every public name of a built module must be in its stub and its reference page;
- the stubs and the reference must name the same things;
- a stubbed name the build does not have yet is "pending".

Run as a script, ``--pending`` prints the pending names as a stubtest allowlist
(one per line), so that stubtest checks everything that exists; ``--tutorial
DIR`` writes the tutorial's code (doc/tutorial.rst) as scripts for mypy.
"""
import ast
import importlib
import inspect
import os
import re
import sys
import textwrap
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {
    "OpenSSL.crypto": ("OpenSSL/crypto.pyi", "doc/api/crypto.rst"),
    "OpenSSL.SSL": ("OpenSSL/SSL.pyi", "doc/api/ssl.rst"),
    "OpenSSL.rand": ("OpenSSL/rand.pyi", "doc/api/rand.rst"),
}
# Pure-Python modules of the package that import the C modules.
PYTHON_MODULES = ["OpenSSL", "OpenSSL.version", "OpenSSL.debug", "OpenSSL._util"]


def _public(name):
    return not name.startswith("_")


def runtime_names(modname):
    """Public module attributes, and public members of the classes it defines."""
    module = importlib.import_module(modname)
    names = set()
    for name, obj in vars(module).items():
        if not _public(name) or isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            # An import from elsewhere (typing, cryptography) is not API.
            if not getattr(obj, "__module__", "").startswith("OpenSSL"):
                continue
        names.add(name)
        if (
            isinstance(obj, type)
            and obj.__module__ == modname
            and obj.__name__ == name
        ):
            for member in vars(obj):
                if _public(member):
                    names.add(f"{name}.{member}")
    return names


def _class_members(node):
    members = set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            members.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            members.add(item.target.id)
        elif isinstance(item, ast.Assign):
            members.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return {m for m in members if _public(m)}


def stub_names(modname, reexports=True):
    """Public names declared in the module's .pyi file.

    With *reexports* false, leave out names the stub imports from another
    module ("from OpenSSL.crypto import X509 as X509"): stubtest does not
    check those.
    """
    path = os.path.join(ROOT, MODULES[modname][0])
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            names.update(f"{node.name}.{m}" for m in _class_members(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom) and reexports:
            # "from X import a as a" is the stub spelling of a re-export.
            names.update(a.asname for a in node.names if a.asname == a.name)
    return {n for n in names if _public(n.split(".")[0])}


_DIRECTIVE = re.compile(
    r"^(?P<indent>\s*)\.\. py:(?P<kind>\w+)::\s*(?P<name>[\w.]+)"
)
_OBJECT_KINDS = {
    "function", "class", "exception", "data", "attribute", "method",
    "classmethod", "staticmethod", "property",
}


def documented_names(modname):
    """Names given a ``py:`` directive on the module's reference page."""
    path = os.path.join(ROOT, MODULES[modname][1])
    names = set()
    current_module = None
    owner = None  # (indent, class name) of the enclosing class directive
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = _DIRECTIVE.match(line)
            if not m:
                continue
            kind, name = m.group("kind"), m.group("name")
            indent = len(m.group("indent"))
            if kind in ("module", "currentmodule"):
                current_module = name
                owner = None
                continue
            if kind not in _OBJECT_KINDS or current_module != modname:
                continue
            if owner is not None and indent <= owner[0]:
                owner = None
            if owner is not None and "." not in name:
                full = f"{owner[1]}.{name}"
            else:
                full = name
            names.add(full)
            if kind in ("class", "exception"):
                owner = (indent, name)
    return names


_SIGNATURE = re.compile(
    r"^(?P<indent>\s*)\.\. py:(?P<kind>\w+)::\s*(?P<name>[\w.]+)\((?P<args>.*)\)\s*$"
)


def documented_parameters(modname):
    """{name: [parameter names, "/", "*"]} from the reference's signatures."""
    path = os.path.join(ROOT, MODULES[modname][1])
    found = {}
    current_module = None
    owner = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = _DIRECTIVE.match(line)
            if not m:
                continue
            kind, name = m.group("kind"), m.group("name")
            indent = len(m.group("indent"))
            if kind in ("module", "currentmodule"):
                current_module, owner = name, None
                continue
            if current_module != modname:
                continue
            if owner is not None and indent <= owner[0]:
                owner = None
            full = f"{owner[1]}.{name}" if owner is not None and "." not in name else name
            sig = _SIGNATURE.match(line)
            if sig:
                params = [p.split("=")[0].strip() for p in sig.group("args").split(",")]
                found[full] = [p if p in ("*", "/") else p.lstrip("*")
                               for p in params if p]
            if kind in ("class", "exception"):
                owner = (indent, name)
    return found


def stub_parameters(modname):
    """{name: [parameter names]} of the stub's functions, methods and
    constructors (a class's entry is its __new__, or its __init__)."""
    path = os.path.join(ROOT, MODULES[modname][0])
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)

    def names(fn):
        # Parameter names, with "/" after the positional-only ones and "*"
        # before keyword-only ones, as a signature in the reference writes them.
        args = fn.args
        posonly = [a.arg for a in args.posonlyargs if a.arg not in ("self", "cls")]
        result = posonly + (["/"] if posonly else [])
        result += [a.arg for a in args.args if a.arg not in ("self", "cls")]
        if args.vararg:
            result.append(args.vararg.arg)
        elif args.kwonlyargs:
            result.append("*")
        result += [a.arg for a in args.kwonlyargs]
        if args.kwarg:
            result.append(args.kwarg.arg)
        return result

    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _public(node.name):
            found[node.name] = names(node)
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                if item.name == "__new__" or (item.name == "__init__" and node.name not in found):
                    found[node.name] = names(item)
                elif _public(item.name):
                    found[f"{node.name}.{item.name}"] = names(item)
    return found


def _instance_attributes(modname):
    """Class members the stub declares without a value ("errors: list")."""
    path = os.path.join(ROOT, MODULES[modname][0])
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and item.value is None
                        and isinstance(item.target, ast.Name)):
                    found.add(f"{node.name}.{item.target.id}")
    return found


# Parameters the stubs declare (pyOpenSSL 26.4 has them) that the build may
# not take yet, e.g. {"OpenSSL.SSL.Connection.get_client_ca_list":
# "as_cryptography"}.  Allowed only while the built function lacks them.
PENDING_PARAMETERS = {}


def pending_parameters():
    """Stubtest allowlist lines for the PENDING_PARAMETERS not built yet."""
    lines = []
    for dotted, parameter in sorted(PENDING_PARAMETERS.items()):
        parts = dotted.split(".")
        obj = importlib.import_module(".".join(parts[:2]))  # OpenSSL.<module>
        for part in parts[2:]:
            obj = getattr(obj, part, None)
        if obj is None:
            continue  # the whole name is pending, and listed as such
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if parameter not in params:
            lines.append(dotted)
    return lines


def _stub_classes_with_init(modname):
    path = os.path.join(ROOT, MODULES[modname][0])
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)
            and any(isinstance(item, ast.FunctionDef) and item.name == "__init__"
                    for item in node.body)}


def pending(modname):
    """Stubbed names the built module does not have yet, as stubtest sees them."""
    module = importlib.import_module(modname)
    built = runtime_names(modname)
    instance_attributes = _instance_attributes(modname)
    missing = set()
    # A C type that takes its arguments in tp_new has no __init__ of its own;
    # stubtest then checks the stub's __new__, and its __init__ waits until
    # the type gets one.
    for name in _stub_classes_with_init(modname):
        cls = getattr(module, name, None)
        if isinstance(cls, type) and "__init__" not in vars(cls) and \
                not issubclass(cls, BaseException):
            missing.add(f"{name}.__init__")
    for name in sorted(stub_names(modname, reexports=False)):
        top = name.split(".")[0]
        if top not in built:
            missing.add(top)
        elif name not in built and "." in name:
            cls = getattr(module, top)
            # An attribute set on each instance (an exception's "errors") is
            # not on the class; stubtest does not look for it where
            # instances have a __dict__.
            if name in instance_attributes and getattr(cls, "__dictoffset__", 0):
                continue
            missing.add(name)
    return missing


def tutorial_blocks(section_title):
    """The python code blocks of one section of doc/tutorial.rst, dedented."""
    with open(os.path.join(ROOT, "doc", "tutorial.rst"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = lines.index(section_title)
    blocks, current, in_section = [], None, True
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if i + 1 < len(lines) and set(lines[i + 1]) == {"-"} and line.strip():
            in_section = False  # the next section's title
        if not in_section:
            break
        if line.startswith(".. code-block:: python"):
            current = []
            blocks.append(current)
        elif current is not None:
            if line and not line.startswith("   "):
                current = None
            else:
                current.append(line[3:])
    return [textwrap.dedent("\n".join(b)) for b in blocks]


TUTORIAL_SECTIONS = [
    "Make a CA and certificates",
    "Capture and check the peer's chain",
    "TLS over a Python object",
    "TLS over memory buffers in an event loop",
]


def write_tutorial_scripts(directory):
    """One script per tutorial section, for a type checker to read."""
    os.makedirs(directory, exist_ok=True)
    pki = "\n".join(tutorial_blocks(TUTORIAL_SECTIONS[0]))
    for i, title in enumerate(TUTORIAL_SECTIONS):
        code = "\n".join(tutorial_blocks(title))
        if i == 1:  # uses the files and objects the first section made
            code = pki + "\n" + code
        with open(os.path.join(directory, f"tutorial_{i}.py"), "w", encoding="utf-8") as f:
            f.write(code)


def main(argv):
    if len(argv) == 3 and argv[1] == "--tutorial":
        write_tutorial_scripts(argv[2])
        return 0
    if argv[1:] != ["--pending"]:
        sys.stderr.write("usage: apinames.py --pending | --tutorial DIR\n")
        return 2
    sys.path.insert(0, ROOT)
    lines = []
    for modname in MODULES:
        lines += [f"{modname}.{n}" for n in sorted(pending(modname))]
    lines += pending_parameters()
    for modname in PYTHON_MODULES:
        try:
            importlib.import_module(modname)
        except Exception as exc:  # waits on a C module name that is pending
            sys.stderr.write(f"pending: {modname} does not import yet: {exc!r}\n")
            lines.append(modname)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Build the three extension modules of the OpenSSL package.

Environment:
  OPENSSL_DIR      prefix of another OpenSSL 3.x (include/ and lib/ or lib64/)
  OSSL_WERROR=1    treat warnings as errors (CI and `make`)
  OSSL_SANITIZE=1  build with AddressSanitizer + UndefinedBehaviorSanitizer
"""
import glob
import os

from setuptools import Extension, setup

include_dirs = []
library_dirs = []
runtime_library_dirs = []
prefix = os.environ.get("OPENSSL_DIR")
if prefix:
    include_dirs.append(os.path.join(prefix, "include"))
    for lib in ("lib64", "lib"):
        path = os.path.join(prefix, lib)
        if os.path.isdir(path):
            library_dirs.append(path)
            runtime_library_dirs.append(path)

compile_args = ["-std=gnu11", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
                "-Wno-cast-function-type", "-fvisibility=hidden"]
link_args = []
if os.environ.get("OSSL_WERROR") == "1":
    compile_args.append("-Werror")
if os.environ.get("OSSL_SANITIZE") == "1":
    flags = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
             "-fno-sanitize-recover=undefined", "-O1", "-g"]
    compile_args += flags
    link_args += flags


def extension(name, folder):
    sources = sorted(glob.glob(f"OpenSSL/{folder}/*.c"))
    sources += sorted(glob.glob("OpenSSL/_common/*.c"))
    headers = glob.glob("OpenSSL/_common/*.h") + glob.glob(f"OpenSSL/{folder}/*.h")
    headers += glob.glob("OpenSSL/include/*.h")
    return Extension(
        name,
        sources=sources,
        depends=headers,
        include_dirs=include_dirs,
        library_dirs=library_dirs,
        runtime_library_dirs=runtime_library_dirs,
        libraries=["ssl", "crypto"],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        define_macros=[("OPENSSL_API_COMPAT", "30000"),
                       ("OPENSSL_NO_DEPRECATED", None)],
    )


setup(
    ext_modules=[
        extension("OpenSSL.crypto", "crypto"),
        extension("OpenSSL.SSL", "ssl"),
        extension("OpenSSL.rand", "rand"),
    ],
)

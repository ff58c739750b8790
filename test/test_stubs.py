"""The type stubs (OpenSSL/*.pyi) cover everything the built modules offer."""
import ast
import importlib
import os
import unittest

from apinames import MODULES, ROOT, documented_names, runtime_names, stub_names


class StubCoverageTests(unittest.TestCase):
    def test_every_built_name_is_stubbed(self):
        for modname in MODULES:
            with self.subTest(module=modname):
                missing = runtime_names(modname) - stub_names(modname)
                self.assertEqual(sorted(missing), [],
                                 f"{modname} has names its stub does not declare")

    def test_every_stubbed_name_is_in_the_api_reference(self):
        # A stubbed name that is not built yet must at least be part of the
        # documented API, so a typo in a stub cannot hide as "pending".
        for modname in MODULES:
            with self.subTest(module=modname):
                extra = stub_names(modname) - documented_names(modname)
                self.assertEqual(sorted(extra), [],
                                 f"{modname} stub declares names the reference lacks")

    def test_stub_aliases_are_the_same_objects_at_runtime(self):
        # "X509Type = X509" in a stub promises that both names are one type.
        for modname, (pyi, _) in MODULES.items():
            module = importlib.import_module(modname)
            with open(os.path.join(ROOT, pyi), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                    continue
                alias, target = node.targets[0].id, node.value.id
                if hasattr(module, alias) and hasattr(module, target):
                    with self.subTest(name=f"{modname}.{alias}"):
                        self.assertIs(getattr(module, alias), getattr(module, target))


class PackagingTests(unittest.TestCase):
    def test_stubs_and_marker_are_package_data(self):
        # Type checkers only use the stubs of an installed package if the
        # wheel carries both the .pyi files and the py.typed marker.
        for name in ("crypto.pyi", "SSL.pyi", "rand.pyi", "py.typed"):
            self.assertTrue(os.path.isfile(os.path.join(ROOT, "OpenSSL", name)), name)
        with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
            pyproject = f.read()
        self.assertIn('"*.pyi"', pyproject)
        self.assertIn('"py.typed"', pyproject)

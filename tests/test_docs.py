"""Every public name has a runnable example.

"Public" is precise: each module under ``semtrust/`` declares ``__all__`` — the stage entry points
and the objects they return, what a user or another stage calls. Every function, class or module
in an ``__all__`` (and in ``semtrust.__all__``), and every public method and property of the
objects the API returns (:class:`~semtrust.results.Study`, the fitted models, the PROCESS and
power results), has a docstring with a ``>>>`` example; ``--doctest-modules`` runs them in CI.
Names outside ``__all__`` without an underscore are shared within the package only.
"""
import importlib
import inspect
import pkgutil
import types

import pytest

import semtrust

RESULT_CLASSES = ("semtrust.results:Study", "semtrust.estimation.base:FittedModel",
                  "semtrust.estimation.ml:SEMResults", "semtrust.estimation.ordinal:OrdinalResults",
                  "semtrust.structural.multigroup:GroupedModel", "semtrust.structural.moderation:ProcessResult",
                  "semtrust.power.results:PowerResult")


def modules() -> list[types.ModuleType]:
    names = ["semtrust"] + [m.name for m in pkgutil.walk_packages(semtrust.__path__, "semtrust.")]
    return [importlib.import_module(name) for name in sorted(names)]


def has_example(obj) -> bool:
    return ">>>" in (inspect.getdoc(obj) or "")


def documented(obj) -> bool:
    """Functions, classes and modules carry docstrings; constants in ``__all__`` are described by
    their module's docstring."""
    return inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj)


def missing_examples(module: types.ModuleType) -> list[str]:
    found = []
    for name in module.__all__:
        obj = getattr(module, name)
        if documented(obj) and not has_example(obj):
            found.append(f"{module.__name__}.{name}")
    return found


def public_members(cls: type) -> dict:
    """The methods and properties a user calls on ``cls`` (defined on it, not inherited)."""
    return {name: value for name, value in vars(cls).items() if not name.startswith("_")
            and (inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod))
                 or hasattr(value, "func"))}   # functools.cached_property


def member_doc(value):
    return value.__func__ if isinstance(value, (classmethod, staticmethod)) else getattr(value, "func", value)


def test_every_module_declares_all():
    undeclared = [m.__name__ for m in modules() if not hasattr(m, "__all__")]
    assert not undeclared, "no __all__ in: " + ", ".join(undeclared)


def test_every_name_in_all_exists():
    unknown = [f"{m.__name__}.{n}" for m in modules() for n in getattr(m, "__all__", ()) if not hasattr(m, n)]
    assert not unknown, "__all__ names what the module lacks: " + ", ".join(unknown)


def test_every_public_name_has_an_example():
    missing = [name for module in modules() if hasattr(module, "__all__") for name in missing_examples(module)]
    assert not missing, "no >>> example in the docstring of: " + ", ".join(missing)


@pytest.mark.parametrize("path", RESULT_CLASSES)
def test_every_result_member_has_an_example(path):
    module, name = path.split(":")
    cls = getattr(importlib.import_module(module), name)
    missing = [f"{name}.{member}" for member, value in public_members(cls).items()
               if not has_example(member_doc(value))]
    assert not missing, "no >>> example in the docstring of: " + ", ".join(missing)


def test_the_check_can_fail():
    """A module whose ``__all__`` names a function without an example is reported by name."""
    module = types.ModuleType("semtrust.fake")
    module.__all__ = ["documented", "bare", "LIMIT"]
    module.documented = lambda: None
    module.documented.__doc__ = "Add.\n\n>>> 1 + 1\n2\n"
    module.bare = lambda: None
    module.bare.__doc__ = "No example."
    module.LIMIT = 3
    assert missing_examples(module) == ["semtrust.fake.bare"]

"""The package's shape: its stable import paths, and layers that import only
downwards (estimators -> fit loop -> optim -> kernels; reference beside the
kernels; nothing imports the estimators but the package root and the CLI)."""
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import fastgd

PACKAGE = Path(fastgd.__file__).resolve().parent


@pytest.mark.parametrize("path, name", [
    ("fastgd", "LinearRegression"), ("fastgd", "LogisticRegression"),
    ("fastgd", "SoftmaxRegression"), ("fastgd", "MLPClassifier"), ("fastgd", "MLPRegressor"),
    ("fastgd", "minimize"), ("fastgd", "check_grad"), ("fastgd", "DivergenceError"),
    ("fastgd.kernels", "loss_gradient"), ("fastgd.kernels", "epoch"),
    ("fastgd.kernels", "sgd_epoch"), ("fastgd.kernels", "minibatch_epoch"),
    ("fastgd.kernels", "shuffled_order"), ("fastgd.kernels", "init_state"),
    ("fastgd.mlp_kernels", "epoch"), ("fastgd.mlp_kernels", "loss_gradient"),
    ("fastgd.kernels.mlp", "predict"), ("fastgd.functions", "Rosenbrock"),
    ("fastgd.optim.functions", "FUNCTIONS"), ("fastgd.plotting", "plot_trajectory"),
    ("fastgd.reference", "loss_gradient"), ("fastgd.reference", "epoch"),
    ("fastgd.reference", "rule_step"), ("fastgd.reference.mlp", "epoch"),
    ("fastgd.optim", "make_rule"), ("fastgd.optim", "UpdateRule"),
    ("fastgd.optim", "OPTIMIZERS"), ("fastgd.optim", "minimize"),
    ("fastgd.linear_model", "LogisticRegression"), ("fastgd.neural_network", "MLPClassifier"),
    ("fastgd.datasets", "make_problem"), ("fastgd.exceptions", "ConvergenceWarning"),
    ("fastgd", "EpochRecord"), ("fastgd", "ProgressBar"), ("fastgd", "FitInterruptedWarning"),
    ("fastgd.callbacks", "EpochRecord"), ("fastgd.exceptions", "FitInterruptedWarning"),
])
def test_public_import_path(path, name):
    module = importlib.import_module(path)
    assert hasattr(module, name), f"{path}.{name}"


def test_kept_module_paths_name_the_subpackage_modules():
    import fastgd.functions
    import fastgd.mlp_kernels
    from fastgd import functions, mlp_kernels
    assert fastgd.mlp_kernels is mlp_kernels is fastgd.kernels.mlp
    assert fastgd.functions is functions is fastgd.optim.functions


def test_kept_module_paths_in_a_fresh_interpreter():
    # the aliases must work as the first import, before anything else loaded them
    code = ("from fastgd.mlp_kernels import epoch; import fastgd.functions as f; "
            "import fastgd.kernels.mlp as m; assert epoch is m.epoch and f.Rosenbrock")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_root_keeps_only_the_public_face():
    files = sorted(p.name for p in PACKAGE.iterdir()
                   if p.is_file() and p.suffix in (".py", ".pyx", ".pxd", ".h"))
    assert len(files) <= 10, files
    for sub in ("linear_model", "neural_network", "optim", "kernels", "reference", "cli"):
        assert (PACKAGE / sub / "__init__.py").is_file(), sub


# Each layer and the layers it may import (fastgd-internal imports only).
ALLOWED = {
    "kernels": {"kernels", "_validation", "exceptions"},
    "reference": {"reference", "kernels", "_validation"},
    "optim": {"optim", "kernels", "_validation", "exceptions"},
    "_fit": {"kernels", "optim", "_validation", "_sklearn_compat", "exceptions", "callbacks"},
    "linear_model": {"linear_model", "_fit", "kernels", "optim", "_validation",
                     "_sklearn_compat", "exceptions", "dask"},
    "neural_network": {"neural_network", "_fit", "kernels", "optim", "reference", "_validation",
                       "_sklearn_compat", "exceptions", "dask"},
    # the scale-out on Dask: below the estimators (which hand it their
    # parameters), beside the fit loop, on the kernels
    "dask": {"dask", "kernels", "optim", "reference", "_validation", "exceptions"},
    "_validation": {"exceptions"},
    "exceptions": set(),
    "callbacks": set(),
    "datasets": {"_validation"},
}


def _layer(path):
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def _imported_layers(path):
    """The fastgd layers a module imports, resolved from its relative and
    absolute imports (also those inside functions)."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = module[:-1]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + tuple((node.module or "").split(".")) if node.module else base
            elif node.module and node.module.split(".")[0] == "fastgd":
                target = tuple(node.module.split("."))
            else:
                continue
            if len(target) > 1:
                yield target[1]
            else:
                yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "fastgd" and len(parts) > 1:
                    yield parts[1]


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py")
                                        if _layer(p) in ALLOWED),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_import_only_downwards(path):
    layer = _layer(path)
    imported = {Path(name).stem for name in _imported_layers(path)}
    assert imported <= ALLOWED[layer], f"{layer} imports {sorted(imported - ALLOWED[layer])}"

"""The one command-line entry: ``mammofm <verb>``.

Each part of mammofm owns one module here with a ``register(app)`` function that adds its
verbs; heavy imports happen inside the verbs, so ``mammofm --help`` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

app = typer.Typer(
    name="mammofm",
    help="Breast-imaging foundation models: DICOM -> training data, BI-RADS reports, "
    "Mammo-CLIP pretraining, multi-task benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """mammofm: run `mammofm <verb> --help` for each verb."""


#: command modules, in the order their verbs appear in --help
COMMAND_MODULES: tuple[str, ...] = (
    "demo", "preprocess", "data", "synth", "reports", "models", "downstream", "bench",
)

_here = Path(__file__).parent
for _name in COMMAND_MODULES:
    if (_here / f"{_name}.py").exists():  # parts land one at a time
        importlib.import_module(f"{__name__}.{_name}").register(app)


@app.command("version")
def version() -> None:
    """Print the mammofm version."""
    from mammofm import __version__

    typer.echo(__version__)


def main() -> None:
    app()

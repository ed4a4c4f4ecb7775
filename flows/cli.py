"""The `forewarn` command line: one thin command per job over the documented Python functions."""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click.exceptions import ClickException

from forewarn.errors import InputError

__all__ = ["app", "main"]

app = typer.Typer(
    name="forewarn",
    help="Crisis-context risk scores for anti-trafficking preparedness. With no --config, "
         "every command uses the embedded demo world (fictional data, labelled as such).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="Project config (TOML). Default: the embedded demo world.",
                 dir_okay=False),
]


def _say(text=""):
    typer.echo(text, err=True)


@app.command()
def validate(config: ConfigOption = None):
    """Check every input (config, catalogue, regions, observations, outcome, crisis events);
    publish nothing. Exit 0 when all is well, 2 listing every problem otherwise."""
    from forewarn.flows._api import validate as _validate

    start = time.perf_counter()
    project = _validate(config)
    where = config or "embedded demo world"
    typer.echo(f"forewarn validate: {where}: all inputs are valid "
               f"({time.perf_counter() - start:.1f} s)")
    for line in project.summary():
        typer.echo(f"  {line}")


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="New folder to write the project into.",
                                                   file_okay=False)]):
    """Write the demo world as an editable project folder (config, catalogue, regions,
    observations, outcome, crisis events, README) - the template for your own data."""
    from forewarn.flows._api import init as _init

    path = _init(directory)
    typer.echo(f"forewarn init: wrote the demo project to {directory}/")
    typer.echo(f"  next: forewarn validate --config {path}")


def main(argv=None):
    """Entry point of the console script: maps errors to exit codes (2 input or usage, 1 internal).

    Raises ``SystemExit`` with the exit status, as a console script does.
    """
    raise SystemExit(_run(argv))


def _run(argv):
    try:
        app(args=argv, standalone_mode=False)
    except InputError as exc:
        n = len(exc.problems)
        _say(f"forewarn: {n} input problem{'s' if n != 1 else ''}; nothing was published.")
        for p in exc.problems:
            _say(f"  - {p}")
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _say("forewarn: aborted.")
        return 130
    except ClickException as exc:  # usage errors: unknown command or option, bad argument
        exc.show()
        return exc.exit_code
    except Exception as exc:  # the last line of defence: no traceback unless asked for
        if os.environ.get("FOREWARN_DEBUG"):
            traceback.print_exc()
        _say(f"forewarn: internal error: {type(exc).__name__}: {exc}")
        _say("  This is a bug in forewarn, not in your input. Re-run with FOREWARN_DEBUG=1 for "
             "the traceback and report it.")
        return 1
    return 0

"""The `forewarn` command line: one thin command per job over the documented Python functions."""

from __future__ import annotations

import os
import re
import time
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from forewarn.errors import InputError

__all__ = ["app", "main"]

# Usage errors (unknown command or option, bad argument) derive from click's ClickException,
# which typer vendors privately: found through its public BadParameter rather than imported.
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

app = typer.Typer(
    name="forewarn",
    help="Crisis-context risk scores for anti-trafficking preparedness. With no --config, "
         "every command uses the embedded demo world (fictional data, labelled as such).",
    no_args_is_help=True,
    add_completion=False,
    # Plain help text: rich markup would swallow "[output] dir" and "[schedules]" as tags.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="Project config (TOML). Default: the embedded demo world.",
                 dir_okay=False),
]


#: Control characters (C0 but newline and tab, DEL, C1): a region name holding terminal escape
#: sequences must not retitle or corrupt the analyst's terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


#: Problems printed one by one; the rest are counted.
_MAX_PROBLEMS = 50


def _echo(text="", err=False):
    """Print data-bearing text with control characters removed."""
    typer.echo(_CONTROL.sub("", str(text)), err=err)


def _say(text=""):
    _echo(text, err=True)


@app.command()
def validate(config: ConfigOption = None):
    """Check every input (config, catalogue, regions, observations, outcome, crisis events);
    publish nothing. Exit 0 when all is well, 2 listing every problem otherwise."""
    from forewarn.flows._api import validate as _validate

    start = time.perf_counter()
    project = _validate(config)
    where = config or "embedded demo world"
    _echo(f"forewarn validate: {where}: all inputs are valid "
               f"({time.perf_counter() - start:.1f} s)")
    for line in project.summary():
        _echo(f"  {line}")


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="New folder to write the project into.",
                                                   file_okay=False)],
         grid: Annotated[bool, typer.Option("--grid", help="Write the grid world (square "
                                            "cells, indicators in a Zarr cube) for scale work "
                                            "instead of the demo world.")] = False,
         rows: Annotated[int, typer.Option("--rows", min=2, help="Grid rows.")] = 260,
         cols: Annotated[int, typer.Option("--cols", min=2, help="Grid columns.")] = 250,
         months: Annotated[int, typer.Option("--months", min=48, help="Grid months.")] = 360,
         example: Annotated[Optional[str], typer.Option(
             "--example", help="Write a real-data example instead: 'countries' (countries x "
             "years 2005-2025 with the UNODC GLOTIP outcome), built from --data or --cache.")]
         = None,
         data: Annotated[Optional[Path], typer.Option(
             "--data", help="With --example: a folder laid out like shared/data/real "
             "(default: the shared folder beside the repository, when there).",
             file_okay=False)] = None,
         cache: Annotated[Optional[Path], typer.Option(
             "--cache", help="With --example: a `forewarn fetch` cache folder.",
             file_okay=False)] = None):
    """Write the demo world as an editable project folder (config, catalogue, regions,
    observations, outcome, crisis events, README) - the template for your own data. With
    --grid: the grid world (default 65,000 cells x 360 months) for `forewarn run --dask local`.
    With --example countries: the real-countries project, built from the public files."""
    from forewarn.flows._api import init as _init

    if example is not None:
        from forewarn.flows._examples import init_example

        typer.echo(f"forewarn init: building the {example!r} example from the public files ...")
        path, built = init_example(directory, example, data=data, cache=cache)
        for line in built.summary():
            typer.echo(f"  {line}")
        typer.echo(f"forewarn init: wrote the {example} example to {directory}/ (real data: "
                   "detected trafficking measures detection as much as trafficking)")
        typer.echo(f"  next: forewarn validate --config {path}")
        return
    if grid:
        _echo(f"forewarn init: generating a {rows} x {cols} grid over {months} months ...")
    path = _init(directory, (rows, cols, months) if grid else None)
    _echo(f"forewarn init: wrote the {'grid' if grid else 'demo'} project to {directory}/")
    _echo(f"  next: forewarn validate --config {path}")


OutOption = Annotated[
    Optional[Path],
    typer.Option("--out", "-o", help="Output folder (default: the config's [output] dir, "
                 "./forewarn-out for the demo).", file_okay=False),
]


def _start_prefect():
    """Prefect's server starts first, beside the imports and checks that follow (see
    forewarn.flows._prefect)."""
    from forewarn.flows._prefect import start_temporary_server

    start_temporary_server()


@app.command()
def run(config: ConfigOption = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Forecast date YYYY-MM-DD "
                                                     "(default: the config's, else today).")]
        = None,
        out: OutOption = None,
        dask: Annotated[Optional[str], typer.Option(
            "--dask", help="Run the panel and features on Dask: 'local' (a LocalCluster sized "
            "to this machine) or a scheduler address tcp://host:8786.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False):
    """Run the full forecast flow and publish a run folder (scores, explanations, report, maps)."""
    _start_prefect()
    from forewarn.flows._api import run as _run_api

    start = time.perf_counter()
    result = _run_api(config, as_of=as_of, out=out, dask=dask, quiet=quiet)
    s = result.scores
    _echo(f"forewarn run: published {result.run_dir} ({time.perf_counter() - start:.0f} s)")
    if result.project.config.demo:
        _echo(f"  {result.project.label}")
    h = min(result.project.config.horizons)  # the horizon the report opens on
    top = s[s["horizon"] == h].sort_values(
        "probability" if s["probability"].notna().any() else "index_score", ascending=False)
    _echo(f"  highest risk, {h}-month horizon:")
    for _, r in top.head(5).iterrows():
        flag = "  (low reliability)" if r["low_reliability"] else ""
        prob = (f"{r['probability']:.0%} [{r['lower']:.0%}-{r['upper']:.0%}]"
                if r["probability"] == r["probability"] else "index only")
        _echo(f"    {r['region_id']:<8} {str(r['name']):<18} {prob:<18} "
                   f"{r['risk_class']:<9} index {r['index_score']:.1f}{flag}")
    _echo(f"  report: {result.run_dir / 'report.html'}")


@app.command()
def backtest(config: ConfigOption = None, out: OutOption = None,
             dask: Annotated[Optional[str], typer.Option(
                 "--dask", help="Run the origins on Dask: 'local' (a LocalCluster sized to "
                 "this machine) or a scheduler address tcp://host:8786. Without it they run "
                 "in worker processes ([backtest] workers).")] = None,
             quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")]
             = False):
    """Rolling-origin backtest: rebuild the panel as of each origin, train, forecast, score
    against base rate, persistence, the index alone (and the demo world's true probabilities)."""
    _start_prefect()
    from forewarn.flows._api import backtest as _backtest_api

    result = _backtest_api(config, out=out, quiet=quiet, dask=dask)
    _echo(f"forewarn backtest: tables in {result.path}")


RunOption = Annotated[
    Optional[Path],
    typer.Option("--run", help="Run folder (default: the newest run, OUT/latest).",
                 file_okay=False),
]


@app.command()
def explain(region_id: Annotated[str, typer.Argument(help="Region id, e.g. XA05.")],
            run: RunOption = None, config: ConfigOption = None,
            top: Annotated[int, typer.Option("--top", help="Drivers per side.")] = 5):
    """Why a region scores as it does: probability, interval, drivers up and down (exact
    log-odds contributions), and what changed since the previous run."""
    from forewarn.flows._explain import explain_region

    _echo(explain_region(region_id, run, config, top))


@app.command()
def scenario(region_id: Annotated[str, typer.Argument(help="Region id, e.g. XA05.")],
             set_: Annotated[Optional[list[str]], typer.Option(
                 "--set", help="INDICATOR=VALUE: the indicator's value at the forecast date "
                 "(repeat for several).")] = None,
             crisis: Annotated[Optional[str], typer.Option(
                 "--crisis", help="KIND:PEOPLE, e.g. conflict:50000 - a crisis of that kind "
                 "starting in the forecast month and displacing that many people.")] = None,
             run: RunOption = None, config: ConfigOption = None):
    """Re-score one region with changed inputs and explain the difference, e.g.
    'forewarn scenario XA05 --set response_tier=1'."""
    from forewarn.flows._scenario import scenario_text

    _echo(scenario_text(region_id, set_ or [], crisis, run, config))


@app.command()
def serve(config: ConfigOption = None, out: OutOption = None,
          port: Annotated[int, typer.Option(help="Port of the local Prefect server started "
                                            "when PREFECT_API_URL is not set.")] = 4200):
    """Serve the forecast and backtest flows on the config's [schedules] (cron). Starts and
    supervises a local Prefect server on 127.0.0.1 unless PREFECT_API_URL is set. Ctrl-C stops."""
    from forewarn.flows._serve import serve as _serve

    _serve(config, out, port)


@app.command("config")
def config_(config: ConfigOption = None,
            schema: Annotated[bool, typer.Option("--schema", help="Print the JSON schema of "
                                                 "a config file instead.")] = False,
            reference: Annotated[bool, typer.Option("--reference", help="Print the reference "
                                                    "of every section and field (Markdown, "
                                                    "docs/config.md) instead.")] = False):
    """Print the checked config as JSON (paths resolved, defaults filled in); with --schema
    the JSON schema of a config file, with --reference its Markdown reference."""
    import json

    if schema and reference:
        raise typer.BadParameter("give --schema or --reference, not both.")
    if schema or reference:
        from forewarn.flows._schema import config_reference, config_schema

        _echo(json.dumps(config_schema(), indent=2) if schema else config_reference())
        return
    from forewarn.flows._api import resolve_config

    _echo(json.dumps(resolve_config(config).describe(), indent=2, default=str))


@app.command()
def fetch(sources: Annotated[list[str], typer.Argument(help="Source names (see --list).")]
          = None,
          cache: Annotated[Path, typer.Option("--cache", help="Download folder.",
                                              file_okay=False)] = Path("forewarn-data"),
          list_: Annotated[bool, typer.Option("--list", help="List the sources.")] = False):
    """Download public data (World Bank, UNHCR, IDMC, UCDP, TIP tiers, Natural Earth, ACLED)
    into a local cache, with the download date recorded as the vintage. The only command that
    uses the network."""
    from forewarn.features.sources import SOURCES
    from forewarn.features.sources import fetch as _fetch

    if list_ or not sources:
        for name, src in SOURCES.items():
            _echo(f"  {name:<16} {src.description} ({src.licence})")
        if not sources:
            return
    paths = _fetch(sources, cache)
    for p in paths:
        _echo(f"  {p}")
    _echo(f"forewarn fetch: {len(paths)} file(s) in {cache}/")


def main(argv=None):
    """Entry point of the console script: maps errors to exit codes (2 input or usage, 1 internal).

    Raises ``SystemExit`` with the exit status, as a console script does.
    """
    raise SystemExit(_run(argv))


def _run(argv):
    from forewarn._threads import prefer_passive_waiting
    from forewarn.flows._interrupt import Interrupted, guard, interrupted

    prefer_passive_waiting()  # before scikit-learn's OpenMP runtime loads

    try:
        with guard():
            app(args=argv, standalone_mode=False)
            if interrupted() is not None:  # a signal some library swallowed
                raise Interrupted(interrupted())
    except (Interrupted, KeyboardInterrupt, typer.Abort) as exc:
        what = getattr(exc, "signum", None) == 15 and "terminated (SIGTERM)" or \
            "interrupted (Ctrl-C)"
        _say(f"forewarn: {what}; nothing was published and the latest run is unchanged.")
        return 130
    except InputError as exc:
        n = len(exc.problems)
        _say(f"forewarn: {n} input problem{'s' if n != 1 else ''}; nothing was published.")
        for p in exc.problems[:_MAX_PROBLEMS]:
            _say(f"  - {p}")
        if n > _MAX_PROBLEMS:
            _say(f"  ... and {n - _MAX_PROBLEMS:,} more; fix these first (`forewarn validate` "
                 "lists them again).")
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:  # usage errors: unknown command or option, bad argument
        exc.show()
        return exc.exit_code
    except Exception as exc:  # the last line of defence: no traceback unless asked for
        if type(exc).__name__ == "PublishError":  # disk full, I/O: the message says where
            _say(f"forewarn: {exc}")
            return 2
        if "ephemeral Prefect API server" in str(exc):
            _say("forewarn: Prefect's local server did not start in time (a busy machine?); "
                 "nothing was published. Re-run, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT"
                 "_SECONDS (now "
                 f"{os.environ.get('PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS', '90')} s), "
                 "or point PREFECT_API_URL at a running server (`prefect server start`).")
            return 1
        if os.environ.get("FOREWARN_DEBUG"):
            traceback.print_exc()
        _say(f"forewarn: internal error: {type(exc).__name__}: {exc}")
        _say("  This is a bug in forewarn, not in your input. Re-run with FOREWARN_DEBUG=1 for "
             "the traceback and report it.")
        return 1
    return 0

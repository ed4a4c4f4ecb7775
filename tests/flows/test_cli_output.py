"""What the console shows: control characters removed, explained drivers that add up."""

from __future__ import annotations

import pandas as pd

from forewarn.flows._explain import _driver_lines
from forewarn.flows.cli import _echo


def test_terminal_escape_sequences_are_not_printed(capsys):
    _echo("XA01 \x1b]0;pwned\x07Limorban\x1b[2J\x9b done\nnext\tline")
    out = capsys.readouterr().out
    assert out == "XA01 ]0;pwnedLimorban[2J done\nnext\tline\n"
    assert "\x1b" not in out and "\x07" not in out


def _drivers():
    rows = [("up", 1, "a", 0.40), ("up", 2, "b", 0.07), ("up", 3, "c", 0.002),
            ("down", 1, "d", -0.30), ("down", 2, "e", -0.004), ("down", 3, "f", -0.05)]
    return pd.DataFrame([{"direction": s, "rank": k, "feature": f, "contribution": c,
                          "text": f"{f}: {c:+.2f} log-odds"} for s, k, f, c in rows])


def test_drivers_shown_by_size_and_the_rest_add_up():
    total = 1.86
    lines = _driver_lines(_drivers(), top=2, total=total)
    assert lines == ["  drivers that raise the risk:", "    a: +0.40 log-odds",
                     "    b: +0.07 log-odds", "  drivers that lower the risk:",
                     "    d: -0.30 log-odds", "    f: -0.05 log-odds",
                     "  all other features together: +1.74 log-odds"]
    printed = sum(float(x.rsplit(": ", 1)[1].split()[0]) for x in lines if "log-odds" in x)
    assert abs(printed - total) < 0.01  # what is printed adds up, to the printed rounding
    assert not any("-0.00" in x or "+0.00 log-odds" in x for x in lines[:-1])


def test_help_is_plain_text_and_loads_no_data_stack():
    import subprocess
    import sys

    probe = ("import sys; from forewarn.flows.cli import main\n"
             "try:\n    main(['serve', '--help'])\nexcept SystemExit as e:\n    code = e.code\n"
             "heavy = sorted(m for m in ('pandas', 'xarray', 'geopandas', 'sklearn', 'prefect')"
             " if m in sys.modules)\nprint('HEAVY', heavy, code)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert "HEAVY [] 0" in done.stdout, done.stdout + done.stderr
    # Bracketed config sections survive (rich markup used to swallow them as tags).
    assert "on the config's [schedules] (cron)" in done.stdout
    assert "the config's [output] dir" in done.stdout


def test_every_option_says_what_it_does(capsys):
    from forewarn.flows.cli import main

    for command in ("run", "backtest", "validate", "explain", "scenario", "serve", "fetch",
                    "init"):
        try:
            main([command, "--help"])
        except SystemExit:
            pass
        text = capsys.readouterr().out
        for line in text.split("Options:")[1].splitlines():
            opt = line.strip()
            # "-q, --quiet          No progress lines.": a name, then its help
            assert not opt.startswith("-") or "  " in opt, (command, opt)


def test_scenario_refuses_a_crisis_kind_the_model_does_not_know():
    import pytest

    from forewarn.errors import InputError
    from forewarn.datasets import demo_catalogue
    from forewarn.flows._scenario import parse_changes

    cat = demo_catalogue()
    assert parse_changes([], "conflict:100", cat) == {"crisis_conflict": 100.0}
    with pytest.raises(InputError, match=r"'war' is not a crisis kind the model knows\. Kinds: "
                       r"conflict, disaster \(\[features\] crisis_kinds\)"):
        parse_changes([], "war:100", cat)
    with pytest.raises(InputError, match=r"'disastr' is not a crisis kind the model knows\. "
                       r"Did you mean 'disaster'\?"):
        parse_changes([], "disastr:100", cat)

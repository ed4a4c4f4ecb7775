"""forewarn: crisis-context risk scores for anti-trafficking preparedness.

The top-level functions are the ones behind the command line, so a notebook gets the same
objects the CLI writes: ``forewarn.run(config)``, ``forewarn.backtest(config)``,
``forewarn.validate(config)``, ``forewarn.init(directory)``. ``run`` returns a
:class:`RunResult` (scores, explanations, drivers, the run folder), ``backtest`` a
:class:`BacktestRun` (metrics against baselines, predictions, the published folder).
"""

__version__ = "0.1.0"

from forewarn._threads import note_openmp  # noqa: E402

# OpenMP reads its wait policy once, when it loads: ask for passive waiting before scikit-learn
# loads it (or note that it already spins); see forewarn._threads.
note_openmp()
del note_openmp

_API = ("run", "backtest", "validate", "init", "RunResult", "BacktestRun")

__all__ = ["__version__", *_API]


def __getattr__(name):
    # Imported lazily: `import forewarn` stays light, and features never import flows.
    if name in _API:
        from forewarn import flows

        return getattr(flows, name)
    raise AttributeError(f"module 'forewarn' has no attribute {name!r}")

"""convgrade: randomized CNN exercises, LMS quizzes, answer checking and a Keras model grader.

Everything the wheel installs lives under this one namespace, so an instructor's own
``exercises/``, ``templates/`` or ``grader/`` folder can never shadow it:

- :mod:`convgrade.exercises` — generators, reference math, marking, problem sets, LMS writers
  (numpy only; never imports TensorFlow),
- :mod:`convgrade.templates` — the Jinja2 templates every format renders from,
- :mod:`convgrade.grader` — assignments, data sets, isolation, training and scoring,
- :mod:`convgrade.cli` — the ``grade`` command, thin over the three above.

>>> from convgrade import exercises
>>> exercises.generate("conv1d", params={"input": [0, 1, 2, 3], "kernel": [1, 2]}).answer["output"]
[2, 5, 8]
"""


def __getattr__(name: str) -> str:
    """``__version__``, read on first use: importing :mod:`importlib.metadata` costs every
    command about 40 ms."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("convgrade")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        return "0+unknown"

"""One module per exercise kind; each defines ``KIND`` (see :mod:`exercises.registry`)."""

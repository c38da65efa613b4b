"""convgrade's `grade` command line, assignments, data sets, isolation, training and scoring.

TensorFlow is imported lazily, only by the commands that train or evaluate a model.
"""

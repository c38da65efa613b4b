"""Reference math in numpy: the answer keys. Checked against TensorFlow/Keras in the tests."""

# The two-command quickstart: `make demo` and `make test`. Each sets up what it needs itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := tests/node/node_modules/.installed

.PHONY: demo serve-demo test lint bench clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The main jobs on embedded, offline defaults: an exercise, a problem set for a small class with
# every LMS export, marking an answer sheet, and grading Keras submissions on the digits data.
demo: $(STAMP)
	$(BIN)/grade kinds
	$(BIN)/grade generate conv2d --seed 1 --solution
	CONVGRADE_SECRET=demo-secret $(BIN)/grade build examples/week3.toml --roster examples/roster.csv --out demo-out/week3
	$(BIN)/grade check examples/answers-example.toml --key examples/key-example.json
	$(BIN)/grade assignments
	$(BIN)/grade submit examples/submissions/digits-cnn/lecture_cnn.py -a digits-cnn --out demo-out/lecture_cnn
	$(BIN)/grade submit examples/submissions/digits-cnn/lecture_cnn.ipynb -a digits-cnn -q --out demo-out/lecture_cnn_ipynb
	$(BIN)/grade submit examples/submissions/digits-cnn/wider_cnn.py -a digits-cnn -q --out demo-out/wider_cnn
	-$(BIN)/grade submit examples/submissions/broken/wrong_output_shape.py -a digits-cnn -q --out demo-out/wrong_output_shape

# The course grading service on http://127.0.0.1:8000 for examples/course.toml (Ctrl-C stops it):
# one token per student of examples/roster.csv in demo-out/service/tokens.csv (the last line is
# the instructor's); sign in with one in the browser, or `grade login` + `grade submit --server`.
serve-demo: $(STAMP)
	mkdir -p demo-out/service
	$(BIN)/grade tokens examples/roster.csv --db sqlite:///demo-out/service/course.db --out demo-out/service/tokens.csv
	$(BIN)/grade serve examples/course.toml --db sqlite:///demo-out/service/course.db --workers 2 --port 8000

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check convgrade exercises grader tests benchmarks docs/*.py setup.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_submit.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf $(VENV) build *.egg-info

# Test-only npm package gift-pegjs (parses the GIFT export), installed under tests/node/.
$(NODE_STAMP): tests/node/package.json
	cd tests/node && npm install --no-save --no-audit --no-fund --silent
	touch $(NODE_STAMP)

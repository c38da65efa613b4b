#!/bin/bash
# Measure one commit with the real importers, as benchmarks/RESULTS.md does:
#   docs/verify/measure_commit.sh REPO REV OUT
# installs REV of REPO (not its work tree) into OUT-site, builds examples/week3.toml (with the
# roster) and examples/all-kinds.toml (--variants 3) with that code into OUT/, and runs run.sh
# on both with that code's grade check. PYSLET_PY, MOODLE, QTIMIG, QTIGEM as for run.sh.
set -u
R=$1; REV=$2; O=$(realpath -m "$3")
V=$(dirname "$(realpath "$0")")
PY=$(realpath -s "${PYTHON:-$V/../../.venv/bin/python}")
export CONVGRADE_SECRET=${CONVGRADE_SECRET:-demo-secret}
C=$(git -C "$R" rev-parse --short "$REV") || exit 2
rm -rf "$O-src" "$O-site" "$O"; mkdir -p "$O-src" "$O"
git -C "$R" archive "$C" | tar -x -C "$O-src"
"$PY" -m pip install -q --no-deps --target "$O-site" "$O-src" > "$O-pip.log" 2>&1 || exit 1
export PYTHONPATH="$O-site"
E="$O-src/examples"
# Build from / so that no convgrade/ folder in the current directory shadows the install.
(cd / && "$PY" -c "from convgrade.cli.main import main; main()" build "$E/week3.toml" \
    --roster "$E/roster.csv" --out "$O/week3" > "$O/build-week3.log" 2>&1) || echo "build failed: $O/build-week3.log"
(cd / && "$PY" -c "from convgrade.cli.main import main; main()" build "$E/all-kinds.toml" \
    --variants 3 --out "$O/allkinds" > "$O/build-allkinds.log" 2>&1) || echo "build failed: $O/build-allkinds.log"
for b in week3 allkinds; do "$V/run.sh" "$O/$b" "$PY" > "$O/$b.run.txt" 2>&1; done
echo "commit $C"
grep -h '^== \|^SUMMARY' "$O/week3.run.txt" "$O/allkinds.run.txt"

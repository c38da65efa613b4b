#!/bin/bash
# Verify one build folder against the real importers (recipe: docs/verify-lms.md).
#   docs/verify/run.sh BUILD_DIR [PYTHON]
# PYTHON: the interpreter whose convgrade reads key.json (default .venv/bin/python).
# MOODLE, QTIMIG, QTIGEM: where Moodle, QTIMigrationTool and the qti gem were unpacked;
# PYSLET_PY: a python with pyslet, to grade the QTI 2.1 items (skipped when unset).
set -u
B=$(realpath "$1"); PY=$(realpath -s "${2:-.venv/bin/python}")
V=$(dirname "$(realpath "$0")")
MOODLE=${MOODLE:-/opt/moodle}; QTIMIG=${QTIMIG:-/opt/qtimig}; QTIGEM=${QTIGEM:-/opt/qti-gem}
"$PY" "$V/responses.py" "$B/key.json" > "$B/responses.json" || exit 1
php "$V/moodle_grade.php" --moodle="$MOODLE" --responses="$B/responses.json" \
    --xml="$B/moodle.xml" --gift="$B/quiz.gift" --out="$B/moodle-results.json" > "$B/moodle-table.txt"
echo "moodle: rc=$? (table: $B/moodle-table.txt)"
cd "$B" && rm -rf canvas qti21 qtimig-out && mkdir canvas qti21 \
    && (cd canvas && unzip -q ../canvas-qti12.zip) && (cd qti21 && unzip -q ../qti21.zip) || exit 1
(cd "$QTIMIG" && timeout 600 /usr/bin/python3 migrate.py --ucvars --nogui --overwrite \
    --cpout="$B/qtimig-out" "$B/canvas" > "$B/qtimig.log" 2>&1)
echo "QTIMigrationTool: rc=$? (log: $B/qtimig.log)"
for p in canvas qti21; do
    ruby -I "$QTIGEM/lib" -I "$V/qti_shims" "$V/qti_gem.rb" "$p" > "qtigem-$p.jsonl" 2> "qtigem-$p.err"
    echo "qti gem on $p: rc=$?"
done
"$PY" "$V/canvas_report.py" responses.json --gem qtigem-canvas.jsonl --gem-qti21 qtigem-qti21.jsonl \
    --qtimig qtimig-out --json canvas-rows.json > canvas-table.txt
echo "canvas report: rc=$? (table: $B/canvas-table.txt)"
if [ -n "${PYSLET_PY:-}" ]; then
    "$PYSLET_PY" "$V/qti21_grade.py" responses.json qti21 --json qti21-results.json \
        > qti21-table.txt 2> qti21.err
    echo "qti21 (pyslet): rc=$? (table: $B/qti21-table.txt)"
fi
grep -h '^== \|^SUMMARY' moodle-table.txt canvas-table.txt qti21-table.txt 2>/dev/null

<?php
// convgrade: import a build's moodle.xml and quiz.gift with Moodle's own importers and grade
// responses with Moodle's question engine. Our own script, run against an installed Moodle:
//
//   php docs/verify/moodle_grade.php --moodle=/opt/moodle --responses=responses.json \
//       [--xml=BUILD/moodle.xml] [--gift=BUILD/quiz.gift] [--out=results.json]
//
// responses.json comes from docs/verify/responses.py. Each run imports into a new course
// (so question names never clash with an earlier run), prints what each importer said and one
// line per graded response, and writes every row to --out. See docs/verify-lms.md.

define('CLI_SCRIPT', true);

$opts = getopt('', ['moodle:', 'responses:', 'xml:', 'gift:', 'out:']);
if (empty($opts['moodle']) || empty($opts['responses'])) {
    fwrite(STDERR, "usage: php moodle_grade.php --moodle=DIR --responses=FILE [--xml=F] [--gift=F] [--out=F]\n");
    exit(2);
}
$responsesfile = realpath($opts['responses']);
$files = [];
foreach (['xml', 'gift'] as $fmt) {
    if (!empty($opts[$fmt])) {
        $files[$fmt] = realpath($opts[$fmt]);
    }
}
$outfile = $opts['out'] ?? null;
require($opts['moodle'] . '/config.php');
require_once(__DIR__ . '/moodle_import.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->dirroot . '/question/engine/lib.php');

\core\session\manager::set_user(get_admin());
$data = json_decode(file_get_contents($responsesfile), true);

// A fresh course per run: its question bank receives the imports.
$course = create_course((object) [
    'category' => $DB->get_field_select('course_categories', 'MIN(id)', '1 = 1'),
    'fullname' => 'convgrade verify ' . $data['set_id'],
    'shortname' => 'cgv-' . $data['set_id'] . '-' . time() . '-' . random_string(4),
]);
$context = context_course::instance($course->id);

/** The response data for one (sub)question: $value is the typed text or an option index. */
function cgv_data(question_definition $q, question_attempt $qa, $value, bool $option): array {
    if ($q instanceof qtype_multichoice_single_question) {
        $ids = array_keys($q->answers);
        if ($option) {
            $want = $ids[$value];
        } else { // A text choice: the answer whose text is $value.
            $want = null;
            foreach ($q->answers as $id => $a) {
                if (trim(html_entity_decode(strip_tags($a->answer))) === $value) {
                    $want = $id;
                }
            }
        }
        $pos = array_search($want, $q->get_order($qa));
        return ['answer' => $pos === false ? -1 : $pos];
    }
    return ['answer' => (string) $value];
}

/** Grade one response on one imported question: [fraction, mark, max mark]. */
function cgv_grade(int $questionid, array $values, bool $option): array {
    $q = question_bank::load_question($questionid);
    $quba = question_engine::make_questions_usage_by_activity('core_question_preview',
        context_system::instance());
    $quba->set_preferred_behaviour('deferredfeedback');
    $slot = $quba->add_question($q, $q->defaultmark);
    $quba->start_question($slot);
    $qa = $quba->get_question_attempt($slot);
    if ($q instanceof qtype_multianswer_question) {
        $data = [];
        foreach ($q->places as $place => $i) {
            $sub = $q->subquestions[$i];
            $subqa = $qa; // Sub-question orders live in the parent attempt's steps.
            $value = $values[$place - 1] ?? '';
            if ($sub instanceof qtype_multichoice_single_question) {
                $order = explode(',', $qa->get_last_qt_var('_sub' . $i . '_order', ''));
                $want = null;
                foreach ($sub->answers as $id => $a) {
                    if (trim(html_entity_decode(strip_tags($a->answer))) === $value) {
                        $want = $id;
                    }
                }
                $pos = array_search($want, $order);
                $data['sub' . $i . '_answer'] = $pos === false ? -1 : $pos;
            } else {
                $data['sub' . $i . '_answer'] = (string) $value;
            }
        }
    } else {
        $data = cgv_data($q, $qa, $option ? $values[0] : ($values[0] ?? ''), $option);
    }
    $quba->process_action($slot, $data);
    $quba->finish_question($slot);
    $fraction = $quba->get_question_fraction($slot);
    return [(float) $fraction, (float) $quba->get_question_mark($slot), (float) $q->defaultmark];
}

$rows = [];
$summary = [];
foreach ($files as $fmt => $file) {
    $imp = cgv_import($fmt, $file, $course, $context);
    $n = count($imp['ids']);
    $summary[$fmt] = ['imported' => $n, 'ok' => $imp['ok'], 'errors' => $imp['errors'],
        'exception' => $imp['exception'], 'said' => mb_substr($imp['said'], 0, 600)];
    printf("== %s: %s: imported %d question(s); import %s%s\n", $fmt, basename($file), $n,
        $imp['ok'] ? 'ok' : 'FAILED', $imp['exception'] ? ' (' . $imp['exception'] . ')' : '');
    if (!$imp['ok'] || $imp['errors']) {
        echo '   Moodle said: ', mb_substr($imp['said'], 0, 600), "\n";
    }
    if (!$n) {
        foreach ($data['items'] as $item) {
            $rows[] = ['format' => $fmt, 'item' => $item['name'], 'response' => '-', 'status' => 'not imported'];
        }
        continue;
    }
    // Imported questions by name, in file order.
    list($insql, $params) = $DB->get_in_or_equal($imp['ids']);
    $byname = [];
    foreach ($DB->get_records_select('question', "id $insql", $params, 'id', 'id, name, qtype, defaultmark')
            as $rec) {
        $byname[$rec->name][] = $rec;
    }
    foreach ($data['items'] as $item) {
        $name = $item['name'];
        // One question per item, or (GIFT has no multi-blank question) one per blank, named
        // "<item> · <blank label>" in blank order.
        if (isset($byname[$name])) {
            $targets = [$byname[$name][0]];
        } else {
            $targets = [];
            foreach ($byname as $qname => $recs) {
                if (strpos($qname, $name . ' · ') === 0) {
                    $targets[] = $recs[0];
                }
            }
            usort($targets, fn($a, $b) => $a->id <=> $b->id);
        }
        if (!$targets) {
            $rows[] = ['format' => $fmt, 'item' => $name, 'response' => '-', 'status' => 'not imported'];
            continue;
        }
        $qtype = implode('+', array_unique(array_map(fn($t) => $t->qtype, $targets)));
        $maxmark = array_sum(array_map(fn($t) => (float) $t->defaultmark, $targets));
        foreach ($item['responses'] as $resp) {
            $option = isset($resp['option']);
            $values = $option ? [$resp['option']] : $resp['cells'];
            if (count($targets) == 1) {
                try {
                    list($fraction, $mark, $max) = cgv_grade($targets[0]->id, $values, $option);
                } catch (Throwable $e) {
                    $rows[] = ['format' => $fmt, 'item' => $name, 'response' => $resp['kind'],
                        'status' => 'error: ' . $e->getMessage()];
                    continue;
                }
            } else if (count($targets) == count($values)) {
                // A quiz holding the blanks' questions: marks add up. Also as it would be with
                // each question's mark set by hand to its blank's share of the key's points.
                $mark = 0.0;
                $keyed = 0.0;
                foreach ($targets as $k => $t) {
                    list($f, $m, $mx) = cgv_grade($t->id, [$values[$k]], false);
                    $mark += $m;
                    $keyed += $f * $item['cells'][$k]['share'];
                }
                $fraction = $maxmark ? $mark / $maxmark : 0.0;
                $rows[] = ['format' => $fmt . '-keymarks', 'item' => $name, 'qtype' => $qtype,
                    'response' => $resp['kind'], 'moodle_fraction' => round($keyed / $item['points'], 7),
                    'key_fraction' => $resp['key_fraction'], 'key_exact' => $resp['key_exact'],
                    'diff' => round($keyed / $item['points'] - $resp['key_exact'], 7),
                    'moodle_mark' => round($keyed, 7), 'moodle_max_mark' => $item['points'],
                    'key_points' => $item['points'], 'status' => 'graded'];
            } else {
                $rows[] = ['format' => $fmt, 'item' => $name, 'response' => $resp['kind'],
                    'status' => sprintf('%d questions for %d blanks', count($targets), count($values))];
                continue;
            }
            $rows[] = ['format' => $fmt, 'item' => $name, 'qtype' => $qtype,
                'response' => $resp['kind'], 'moodle_fraction' => round($fraction, 7),
                'key_fraction' => $resp['key_fraction'], 'key_exact' => $resp['key_exact'],
                'diff' => round($fraction - $resp['key_exact'], 7),
                'moodle_mark' => round($maxmark * $fraction, 7), 'moodle_max_mark' => $maxmark,
                'key_points' => $item['points'], 'status' => 'graded'];
        }
    }
}

// The table, then the summary.
printf("%-48s %-6s %-28s %9s %9s %9s %8s %8s\n", 'question', 'format', 'response', 'moodle',
    'key', 'diff', 'maxmark', 'keypts');
$bad = 0;
foreach ($rows as $r) {
    if ($r['status'] !== 'graded') {
        printf("%-48s %-6s %-28s %s\n", mb_substr($r['item'], 0, 48), $r['format'],
            mb_substr($r['response'], 0, 28), $r['status']);
        continue;
    }
    $flag = abs($r['diff']) > 1e-6 ? ' *' : '';
    $bad += $flag ? 1 : 0;
    printf("%-48s %-6s %-28s %9.6f %9.6f %+9.6f %8s %8s%s\n", mb_substr($r['item'], 0, 48),
        $r['format'], mb_substr($r['response'], 0, 28), $r['moodle_fraction'], $r['key_exact'],
        $r['diff'], $r['moodle_max_mark'], $r['key_points'], $flag);
}
if (array_filter($rows, fn($r) => $r['format'] === 'gift-keymarks')) {
    $summary['gift-keymarks'] = ['imported' => $summary['gift']['imported']];
}
foreach ($summary as $fmt => $s) {
    $graded = array_filter($rows, fn($r) => $r['format'] === $fmt && $r['status'] === 'graded');
    $agree = array_filter($graded, fn($r) => abs($r['diff']) <= 1e-6);
    $keyok = array_filter($graded, fn($r) => $r['response'] === 'key' && abs($r['moodle_fraction'] - 1) <= 1e-6);
    $keyall = array_filter($graded, fn($r) => $r['response'] === 'key');
    $markok = [];
    foreach ($graded as $r) {
        if ($r['response'] === 'key' && abs($r['moodle_max_mark'] - $r['key_points']) <= 1e-6) {
            $markok[] = $r;
        }
    }
    $notimp = array_filter($rows, fn($r) => $r['format'] === $fmt && $r['status'] !== 'graded');
    $summary[$fmt] += ['responses' => count($graded), 'agree' => count($agree),
        'key_scores_1' => count($keyok), 'items' => count($keyall), 'marks_equal_points' => count($markok),
        'not_graded' => count($notimp)];
    printf("SUMMARY %s: imported %d; %d/%d responses agree with the key within 1e-6; key response scores 1 in %d/%d items; question marks equal key points in %d/%d; %d items or responses not graded\n",
        $fmt, $s['imported'], count($agree), count($graded), count($keyok), count($keyall),
        count($markok), count($keyall), count($notimp));
}
if ($outfile) {
    file_put_contents($outfile, json_encode(['summary' => $summary, 'rows' => $rows], JSON_PRETTY_PRINT));
}

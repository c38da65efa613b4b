<?php
// convgrade: build the quiz a teacher would build from an imported moodle.xml and compare its
// total with the key's. Our own script, run against an installed Moodle:
//
//   php docs/verify/moodle_quiz.php --moodle=/opt/moodle --xml=BUILD/moodle.xml --key=BUILD/key.json
//
// It imports the file into a new course, then makes two quizzes: one with a random question
// per question category (each category holds one question's variants: "draw one per
// student"), and one with the first variant of each question added by hand. It prints each
// slot's mark and each quiz's total against the key's points.

define('CLI_SCRIPT', true);

$opts = getopt('', ['moodle:', 'xml:', 'key:']);
if (empty($opts['moodle']) || empty($opts['xml']) || empty($opts['key'])) {
    fwrite(STDERR, "usage: php moodle_quiz.php --moodle=DIR --xml=moodle.xml --key=key.json\n");
    exit(2);
}
$xmlfile = realpath($opts['xml']);
$key = json_decode(file_get_contents($opts['key']), true);
require($opts['moodle'] . '/config.php');
require_once(__DIR__ . '/moodle_import.php');
require_once($CFG->dirroot . '/mod/quiz/locallib.php');
require_once($CFG->libdir . '/testing/generator/lib.php');

\core\session\manager::set_user(get_admin());
$gen = new testing_data_generator();
$course = $gen->create_course(['fullname' => 'convgrade quiz ' . $key['set_id'],
    'shortname' => 'cgq-' . $key['set_id'] . '-' . time() . '-' . random_string(4)]);
$context = context_course::instance($course->id);

$imp = cgv_import('xml', $xmlfile, $course, $context);
printf("imported %d question(s)%s\n", count($imp['ids']), $imp['ok'] ? '' : ' (import FAILED)');

// Each key question's category: the one holding the questions named "<id> ...".
$points = [];
foreach ($key['questions'] as $q) {
    $points[$q['id']] = (float) $q['points'];
}
list($insql, $params) = $DB->get_in_or_equal($imp['ids']);
$sql = "SELECT q.id, q.name, q.defaultmark, qbe.questioncategoryid AS category
          FROM {question} q
          JOIN {question_versions} qv ON qv.questionid = q.id
          JOIN {question_bank_entries} qbe ON qbe.id = qv.questionbankentryid
         WHERE q.id $insql ORDER BY q.id";
$byquestion = [];
foreach ($DB->get_records_sql($sql, $params) as $rec) {
    $qid = strtok($rec->name, ' ');
    $byquestion[$qid][] = $rec;
}

$random = $gen->create_module('quiz', ['course' => $course->id, 'name' => 'random slots']);
$fixed = $gen->create_module('quiz', ['course' => $course->id, 'name' => 'first variants']);
$structure = \mod_quiz\quiz_settings::create($random->id)->get_structure();
foreach ($byquestion as $qid => $recs) {
    $structure->add_random_questions(0, 1, ['filter' => ['category' => [
        'jointype' => 1, 'values' => [$recs[0]->category],
        'filteroptions' => ['includesubcategories' => true]]]]);
    quiz_add_quiz_question($recs[0]->id, $DB->get_record('quiz', ['id' => $fixed->id]));
}
$keytotal = array_sum(array_intersect_key($points, $byquestion));
foreach (['random slots' => $random, 'first variants' => $fixed] as $label => $quiz) {
    $slots = $DB->get_records('quiz_slots', ['quizid' => $quiz->id], 'slot');
    $marks = array_map(fn($s) => (float) $s->maxmark, array_values($slots));
    $total = array_sum($marks);
    printf("%-15s slot marks %s; total %s, key %s%s\n", $label, implode(' ', $marks), $total,
        $keytotal, abs($total - $keytotal) < 1e-9 ? '' : '  *');
}
printf("key points      %s\n", implode(' ', array_values(array_intersect_key($points, $byquestion))));

<?php
// convgrade: import a question file into a course's question bank with Moodle's own format
// classes, as Question bank > Import does. Our own code, included by moodle_grade.php and
// moodle_quiz.php once Moodle's config.php is loaded.

defined('MOODLE_INTERNAL') || die();

require_once($CFG->libdir . '/questionlib.php');
require_once($CFG->dirroot . '/question/format.php');
require_once($CFG->dirroot . '/question/format/xml/format.php');
require_once($CFG->dirroot . '/question/format/gift/format.php');

/**
 * Import one file with Moodle's own format class, as Question bank > Import does
 * (match grades: "error if grade not listed", categories and contexts from the file).
 */
function cgv_import(string $fmt, string $file, stdClass $course, context $context): array {
    $top = question_make_default_categories([$context]);
    $format = $fmt === 'xml' ? new qformat_xml() : new qformat_gift();
    $format->setCategory($top);
    $format->setContexts([$context]);
    $format->setCourse($course);
    $format->setFilename($file);
    $format->setRealfilename(basename($file));
    $format->setMatchgrades('error');
    $format->setCatfromfile(true);
    $format->setContextfromfile(true);
    $format->setStoponerror(true);
    ob_start();
    $ok = false;
    $exception = '';
    try {
        $ok = $format->importpreprocess() && $format->importprocess() && $format->importpostprocess();
    } catch (Throwable $e) {
        $exception = get_class($e) . ': ' . $e->getMessage();
    }
    $said = trim(preg_replace('/\s+/', ' ', html_entity_decode(strip_tags(ob_get_clean()))));
    return ['ok' => $ok, 'ids' => $format->questionids, 'errors' => $format->importerrors ?? 0,
        'said' => $said, 'exception' => $exception];
}

# Parse a Canvas QTI 1.2 or QTI 2.1 package with Instructure's `qti` gem (the importer New
# Quizzes uses) and print, per item, what it understood, as JSON lines.
#
#   ruby -I QTI_GEM/lib -I docs/verify/qti_shims docs/verify/qti_gem.rb PACKAGE_DIR
#
# PACKAGE_DIR is the unzipped package (imsmanifest.xml at its root). Our own script; the gem
# itself is fetched into QTI_GEM (see docs/verify-lms.md), never copied into this repository.
require 'json'
require 'active_support/json'
require 'qti'

dir = ARGV.fetch(0)
importer = Qti::Importer.new(dir)
test = importer.test_object
warn "assessment: #{test.title.inspect} (#{test.class})"
def describe(item)
  row = { identifier: item.identifier, title: item.title, points_possible: item.points_possible }
  model = item.interaction_model
  row[:interaction] = model.class.name.split('::').last
  row[:scoring] = item.scoring_data_structs.map do |s|
    h = s.respond_to?(:to_h) ? s.to_h : { value: s.to_s }
    h.transform_values { |v| v.is_a?(String) ? v : v.as_json }
  end
  row[:blanks] = model.blanks.length if model.respond_to?(:blanks)
  row[:choices] = model.answers.map(&:identifier) if row[:interaction] == 'ChoiceInteraction'
  row
rescue StandardError, NotImplementedError => e
  { identifier: (item.identifier rescue nil), error: "#{e.class}: #{e.message}"[0, 300] }
end

importer.assessment_item_refs.each do |ref|
  group = importer.test_object.respond_to?(:create_question_group) && importer.create_question_group(ref)
  if group
    group.assessment_item_refs.each do |iref|
      row = describe(group.create_assessment_item(iref))
      row[:group] = group.title
      row[:group_points_per_item] = group.points_per_item
      row[:group_pick] = group.selection_number
      puts JSON.generate(row)
    end
  else
    item = importer.create_assessment_item(ref)
    puts JSON.generate(item ? describe(item) : { ref: ref.name, skipped: true })
  end
end

# Stand-in for the dry-struct gem, which Debian bookworm does not package (our own code, loaded
# only by docs/verify/qti_gem.rb). The qti gem uses Dry::Struct for its *export* classes
# (Qti::ContentPackaging); the importer never builds them, so their class bodies only need to load.
require 'dry-types'

module Dry
  class Struct
    def self.transform_keys(*); end

    def self.transform_types(*); end

    def self.attribute(*); end

    def self.attribute?(*); end
  end
end

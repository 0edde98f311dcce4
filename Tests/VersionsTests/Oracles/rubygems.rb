# Reads "A<TAB>B" lines; prints <, =, > as Gem::Version#<=> decides, ! for a version Gem::Version rejects.
require 'rubygems'
STDIN.each_line do |line|
  a, b = line.chomp.split("\t", 2)
  unless Gem::Version.correct?(a) && Gem::Version.correct?(b)
    puts '!'
    next
  end
  r = Gem::Version.new(a) <=> Gem::Version.new(b)
  puts(r < 0 ? '<' : (r > 0 ? '>' : '='))
end

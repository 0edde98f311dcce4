// Reads "A<TAB>B" lines; prints <, =, > as node-semver's compare() (non-loose) decides, ! for an invalid version.
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
const out = [];
for (const line of lines) {
  const [a, b] = line.split('\t');
  try {
    const r = semver.compare(a, b);
    out.push(r < 0 ? '<' : r > 0 ? '>' : '=');
  } catch (e) {
    out.push('!');
  }
}
process.stdout.write(out.join('\n') + '\n');

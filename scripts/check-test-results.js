#!/usr/bin/env node
/**
 * Reads jest's --json results and fails loudly when a test file on disk did not run, when a
 * file ran no test, or when tests were skipped. Prints the closing "N passed, N failed" line.
 */
const { readFileSync, readdirSync, statSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

const findTestFiles = (dir) =>
  readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTestFiles(path);
    return TEST_FILE.test(name) ? [relative(root, path)] : [];
  });

const expected = ['apps', 'libs', 'test'].flatMap((dir) => {
  try {
    return findTestFiles(join(root, dir));
  } catch {
    return [];
  }
});
const ran = new Map(results.testResults.map((suite) => [relative(root, suite.name), suite]));
const problems = [];
for (const file of expected) {
  const suite = ran.get(file);
  if (!suite) problems.push(`${file}: did not run`);
  else if (suite.assertionResults.length === 0) problems.push(`${file}: ran no test`);
  else {
    const skipped = suite.assertionResults.filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo');
    if (skipped.length > 0) problems.push(`${file}: ${skipped.length} test(s) skipped`);
    // A suite that could not reach its service stands in with one passing "skipped: ..." test.
    const placeholders = suite.assertionResults.filter((t) => /^skipped:/.test(t.title));
    if (placeholders.length > 0) problems.push(`${file}: did not run its suite (${placeholders.map((t) => t.title).join('; ')})`);
  }
}
if (results.numFailedTests > 0 || results.numFailedTestSuites > 0) {
  problems.push(`${results.numFailedTests} failed test(s) in ${results.numFailedTestSuites} suite(s)`);
}
if (results.numTotalTests === 0) problems.push('no test ran at all');

console.log(`${expected.length} test files expected, ${ran.size} ran`);
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`);
if (problems.length > 0) {
  console.error(`\nCI FAILED:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}

#!/usr/bin/env node
// Sums jest's --json reports into CI's closing line "N passed, N failed".
// A missing or unreadable report, or a run that executed no test, counts as a failure.
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let problems = 0;
for (const file of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`ci-summary: no usable jest report at ${file} (${err.message})`);
    problems += 1;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  const suitesFailed = report.numFailedTestSuites + (report.numRuntimeErrorTestSuites ?? 0);
  console.error(
    `ci-summary: ${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped, ${suitesFailed} suite(s) failed`,
  );
  if (report.numTotalTests === 0) {
    console.error(`ci-summary: ${file} executed no test`);
    problems += 1;
  }
  // A suite that crashed before its tests ran has no failed test to count: count it.
  if (suitesFailed > 0 && report.numFailedTests === 0) failed += suitesFailed;
}
if (process.argv.length <= 2) problems += 1;
console.log(`${passed} passed, ${failed + problems} failed`);
process.exit(failed + problems > 0 ? 1 : 0);

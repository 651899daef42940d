#!/usr/bin/env node
/**
 * After the e2e run: the apps' log lines were written (so this check means something) and not
 * one of them carries a credential: a JWT, a bearer header, or a private key's "d" member.
 * Usage: node scripts/check-e2e-logs.js <E2E_LOG_DIR>
 */
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: check-e2e-logs.js <E2E_LOG_DIR>');
  process.exit(2);
}
const CREDENTIALS = [
  { name: 'a JWT', pattern: /eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/ },
  { name: 'a bearer credential', pattern: /bearer\s+[\w.-]{10,}/i },
  { name: 'a private JWK', pattern: /"d"\s*:\s*"[\w-]{20,}"/ },
];

let files;
try {
  files = readdirSync(dir).filter((name) => name.endsWith('.log'));
} catch (error) {
  console.error(`No e2e logs in ${dir}: ${error.message}`);
  process.exit(1);
}
let lines = 0;
let accessLines = 0;
const findings = [];
for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue;
    lines++;
    if (line.includes('"msg":"request completed"')) accessLines++;
    for (const { name, pattern } of CREDENTIALS) {
      if (pattern.test(line)) findings.push(`${file}:${index + 1}: ${name}`);
    }
  }
}
if (accessLines === 0) {
  console.error(`The e2e run wrote no access log line to ${dir} (${files.length} files, ${lines} lines): the check would prove nothing`);
  process.exit(1);
}
if (findings.length > 0) {
  console.error(`Credentials in the e2e logs:\n${findings.slice(0, 20).join('\n')}`);
  process.exit(1);
}
console.log(`e2e logs: ${lines} lines (${accessLines} access lines) in ${files.length} files, no credential`);

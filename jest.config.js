/** One runner for every tier: *.spec.ts (unit), *.int-spec.ts (adapters), *.e2e-spec.ts (HTTP). */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^content-disposition$': '<rootDir>/test/support/content-disposition-shim.js',
    '^@lib/domain(|/.*)$': '<rootDir>/libs/domain/src$1',
    '^@lib/event-store(|/.*)$': '<rootDir>/libs/event-store/src$1',
    '^@lib/reporting(|/.*)$': '<rootDir>/libs/reporting/src$1',
    '^@lib/read-models(|/.*)$': '<rootDir>/libs/read-models/src$1',
    '^@lib/conversation-lifecycle(|/.*)$': '<rootDir>/libs/conversation-lifecycle/src$1',
    '^@lib/platform(|/.*)$': '<rootDir>/libs/platform/src$1',
    '^@lib/event-feed(|/.*)$': '<rootDir>/libs/event-feed/src$1',
  },
  testTimeout: 30000,
};

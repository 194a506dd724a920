/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // jose is published as ES modules only; jest's CommonJS runtime needs it transformed.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60_000,
  // Each file runs its own Temporal dev server and worker: one file at a time keeps 2 cores responsive.
  maxWorkers: 1,
  // The SDK's native handles can keep jest alive after every teardown() has run.
  forceExit: true,
};

// Tests are written in TypeScript and compiled by `tsc` (npm test runs the build first), so jest runs
// the compiled files: no transform, no coupling between jest and the TypeScript version.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};

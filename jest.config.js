/** Two workers: each test file starts its own benches (real programs on free
 *  ports), and the machine has two cores. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/provider", "<rootDir>/sdk", "<rootDir>/test"],
  modulePathIgnorePatterns: ["<rootDir>/node_modules/pulumi-haproxy-dataplane", "<rootDir>/bin"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
  testTimeout: 180000,
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/support/skip-reporter.js"],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
};

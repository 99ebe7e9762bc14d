// One Jest run covers every workspace. Sources are ESM TypeScript compiled on the fly by SWC (with decorator
// metadata for NestJS); @loa/shared and its subpaths are mapped to their sources so unit tests never need a prior build.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

// The dashboard's pure logic (calendar recurrence, audit diff) is unit tested in node; its modules are TSX for Preact.
const dashboardSwc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      transform: { react: { runtime: 'automatic', importSource: 'preact' } },
      target: 'es2022',
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@loa/shared$': '<rootDir>/../shared/src/index.ts',
    '^@loa/shared/rest$': '<rootDir>/../shared/src/rest/index.ts',
    '^@loa/shared/recurrence$': '<rootDir>/../shared/src/recurrence.ts',
    '^@loa/shared/board-render$': '<rootDir>/../shared/src/board-render.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'shared', rootDir: 'shared', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'server', rootDir: 'server', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    { ...common, displayName: 'agent', rootDir: 'agent', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    // The fleet simulator lives beside the tests; the agent pieces it shares are mapped to their sources.
    {
      ...common,
      displayName: 'sim',
      rootDir: 'test/sim',
      testMatch: ['<rootDir>/spec/**/*.spec.ts'],
      moduleNameMapper: { '^@loa/agent/dist/(.*)\\.js$': '<rootDir>/../../agent/src/$1.ts', ...common.moduleNameMapper, '^@loa/shared$': '<rootDir>/../../shared/src/index.ts' },
    },
    {
      ...common,
      displayName: 'dashboard',
      rootDir: 'dashboard',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      extensionsToTreatAsEsm: ['.ts', '.tsx'],
      transform: { '^.+\\.tsx?$': dashboardSwc },
    },
    { ...common, displayName: 'e2e', rootDir: 'test', testMatch: ['<rootDir>/e2e/**/*.e2e.ts'] },
  ],
};

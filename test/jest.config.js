// Jest's configuration, kept out of package.json: the published package.json must not carry
// test settings (n8n's scanner refuses the `<rootDir>` placeholder there). Used by
// test/run.sh (`npm test`); a single suite: `npx jest -c test/jest.config.js test/x.test.ts`.
/** @type {import('jest').Config} */
module.exports = {
	rootDir: '..',
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
	},
	testTimeout: 30000,
};

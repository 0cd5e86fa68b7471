// The scan gate's allow-list logic (node:test, run by `npm run scan` before the scan: jest's
// ts-jest setup does not load ES modules). A gate that allowed everything would pass CI too,
// so these check that it refuses what the README does not list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { allowedBy, globToRegExp, parseAllowList, sourcePath } from './allow-list.mjs';

const README = `# x

### Package rules

Some text.

| Rule | Where | Names | Reason |
|---|---|---|---|
| \`no-runtime-dependencies\` | \`package.json\` | \`ws\`, \`undici\` | the socket and acks |
| \`@n8n/community-nodes/no-restricted-globals\` | \`nodes/T/realtime/**\`, \`nodes/T/sub.ts\` | \`setTimeout\` | timers |
| \`require-node-api-error\` | \`nodes/T/realtime/*.ts\` | \`KadoaError\`, \`re-throw\` | n8n-free layer |

## Next
| Rule | Where | Names | Reason |
|---|---|---|---|
| \`valid-author\` | \`package.json\` | \`x\` | not in the section |
`;

const entries = parseAllowList(README);
const finding = (file, rule, message, leg = 'source') => ({ leg, file, line: 1, rule: `@n8n/community-nodes/${rule}`, message, severity: 2 });
const timer = (file, name = 'setTimeout') => finding(file, 'no-restricted-globals', `Use of restricted global '${name}' is not allowed.`);

describe('parseAllowList', () => {
	it('reads the rows of the "Package rules" table only, without backticks or the rule prefix', () => {
		assert.deepEqual(
			entries.map((e) => [e.rule, e.where, e.names]),
			[
				['no-runtime-dependencies', ['package.json'], ['ws', 'undici']],
				['no-restricted-globals', ['nodes/T/realtime/**', 'nodes/T/sub.ts'], ['setTimeout']],
				['require-node-api-error', ['nodes/T/realtime/*.ts'], ['KadoaError', 're-throw']],
			],
		);
	});

	it('refuses a README without the section, other columns, or a row without a reason', () => {
		assert.throws(() => parseAllowList('# x\n'), /no "Package rules" section/);
		assert.throws(() => parseAllowList('### Package rules\n| Rule | Where |\n|---|---|\n'), /columns/);
		assert.throws(
			() => parseAllowList('### Package rules\n| Rule | Where | Names | Reason |\n|---|---|---|---|\n| `a` | `b` | `c` |  |\n'),
			/needs a rule, where, names and a reason/,
		);
	});

	it("reads this repository's README: every row has a reason", () => {
		const own = parseAllowList(fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
		assert.ok(own.length > 0);
		for (const e of own) assert.ok(e.reason.length > 20, `README line ${e.line} has no real reason`);
	});
});

describe('allowedBy', () => {
	it('allows a listed name in a listed place, in the source and in the packed package', () => {
		assert.ok(allowedBy(timer('nodes/T/realtime/client.ts'), entries, []));
		assert.ok(allowedBy(timer('nodes/T/realtime/deep/x.ts'), entries, []));
		assert.ok(allowedBy(timer('nodes/T/sub.ts'), entries, []));
		assert.ok(allowedBy({ ...timer('dist/nodes/T/realtime/client.js'), leg: 'package' }, entries, []));
	});

	it('refuses the same global elsewhere, and another global in the listed place', () => {
		assert.equal(allowedBy(timer('nodes/T/T.node.ts'), entries, []), null);
		assert.equal(allowedBy(timer('nodes/Other/realtime/client.ts'), entries, []), null);
		assert.equal(allowedBy(timer('nodes/T/realtime/client.ts', 'setInterval'), entries, []), null);
	});

	it('refuses a dependency that is not listed', () => {
		const deps = finding('package.json', 'no-runtime-dependencies', 'The "dependencies" field must be empty');
		assert.ok(allowedBy(deps, entries, ['ws', 'undici']));
		assert.ok(allowedBy(deps, entries, ['ws']));
		assert.equal(allowedBy(deps, entries, ['ws', 'undici', 'axios']), null);
	});

	it('tells a re-throw and each error class apart, and `*` stays within a folder', () => {
		const rethrow = (file) => finding(file, 'require-node-api-error', 'Use `NodeApiError` or `NodeOperationError` instead of re-throwing raw errors.');
		const thrown = (file, cls) => finding(file, 'require-node-api-error', `Use \`NodeApiError\` or \`NodeOperationError\` instead of \`${cls}\`. Example: \`throw new NodeApiError(this.getNode(), error as JsonObject)\``);
		assert.ok(allowedBy(rethrow('nodes/T/realtime/peek.ts'), entries, []));
		assert.ok(allowedBy(thrown('nodes/T/realtime/token.ts', 'KadoaError'), entries, []));
		assert.equal(allowedBy(thrown('nodes/T/realtime/token.ts', 'SettingsError'), entries, []), null);
		assert.equal(allowedBy(rethrow('nodes/T/realtime/sub/peek.ts'), entries, []), null);
		assert.equal(allowedBy(rethrow('nodes/T/sub.ts'), entries, []), null);
	});

	it('refuses rules that are not listed at all', () => {
		assert.equal(allowedBy(finding('package.json', 'valid-author', 'The "author" field must include a non-empty email.'), entries, []), null);
		assert.equal(allowedBy({ ...finding('nodes/T/realtime/a.ts', 'x', 'Parsing error'), rule: '(fatal)' }, entries, []), null);
	});
});

describe('paths', () => {
	it('maps a packed file to its source and matches globs by folder', () => {
		assert.equal(sourcePath('dist/nodes/T/realtime/client.js'), 'nodes/T/realtime/client.ts');
		assert.equal(sourcePath('package.json'), 'package.json');
		assert.equal(sourcePath('index.js'), 'index.js');
		assert.ok(globToRegExp('a/**').test('a/b/c.ts'));
		assert.ok(globToRegExp('a/**/c.ts').test('a/c.ts'));
		assert.ok(!globToRegExp('a/*.ts').test('a/b/c.ts'));
		assert.ok(!globToRegExp('a.ts').test('aXts'));
	});
});

// `npm run lint`: n8n's community-node rules on package.json, credentials/ and nodes/, in the
// layout of `n8n-node lint` (@n8n/node-cli's configWithoutCloudSupport): the recommended
// configuration of @n8n/eslint-plugin-community-nodes without the n8n Cloud rules, beside
// eslint-plugin-n8n-nodes-base's three rule sets, read by typescript-eslint's parser.
// It lives at the top level because ESLint 9 only finds a flat config there on its own
// (editors, `npx eslint`) and n8n's node starter puts it there; it is not published
// ("files" in package.json).
// The scanner's own, stricter rule set (Cloud rules included) runs in `npm run scan`
// (test/scan/run.mjs) against the allow-list in README's "Package rules".
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tsParser from '@typescript-eslint/parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import { defineConfig, globalIgnores } from 'eslint/config';

const community = n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport;

export default defineConfig(
	globalIgnores(['dist/', 'build/', 'bench/', 'test/', '**/*.js']),
	{ plugins: { 'n8n-nodes-base': n8nNodesBase } },
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		extends: [community],
		languageOptions: { parser: tsParser, sourceType: 'module' },
		rules: { 'no-console': 'error' },
	},
	{
		files: ['package.json'],
		extends: [community],
		languageOptions: { parser: tsParser, parserOptions: { extraFileExtensions: ['.json'] } },
		rules: {
			...n8nNodesBase.configs.community.rules,
			// `ws` (the realtime socket) and `undici` (acks) are runtime dependencies by design:
			// README "Package rules"; `npm run scan` checks the list stays exactly these two.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// The rule itself says it applies only to n8n's main repository (doc slugs there);
			// community credentials link a full URL (checked by credential-documentation-url).
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			// Superseded by @n8n/community-nodes/credential-password-field (as in `n8n-node lint`).
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two want the string 'main'; @n8n/community-nodes/node-connection-type-literal
			// wants NodeConnectionTypes.Main (as in `n8n-node lint`).
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		// Layering (issue 10): only the acknowledgement client talks undici.
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		ignores: ['nodes/KadoaTrigger/delivery/acknowledger.ts', 'nodes/KadoaTrigger/delivery/ack-pool.ts'],
		rules: {
			'no-restricted-imports': ['error', { paths: [{ name: 'undici', message: 'Only delivery/acknowledger.ts and ack-pool.ts use undici.' }] }],
		},
	},
	{
		// Layering (issue 10): the realtime client knows nothing of n8n or of the delivery policy.
		files: ['nodes/KadoaTrigger/realtime/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: [
						{ name: 'n8n-workflow', message: 'realtime/ is the n8n-free protocol client.' },
						{ name: 'undici', message: 'Only delivery/acknowledger.ts and ack-pool.ts use undici.' },
					],
					patterns: [{ group: ['../delivery', '../delivery/*', '../subscription', '../settings', '../*.node'], message: 'realtime/ must not depend on the layers above it.' }],
				},
			],
		},
	},
	{
		// The n8n-free Kadoa client (realtime/, and the REST calls in api/) throws its own errors
		// (KadoaError, EndpointError, ProbeError); the trigger converts them to NodeOperationError
		// where they reach n8n. README "Package rules". The rule has no per-class option:
		// `npm run scan` checks these folders per error class and re-throw.
		files: ['nodes/KadoaTrigger/realtime/**/*.ts', 'nodes/KadoaTrigger/api/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
);

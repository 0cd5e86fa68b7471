import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class KadoaApi implements ICredentialType {
	name = 'kadoaApi';

	displayName = 'Kadoa API';

	icon: Icon = { light: 'file:kadoa.svg', dark: 'file:kadoa.dark.svg' };

	documentationUrl = 'https://docs.kadoa.com/docs/api/';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Your Kadoa API key (Kadoa dashboard → Settings → API keys)',
		},
		{
			displayName: 'API URL',
			name: 'apiUrl',
			type: 'string',
			default: 'https://api.kadoa.com',
			description:
				"Base URL of Kadoa's REST API. Change it only for a gateway or a staging environment; https:// is required except for localhost.",
		},
		{
			displayName: 'Realtime URL',
			name: 'realtimeUrl',
			type: 'string',
			default: 'wss://realtime.kadoa.com',
			description:
				"Kadoa's realtime WebSocket URL. Acknowledgements go to the same host over https. wss:// is required except for localhost.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				'x-api-key': '={{$credentials.apiKey}}',
			},
		},
	};

	// No declarative `test` on purpose: n8n runs a credential's own `test` request when there
	// is one and then ignores the node's `testedBy`. The Kadoa Trigger's credential test
	// (KadoaTrigger.node.ts → api/credential-test.ts) also opens the realtime socket, tells a
	// refused key from missing realtime access or a wrong URL, and refuses plain-text URLs to
	// other hosts before the key is sent.
}

import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class KadoaApi implements ICredentialType {
	name = 'kadoaApi';

	displayName = 'Kadoa API';

	icon: Icon = 'file:kadoa.svg';

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

	// Exchanging the key for a realtime token is exactly what the trigger does first.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.apiUrl}}',
			url: '/v4/oauth2/token',
			method: 'POST',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Kadoa refused this API key. Copy it again from the Kadoa dashboard (Settings → API keys).',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Kadoa refused this API key (revoked or without access). Create a new key in the Kadoa dashboard.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'No Kadoa API at this API URL. Leave API URL at https://api.kadoa.com unless you use a gateway.',
				},
			},
		],
	};
}

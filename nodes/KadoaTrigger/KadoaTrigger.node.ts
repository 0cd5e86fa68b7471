import {
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeCredentialTestResult,
	type ILoadOptionsFunctions,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { checkCredential } from './api/credential-test';
import { listWorkflows } from './api/workflows';
import { properties } from './description';
import { startSubscription } from './subscription';
import { readSettings, SettingsError } from './settings';
import { resolveEndpoints } from './realtime/endpoints';
import { KadoaError } from './realtime/errors';

export class KadoaTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kadoa Trigger',
		name: 'kadoaTrigger',
		icon: { light: 'file:kadoa.svg', dark: 'file:kadoa.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow when Kadoa sends a realtime event, such as a change in scraped data',
		eventTriggerDescription: 'Waiting for a Kadoa event',
		activationMessage:
			'Your workflow now runs for every matching Kadoa event. Events are acknowledged to Kadoa as configured, and missed ones are replayed after a reconnect.',
		defaults: {
			name: 'Kadoa Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'kadoaApi',
				required: true,
				testedBy: 'kadoaApiConnectionTest',
			},
		],
		triggerPanel: {
			header: 'Listening for Kadoa events',
			executionsHelp: {
				inactive:
					"While building your workflow, click 'Listen for test event' and wait for the next matching Kadoa event (for example, trigger a run of your Kadoa workflow). The event is not acknowledged, so your active workflow still receives it. <br /><br /> Then activate the workflow: every matching event runs it.",
				active:
					"The workflow is active and runs for every matching Kadoa event. <br /><br /> To test, click 'Listen for test event': the next matching event becomes the test run.",
			},
			activationHint: 'Once you have finished building your workflow, activate it to have it run for every Kadoa event.',
		},
		properties,
	};

	methods = {
		credentialTest: {
			// Also checks the socket: a key can be valid while the account lacks realtime (Enterprise).
			async kadoaApiConnectionTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const result = await checkCredential((credential.data ?? {}) as Record<string, unknown>);
				return { status: result.ok ? 'OK' : 'Error', message: result.message };
			},
		},
		loadOptions: {
			async getWorkflows(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const credentials = await this.getCredentials('kadoaApi');
				const endpoints = resolveEndpoints(String(credentials.apiUrl ?? ''), String(credentials.realtimeUrl ?? ''));
				try {
					const workflows = await listWorkflows(endpoints, String(credentials.apiKey ?? ''));
					return workflows
						.map((workflow) => ({
							name: workflow.state ? `${workflow.name} (${workflow.state})` : workflow.name,
							value: workflow.id,
							description: workflow.id,
						}))
						.sort((a, b) => a.name.localeCompare(b.name));
				} catch (error) {
					const kadoaError = error as KadoaError;
					throw new NodeOperationError(this.getNode(), kadoaError.message, { description: kadoaError.hint });
				}
			},
		},
	};

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const node = this.getNode();
		let settings;
		try {
			settings = readSettings(await this.getCredentials('kadoaApi'), {
				events: this.getNodeParameter('events', []),
				workflowIds: this.getNodeParameter('workflowIds', []),
				acknowledge: this.getNodeParameter('acknowledge', 'emitted'),
				output: this.getNodeParameter('output', 'event'),
				options: this.getNodeParameter('options', {}) as IDataObject,
			});
		} catch (error) {
			if (error instanceof SettingsError) throw new NodeOperationError(node, error.message, { description: error.hint });
			throw new NodeOperationError(node, error as Error);
		}
		return await startSubscription(this, settings);
	}
}

import {
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type INodeCredentialTestResult,
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { changeOperations } from './actions/change';
import { dataOperations } from './actions/data';
import { notificationOperations } from './actions/notification';
import { workflowOperations } from './actions/workflow';
import { changeFields, changeOperations as changeOperationProperties } from './descriptions/ChangeDescription';
import { dataFields, dataOperations as dataOperationProperties } from './descriptions/DataDescription';
import { notificationFields, notificationOperations as notificationOperationProperties } from './descriptions/NotificationDescription';
import { workflowFields, workflowOperations as workflowOperationProperties } from './descriptions/WorkflowDescription';
import { getWorkflows, searchSchemas, searchWorkflows } from './methods';
import { toNodeError } from './transport/request';
import { checkCredential } from '../KadoaTrigger/api/credential-test';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

const OPERATIONS: Record<string, Record<string, Operation>> = {
	change: changeOperations,
	data: dataOperations,
	notification: notificationOperations,
	workflow: workflowOperations,
};

export class Kadoa implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kadoa',
		name: 'kadoa',
		icon: { light: 'file:kadoa.svg', dark: 'file:kadoa.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Work with Kadoa web scrapers: create and run workflows, get the data they extracted and the changes they detected, and turn on realtime delivery for the Kadoa Trigger',
		defaults: { name: 'Kadoa' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'kadoaApi', required: true, testedBy: 'kadoaApiConnectionTest' }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Change', value: 'change', description: 'Data changes Kadoa detected in monitored workflows' },
					{ name: 'Data', value: 'data', description: 'The rows a workflow extracted' },
					{ name: 'Notification', value: 'notification', description: 'Which Kadoa events reach n8n in realtime' },
					{ name: 'Workflow', value: 'workflow', description: 'A Kadoa workflow: one web scraper' },
				],
				default: 'workflow',
			},
			...workflowOperationProperties,
			...workflowFields,
			...dataOperationProperties,
			...dataFields,
			...changeOperationProperties,
			...changeFields,
			...notificationOperationProperties,
			...notificationFields,
		],
	};

	methods = {
		// The same check as the Kadoa Trigger's: n8n runs whichever node it finds first.
		credentialTest: {
			async kadoaApiConnectionTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				const result = await checkCredential((credential.data ?? {}) as Record<string, unknown>);
				return { status: result.ok ? 'OK' : 'Error', message: result.message };
			},
		},
		listSearch: { searchWorkflows, searchSchemas },
		loadOptions: { getWorkflows },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const resource = this.getNodeParameter('resource', itemIndex) as string;
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				const run = OPERATIONS[resource]?.[operation];
				if (!run) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not known`, { itemIndex });
				const result = await run.call(this, itemIndex);
				for (const json of Array.isArray(result) ? result : [result]) output.push({ json, pairedItem: { item: itemIndex } });
			} catch (error) {
				const nodeError = toNodeError(this.getNode(), error, itemIndex);
				if (!this.continueOnFail()) throw nodeError;
				const json: IDataObject = { error: nodeError.message };
				if (nodeError.description) json.description = nodeError.description;
				if ('httpCode' in nodeError && nodeError.httpCode) json.httpCode = nodeError.httpCode;
				output.push({ json, pairedItem: { item: itemIndex } });
			}
		}
		return [output];
	}
}

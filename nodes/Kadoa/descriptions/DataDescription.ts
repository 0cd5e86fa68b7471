/** Resource "Data": the rows a Kadoa workflow extracted in its latest run, or in a given run. */
import type { INodeProperties } from 'n8n-workflow';

import { returnAllAndLimit, workflowLocator } from './common';

const show = { show: { resource: ['data'], operation: ['get'] } };

export const dataOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['data'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get the extracted data of a workflow',
				description: 'Get the rows a Kadoa workflow extracted, from its latest run or from a given run',
			},
		],
		default: 'get',
	},
];

export const dataFields: INodeProperties[] = [
	workflowLocator(show, 'The Kadoa workflow whose data to get'),
	{
		displayName: 'Run',
		name: 'run',
		type: 'options',
		default: 'latest',
		displayOptions: show,
		options: [
			{ name: 'Latest Run', value: 'latest', description: 'The data of the most recent finished run' },
			{ name: 'A Given Run', value: 'runId', description: 'The data of one run, by its ID (the Job ID of Run Now)' },
		],
	},
	{
		displayName: 'Run ID',
		name: 'runId',
		type: 'string',
		default: '',
		required: true,
		description: 'The run (job) whose data to get',
		displayOptions: { show: { resource: ['data'], operation: ['get'], run: ['runId'] } },
	},
	...returnAllAndLimit(show),
	{
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description: 'Whether to return one item per row. Off: one item with the whole answer (workflowId, runId, executedAt, data).',
		displayOptions: show,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Filters (JSON)',
				name: 'filters',
				type: 'json',
				default: '[]',
				description: 'Kadoa row filters, e.g. [{"field":"price","operator":"LESS_THAN","value":"500"}]',
			},
			{
				displayName: 'Order',
				name: 'order',
				type: 'options',
				default: 'asc',
				options: [
					{ name: 'Ascending', value: 'asc' },
					{ name: 'Descending', value: 'desc' },
				],
			},
			{ displayName: 'Sort By', name: 'sortBy', type: 'string', default: '', placeholder: 'e.g. price', description: 'Field to sort the rows by' },
		],
	},
];

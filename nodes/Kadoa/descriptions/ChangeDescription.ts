/** Resource "Change": what Kadoa detected changing in a monitored workflow's data (rows added, removed, changed). */
import type { INodeProperties } from 'n8n-workflow';

import { returnAllAndLimit } from './common';

const show = (operation: string[]) => ({ show: { resource: ['change'], operation } });

export const changeOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['change'] } },
		options: [
			{ name: 'Get', value: 'get', action: 'Get a change', description: 'Get one data change by its ID, with the full snapshot and the differences' },
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many changes',
				description: 'List data changes of monitored workflows, newest first, optionally since a date',
			},
		],
		default: 'getAll',
	},
];

export const changeFields: INodeProperties[] = [
	{
		displayName: 'Change ID',
		name: 'changeId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. 66d0c9e65baad1694a2132d0',
		description: 'The change (the Kadoa Trigger gives it as changeId)',
		displayOptions: show(['get']),
	},
	{
		displayName: 'Workflow Names or IDs',
		name: 'workflowIds',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getWorkflows' },
		default: [],
		description:
			'Only changes of these Kadoa workflows; none = all active workflows. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: show(['getAll']),
	},
	...returnAllAndLimit(show(['getAll'])),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: show(['getAll']),
		options: [
			{ displayName: 'Since', name: 'startDate', type: 'dateTime', default: '', description: 'Only changes detected at or after this time' },
			{ displayName: 'Until', name: 'endDate', type: 'dateTime', default: '', description: 'Only changes detected at or before this time' },
			{
				displayName: 'Without Snapshot and Differences',
				name: 'excludeData',
				type: 'boolean',
				default: false,
				description: 'Whether to leave out the data snapshot and the differences (much smaller answers)',
			},
		],
	},
];

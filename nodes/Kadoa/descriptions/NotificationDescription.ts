/** Resource "Notification": Kadoa's notification settings that decide which events reach n8n in realtime. */
import type { INodeProperties } from 'n8n-workflow';

import { EVENT_TYPES, returnAllAndLimit } from './common';

const show = (operation: string[]) => ({ show: { resource: ['notification'], operation } });

export const notificationOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['notification'] } },
		options: [
			{
				name: 'Enable Realtime Delivery',
				value: 'enableRealtime',
				action: 'Enable realtime delivery of events',
				description:
					"Make Kadoa send the chosen event types to the team's WebSocket channel, which the Kadoa Trigger listens on (creates the channel and settings when missing; running it again changes nothing)",
			},
			{
				name: 'Get Delivery Log',
				value: 'getLog',
				action: 'Get the notification delivery log',
				description: 'List the notification events Kadoa sent, newest first',
			},
			{
				name: 'Send Test Event',
				value: 'sendTestEvent',
				action: 'Send a test event',
				description: 'Make Kadoa send a test event of a type, through the channels its settings name (the Kadoa Trigger receives it when realtime delivery is on)',
			},
		],
		default: 'enableRealtime',
	},
];

export const notificationFields: INodeProperties[] = [
	{
		displayName: 'Event Types',
		name: 'eventTypes',
		type: 'multiOptions',
		options: EVENT_TYPES,
		default: ['workflow_data_change'],
		required: true,
		description: 'The event types Kadoa should send to the WebSocket channel',
		displayOptions: show(['enableRealtime']),
	},
	{
		displayName: 'Event Type',
		name: 'eventType',
		type: 'options',
		options: EVENT_TYPES,
		default: 'workflow_data_change',
		description: 'The type of the test event',
		displayOptions: show(['sendTestEvent']),
	},
	{
		displayName: 'Workflow Names or IDs',
		name: 'workflowIds',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getWorkflows' },
		default: [],
		description:
			'For these Kadoa workflows only; none = the whole team. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: show(['enableRealtime']),
	},
	{
		displayName: 'Workflow Name or ID',
		name: 'workflowId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getWorkflows' },
		default: '',
		description:
			'The Kadoa workflow the test event is about (optional). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: show(['sendTestEvent']),
	},
	...returnAllAndLimit(show(['getLog'])),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: show(['getLog']),
		options: [
			{ displayName: 'Event Type', name: 'eventType', type: 'options', options: EVENT_TYPES, default: 'workflow_data_change', description: 'Only events of this type' },
			{ displayName: 'Since', name: 'startDate', type: 'dateTime', default: '', description: 'Only events sent at or after this time' },
			{ displayName: 'Until', name: 'endDate', type: 'dateTime', default: '', description: 'Only events sent at or before this time' },
			{ displayName: 'Workflow ID', name: 'workflowId', type: 'string', default: '', description: 'Only events about this Kadoa workflow' },
		],
	},
];

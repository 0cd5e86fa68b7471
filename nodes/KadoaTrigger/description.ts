/** The Kadoa Trigger's parameters, help texts and trigger panel. Names are a public contract. */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

export const EVENT_TYPES: INodePropertyOptions[] = [
	{
		name: 'Workflow Data Change',
		value: 'workflow_data_change',
		description: 'The data a Kadoa workflow watches changed (rows added, removed or changed)',
	},
	{ name: 'Workflow Started', value: 'workflow_started', description: 'A Kadoa workflow run started' },
	{ name: 'Workflow Finished', value: 'workflow_finished', description: 'A Kadoa workflow run finished' },
	{ name: 'Workflow Failed', value: 'workflow_failed', description: 'A Kadoa workflow run failed' },
	{
		name: 'Workflow Sample Finished',
		value: 'workflow_sample_finished',
		description: 'A sample extraction of a new Kadoa workflow is ready',
	},
	{ name: 'System Maintenance', value: 'system_maintenance', description: 'Kadoa announced maintenance' },
	{ name: 'Service Degradation', value: 'service_degradation', description: 'Kadoa reported degraded service' },
	{ name: 'Credits Low', value: 'credits_low', description: "The team's Kadoa credits are running low" },
	{ name: 'Free Trial Ending', value: 'free_trial_ending', description: "The team's free trial ends soon" },
];

export const ACK_MODES: INodePropertyOptions[] = [
	{
		name: 'When Emitted',
		value: 'emitted',
		description:
			'Acknowledge as soon as n8n accepted the execution. Fastest; an execution that fails is not delivered again.',
	},
	{
		name: 'When the Execution Finished',
		value: 'executionFinished',
		description:
			'Acknowledge once the execution ended, successfully or not. Events whose execution never started come back.',
	},
	{
		name: 'When the Execution Succeeded',
		value: 'executionSucceeded',
		description:
			'Acknowledge only successful executions; Kadoa delivers a failed one again on the next connection',
	},
];

export const OUTPUT_MODES: INodePropertyOptions[] = [
	{ name: 'One Item per Event', value: 'event', description: 'The whole event, with rows and differences as arrays' },
	{
		name: 'One Item per Row',
		value: 'rows',
		description: 'Each row of the data snapshot as its own item, with the event reference under _kadoa',
	},
	{
		name: 'One Item per Difference',
		value: 'differences',
		description: 'Each added, removed or changed entry as its own item, with the event reference under _kadoa',
	},
];

export const properties: INodeProperties[] = [
	{
		displayName:
			'Realtime events are a Kadoa Enterprise feature. Choose the event types Kadoa sends to the WebSocket channel in Kadoa\'s notification settings.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		options: EVENT_TYPES,
		default: ['workflow_data_change'],
		required: true,
		description: 'Which Kadoa event types start this workflow. Other events are acknowledged and dropped.',
	},
	{
		displayName: 'Kadoa Workflow Names or IDs',
		name: 'workflowIds',
		type: 'multiOptions',
		typeOptions: {
			loadOptionsMethod: 'getWorkflows',
		},
		default: [],
		description:
			'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		hint: 'Only events about these Kadoa workflows start this workflow; none selected means all. An expression may give an array or a comma-separated list of IDs.',
	},
	{
		displayName: 'Acknowledge',
		name: 'acknowledge',
		type: 'options',
		options: ACK_MODES,
		default: 'emitted',
		description:
			'When to tell Kadoa an event was handled. Unacknowledged events are delivered again when the trigger reconnects.',
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: OUTPUT_MODES,
		default: 'event',
		description: 'How a data change becomes items. Other event types always give one item per event.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Deliver Latest Change When Testing',
				name: 'testWithLatestChange',
				type: 'boolean',
				default: false,
				description:
					"Whether 'Listen for test event' delivers the most recent change of the selected Kadoa workflows at once (marked sample: true, never acknowledged) instead of waiting for the next live event",
			},
			{
				displayName: 'Execution Timeout (Seconds)',
				name: 'executionTimeout',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 2073600 },
				default: 600,
				description:
					'With an acknowledge mode that waits for the execution: how long to wait for its outcome. After it, "When Execution Finished" acknowledges the event and "When Execution Succeeded" leaves it to run again.',
			},
			{
				displayName: 'Fetch Pending Data',
				name: 'fetchPendingData',
				type: 'boolean',
				default: true,
				description:
					'Whether to fetch the full change from Kadoa before running when an event says its data snapshot is still being stored (dataPending)',
			},
			{
				displayName: 'Heartbeat Timeout (Seconds)',
				name: 'heartbeatTimeout',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 2073600 },
				default: 30,
				description:
					'Reconnect when nothing arrived from Kadoa for this long. Kadoa sends a heartbeat every 15 seconds.',
			},
			{
				displayName: 'Hold Unclaimed Events (Seconds)',
				name: 'unclaimedHold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 3600 },
				default: 60,
				description:
					'Events that no active Kadoa Trigger of this n8n accepts wait this long before they are acknowledged, so that a workflow being saved or activated still gets them. While n8n starts, all acknowledgements wait until no Kadoa Trigger has registered for this long. Acknowledgements are team-wide in Kadoa.',
			},
			{
				displayName: 'Max Executions Awaiting Acknowledgement',
				name: 'maxInFlight',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10,
				description:
					'How many executions may run at once before the trigger stops reading new events (Kadoa keeps them meanwhile)',
			},
			{
				displayName: 'Max Frame Size (MB)',
				name: 'maxFrameSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1024 },
				default: 100,
				description:
					'Largest event run. A data change carries the whole snapshot, which can be tens of MB for big scrapers. A larger one is reported as a failed execution (n8n 2.x) or an error log line, acknowledged, and the stream goes on.',
			},
			{
				displayName: 'Retry Failed Events After (Seconds)',
				name: 'retryDelay',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 3600 },
				default: 60,
				description:
					'Events left to run again (a failed run with "When Execution Succeeded", an execution n8n could not start) are fetched from Kadoa again after this long, then after twice as long while they keep failing, up to an hour',
			},
			{
				displayName: 'Set Up Realtime Delivery in Kadoa',
				name: 'setUpRealtimeDelivery',
				type: 'boolean',
				default: false,
				description:
					"Whether to make Kadoa send the chosen event types (for the chosen workflows, or the whole team) to the team's WebSocket channel when the workflow is activated, creating the channel if needed. Running it again changes nothing. Without it the trigger checks Kadoa's notification settings and says what is missing.",
			},
		],
	},
];

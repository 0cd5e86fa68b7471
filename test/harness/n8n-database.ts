/**
 * The part of n8n's database that decides what a trigger sees after a restart or a re-save,
 * shared by every harness of one simulated n8n:
 * - each workflow's static data: one JSON column per workflow (`workflow_entity.staticData`),
 *   with a `node:<node name>` key per node, always written whole and serialised, as
 *   n8n's WorkflowStaticDataService.saveStaticDataById does;
 * - the executions table with n8n 2.x's de-duplication keys (`execution_entity.deduplicationKey`).
 *
 * A "restart" is: close (or kill) the harnesses, then activate new ones on the same database;
 * they get only what n8n had written here.
 */
import type { ExecutionStatus, IDataObject } from 'n8n-workflow';

import { DuplicateExecutionError } from './n8n-emit';

export interface StoredExecution {
	readonly id: string;
	readonly workflowId: string;
	readonly nodeName: string;
	readonly mode: 'trigger' | 'manual';
	status: ExecutionStatus;
	/** 2.x only: n8n 1.x has no such column and ignores the emit's fourth argument. */
	readonly deduplicationKey?: string;
	/** A failed execution the trigger reported with saveFailedExecution (2.x), not a run. */
	readonly reportedByTrigger?: boolean;
	/** The error message of a reported failure. */
	readonly error?: string;
}

export interface NewExecution {
	workflowId: string;
	nodeName: string;
	mode: 'trigger' | 'manual';
	status: ExecutionStatus;
	deduplicationKey?: string;
	reportedByTrigger?: boolean;
	error?: string;
}

export interface N8nDatabaseOptions {
	/**
	 * EXECUTIONS_DATA_SAVE_ON_SUCCESS / _ON_ERROR (n8n default: both saved). An execution n8n
	 * does not keep is deleted when it ends (2.41.1 execution-lifecycle-hooks.js lines 436-447,
	 * deleteInFlightExecution: with pruning on, soft-deleted and hard-deleted at the next prune
	 * run; modelled as deleted at once), and its de-duplication key goes with it.
	 */
	saveExecutions?: { success: boolean; error: boolean };
}

export class N8nDatabase {
	/** workflowId → the staticData column, serialised as n8n's JSON column holds it. */
	private readonly staticDataColumns = new Map<string, string>();
	private readonly staticDataWriteCounts = new Map<string, number>();
	/** Executions by id (insertion order), and the unique key index: a replay of thousands of events stays linear. */
	private readonly rows = new Map<string, StoredExecution>();
	private readonly byKey = new Map<string, StoredExecution>();
	private nextExecutionId = 1;

	constructor(readonly options: N8nDatabaseOptions = {}) {}

	/** Every stored execution, oldest first (what n8n's executions list would show): a copy of the list. */
	get executions(): StoredExecution[] {
		return [...this.rows.values()];
	}

	/** What n8n reads into `new Workflow({ staticData })` at activation: a fresh object. */
	loadStaticData(workflowId: string): IDataObject {
		const column = this.staticDataColumns.get(workflowId);
		return column === undefined ? {} : (JSON.parse(column) as IDataObject);
	}

	/** WorkflowStaticDataService.saveStaticDataById: the whole column, replaced. */
	writeStaticData(workflowId: string, serialised: string): void {
		this.staticDataColumns.set(workflowId, serialised);
		this.staticDataWriteCounts.set(workflowId, (this.staticDataWriteCounts.get(workflowId) ?? 0) + 1);
	}

	/** How often n8n wrote this workflow's static data (seeding does not count). */
	staticDataWrites(workflowId: string): number {
		return this.staticDataWriteCounts.get(workflowId) ?? 0;
	}

	/** One node's stored static data (`node:<name>`), parsed: a copy. */
	nodeStaticData(workflowId: string, nodeName: string): IDataObject {
		return (this.loadStaticData(workflowId)[`node:${nodeName}`] as IDataObject | undefined) ?? {};
	}

	/** Puts a node's static data into the column as if an earlier n8n had saved it (a test's starting point). */
	seedNodeStaticData(workflowId: string, nodeName: string, data: IDataObject): void {
		const column = this.loadStaticData(workflowId);
		column[`node:${nodeName}`] = JSON.parse(JSON.stringify(data)) as IDataObject;
		this.staticDataColumns.set(workflowId, JSON.stringify(column));
	}

	/**
	 * ExecutionPersistence.create (n8n 2.41.1 dist/executions/execution-persistence.js lines
	 * 43-78): one unique index over `deduplicationKey` across ALL workflows
	 * (@n8n/db migration 1778000000000-AddExecutionDeduplicationKey: unique where not null).
	 * A stored execution with the key blocks the insert whatever its status (success, error,
	 * canceled, crashed, waiting, running), except a `new` one (never started), which is a
	 * tombstone: deleted and replaced (reclaimTombstone, lines 79-95). Pruning frees the key.
	 */
	insertExecution(execution: NewExecution): StoredExecution {
		this.assertKeyFree(execution.deduplicationKey);
		const stored: StoredExecution = { id: String(this.nextExecutionId++), ...execution };
		this.rows.set(stored.id, stored);
		if (stored.deduplicationKey !== undefined) this.byKey.set(stored.deduplicationKey, stored);
		return stored;
	}

	/** Throws DuplicateExecutionError when an insert with this key would violate the index. */
	assertKeyFree(deduplicationKey: string | undefined): void {
		if (deduplicationKey === undefined) return;
		const holder = this.byKey.get(deduplicationKey);
		if (!holder) return;
		if (holder.status === 'new') {
			this.deleteExecution(holder.id);
			return;
		}
		throw new DuplicateExecutionError(deduplicationKey);
	}

	execution(id: string): StoredExecution | undefined {
		return this.rows.get(id);
	}

	setStatus(id: string, status: ExecutionStatus): void {
		const execution = this.execution(id);
		if (execution) execution.status = status;
	}

	/** An execution ended with this status: n8n keeps it, or deletes it per its save settings. */
	finishExecution(id: string, status: ExecutionStatus): void {
		this.setStatus(id, status);
		const save = this.options.saveExecutions ?? { success: true, error: true };
		const keep = status === 'success' ? save.success : status === 'waiting' || save.error;
		if (!keep) this.deleteExecution(id);
	}

	deleteExecution(id: string): void {
		const execution = this.rows.get(id);
		if (!execution) return;
		this.rows.delete(id);
		if (execution.deduplicationKey !== undefined && this.byKey.get(execution.deduplicationKey) === execution) this.byKey.delete(execution.deduplicationKey);
	}

	executionsOf(workflowId: string): StoredExecution[] {
		return this.executions.filter((execution) => execution.workflowId === workflowId);
	}

	/**
	 * What n8n's next start does after a crash: executions still `running` become `crashed`
	 * (MessageEventBus.performStartupRecovery → ExecutionCrashService.markAsCrashed, n8n 2.41.1
	 * dist/eventbus/message-event-bus/message-event-bus.js lines 192-206; with event-log
	 * recovery n8n may instead store the outcome it finds in its log, not modelled). They keep
	 * their de-duplication key, so an emit with it is refused from then on.
	 */
	recoverAfterCrash(): StoredExecution[] {
		const crashed = this.executions.filter((execution) => execution.status === 'running');
		for (const execution of crashed) execution.status = 'crashed';
		return crashed;
	}

	/**
	 * n8n's periodic pruning by count (EXECUTIONS_DATA_PRUNE_MAX_COUNT, default 10,000, over
	 * all workflows; @n8n/db execution.repository.js softDeletePrunableExecutions): beyond the
	 * newest `maxCount` executions, every one not new/running/waiting is soft-deleted, then
	 * hard-deleted an hour later (modelled as deleted at once). Their keys go with them: the
	 * de-duplication window is the last 10,000 executions of the instance (or 14 days).
	 */
	pruneByCount(maxCount = 10_000): number {
		const all = this.executions;
		const cutoff = all.length - maxCount;
		if (cutoff <= 0) return 0;
		const older = new Set(all.slice(0, cutoff));
		return this.prune((execution) => older.has(execution) && !['new', 'running', 'waiting'].includes(execution.status));
	}

	/** n8n's execution pruning (hard delete): the executions go, and so do their keys. */
	prune(predicate: (execution: StoredExecution) => boolean = () => true): number {
		let removed = 0;
		for (const execution of this.executions) {
			if (!predicate(execution)) continue;
			this.deleteExecution(execution.id);
			removed++;
		}
		return removed;
	}
}

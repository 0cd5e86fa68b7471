/**
 * Renders bench/results/latest.json (or the given file) as the Markdown table of BENCHMARKS.md.
 * Usage: node build/bench/markdown.js [FILE] [--compare EARLIER.json --labels before,after]
 * With --compare, EARLIER's figures stand in the column left of FILE's (rows: FILE's figures).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Figure } from './lib/stats';

interface Results {
	figures: Figure[];
	machine: Record<string, unknown>;
	durationS: number;
}

function fmt(value: number | undefined): string {
	if (value === undefined || value === null || !Number.isFinite(value)) return '';
	if (Math.abs(value) >= 100) return String(Math.round(value));
	return String(Math.round(value * 1000) / 1000);
}

function cell(f: Figure | undefined): string {
	if (!f) return '';
	const ratio = f.ratio !== undefined ? ` (${fmt(f.ratio)}×)` : '';
	return `${fmt(f.value)} ${f.unit}${ratio}`;
}

function escape(text: string): string {
	return text.replace(/\|/g, '\\|');
}

export function render(results: Results, compare?: Results, labels = ['before', 'after']): string {
	const head = compare
		? `| scenario | figure | baseline (same run) | ${labels[0]} (ratio) | ${labels[1]} (ratio) | target | met |\n|---|---|---|---|---|---|---|`
		: '| scenario | figure | baseline (same run) | value (ratio) | target | met |\n|---|---|---|---|---|---|';
	const rows = results.figures.map((f) => {
		const other = compare?.figures.find((g) => g.scenario === f.scenario && g.name === f.name);
		const base = f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : (f.note === 'reference' ? 'reference' : '');
		const met = (g: Figure | undefined) => (g?.met === undefined ? '' : g.met ? 'yes' : 'no');
		const cells = compare
			? [f.scenario, f.name, base, cell(other), cell(f), f.target ?? '', [met(other), met(f)].filter(Boolean).join(' → ')]
			: [f.scenario, f.name, base, cell(f), f.target ?? '', met(f)];
		return `| ${cells.map(escape).join(' | ')} |`;
	});
	return [head, ...rows].join('\n');
}

if (require.main === module) {
	const file = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : path.resolve(__dirname, '../../bench/results/latest.json');
	const compareIndex = process.argv.indexOf('--compare');
	const labelsIndex = process.argv.indexOf('--labels');
	const results = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
	const compare = compareIndex > 0 ? (JSON.parse(fs.readFileSync(process.argv[compareIndex + 1], 'utf8')) as Results) : undefined;
	const labels = labelsIndex > 0 ? process.argv[labelsIndex + 1].split(',') : undefined;
	process.stdout.write(`${render(results, compare, labels)}\n`);
}

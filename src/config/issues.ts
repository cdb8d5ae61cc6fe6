// Building and printing Issues. One line per issue:
// /etc/config/ha-router:12: vrrp 'lan' option 'vrid': '300' is out of range; valid: 1..255 [VRID_RANGE]

import type { Issue, Origin, Severity } from '../model/types.ts';
import { oneLine, shown } from '../util/shown.ts';

export function makeIssue(severity: Severity, code: string, at: Origin, message: string, value?: string): Issue {
	return value === undefined ? { severity, code, at, message } : { severity, code, at, value: shown(value), message };
}

/** "'<value>' <why>; valid: <valid>", the shape of every bad-value message. */
export function valueMessage(value: string, why: string, valid: string): string {
	return `'${shown(value)}' ${why}; valid: ${valid}`;
}

export function formatIssue(i: Issue): string {
	const where: string[] = [];
	if (i.at.section) where.push(i.at.type ? `${i.at.type} '${i.at.section}'` : `'${i.at.section}'`);
	if (i.at.option) where.push(`option '${i.at.option}'`);
	const head = i.at.line > 0 ? `${i.at.file}:${i.at.line}` : i.at.file;
	const severity = i.severity === 'warning' ? 'warning: ' : '';
	// Whatever a message quotes, an issue stays one line.
	return oneLine(`${head}: ${where.length ? `${where.join(' ')}: ` : ''}${severity}${i.message} [${i.code}]`);
}

/** The stable JSON shape of `ha-router check --json`. */
export function issueJson(i: Issue): Record<string, string | number> {
	const o: Record<string, string | number> = { code: i.code, file: i.at.file, line: i.at.line, section: i.at.section };
	if (i.at.type !== undefined) o['type'] = i.at.type;
	if (i.at.option !== undefined) o['option'] = i.at.option;
	if (i.value !== undefined) o['value'] = i.value;
	o['message'] = i.message;
	return o;
}

/** Errors first in file order, then warnings; stable for golden output. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
	const rank = (i: Issue) => (i.severity === 'error' ? 0 : 1);
	return issues
		.map((issue, n) => ({ issue, n }))
		.sort((a, b) => rank(a.issue) - rank(b.issue) || cmp(a.issue.at.file, b.issue.at.file) || a.issue.at.line - b.issue.at.line || a.n - b.n)
		.map((x) => x.issue);
}

function cmp(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

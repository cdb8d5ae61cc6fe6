// The generic half of the schema: every section of /etc/config/ha-router checked against its spec
// table (options.ts). Reports unknown section types and options, bad values, missing required
// options and section counts; returns the checked values with their origins.

import type { Issue, Origin } from '../model/types.ts';
import { didYouMean } from './did-you-mean.ts';
import { makeIssue, valueMessage } from './issues.ts';
import { type OptionSpec, RESERVED_TYPES, SCHEMA } from './options.ts';
import type { UciPackage, UciSection } from './uci-types.ts';

export interface ReadSection {
	readonly type: string;
	readonly section: UciSection;
	readonly origin: Origin;
	/** Checked values (defaults filled in); an option whose value failed its check is absent. */
	readonly values: ReadonlyMap<string, unknown>;
	/** Where an option was set, or the section line if it was not. */
	at(option: string): Origin;
	/** The option's text as written (first item for lists), for messages. */
	raw(option: string): string | undefined;
}

export function readSections(pkg: UciPackage, report: (i: Issue) => void): Map<string, ReadSection[]> {
	const out = new Map<string, ReadSection[]>();
	for (const type of Object.keys(SCHEMA)) out.set(type, []);
	for (const section of pkg.sections) {
		const origin: Origin = { file: pkg.file, line: section.line, section: section.id, type: section.type };
		const spec = SCHEMA[section.type];
		if (!spec) {
			if (RESERVED_TYPES.includes(section.type)) {
				report(makeIssue('warning', 'RESERVED_SECTION', origin, `section type '${section.type}' is reserved for a later version of ha-router and is ignored`));
			} else {
				const hint = didYouMean(section.type, Object.keys(SCHEMA));
				const valid = Object.keys(SCHEMA).join(', ');
				report(makeIssue('error', 'UNKNOWN_SECTION_TYPE', origin, `unknown section type '${section.type}'${hint ? `; did you mean '${hint}'?` : `; valid: ${valid}`}`, section.type));
			}
			continue;
		}
		if (spec.named && section.anonymous) {
			report(makeIssue('error', 'SECTION_NAME_REQUIRED', origin, `a ${section.type} section needs a name (config ${section.type} '<name>')`));
		}
		out.get(section.type)!.push(readSection(section, origin, spec.options, report));
	}
	for (const [type, list] of out) {
		const spec = SCHEMA[type]!;
		if (list.length < spec.min) {
			const example = type === 'vrrp' ? "config vrrp 'lan'" : `config ${type} '${type}'`;
			report(makeIssue('error', 'SECTION_MISSING', { file: pkg.file, line: 0, section: '', type }, `no '${type}' section; add one (${example})`));
		}
		for (const extra of list.slice(spec.max)) {
			report(makeIssue('error', 'SECTION_DUPLICATE', extra.origin, `only ${spec.max} '${type}' section${spec.max > 1 ? 's are' : ' is'} supported; the first is at line ${list[0]!.origin.line}`));
		}
	}
	return out;
}

function readSection(section: UciSection, origin: Origin, specs: readonly OptionSpec[], report: (i: Issue) => void): ReadSection {
	const values = new Map<string, unknown>();
	const origins = new Map<string, Origin>();
	const raws = new Map<string, string>();
	for (const opt of section.options) {
		const at: Origin = { ...origin, line: opt.line, option: opt.name };
		origins.set(opt.name, at);
		raws.set(opt.name, opt.values[0]!);
		const spec = specs.find((s) => s.name === opt.name);
		if (!spec) {
			const hint = didYouMean(opt.name, specs.map((s) => s.name));
			const known = specs.map((s) => s.name).join(', ');
			// A misspelt secret is still the secret.
			const shown = specs.find((s) => s.name === hint)?.secret ? undefined : opt.values[0];
			report(makeIssue('error', 'UNKNOWN_OPTION', at, `unknown option${hint ? `; did you mean '${hint}'?` : `; valid: ${known}`}`, shown));
			continue;
		}
		if (opt.isList && !spec.list) {
			report(makeIssue('error', 'OPTION_NOT_LIST', at, `takes one value: write 'option ${opt.name}', not 'list ${opt.name}'`, spec.secret ? undefined : opt.values.join(' ')));
			continue;
		}
		// A single `option` where a list is expected counts as a one-item list, like config_list_foreach.
		const checked: unknown[] = [];
		let ok = true;
		for (const raw of opt.values) {
			const r = spec.check(raw);
			if (r.ok) {
				checked.push(r.value);
				if (r.warning) report(makeIssue('warning', r.warning.code, at, ...said(spec, raw, r.warning.why, r.warning.valid)));
			} else {
				ok = false;
				report(makeIssue('error', r.code, at, ...said(spec, raw, r.why, r.valid)));
			}
		}
		if (ok) values.set(opt.name, spec.list ? checked : checked[0]);
	}
	for (const spec of specs) {
		if (origins.has(spec.name)) continue;
		if (spec.required) {
			report(makeIssue('error', 'OPTION_REQUIRED', { ...origin, option: spec.name }, `required ${spec.list ? 'list' : 'option'} '${spec.name}' is missing`));
			continue;
		}
		const d = spec.default ?? '';
		if (Array.isArray(d)) {
			values.set(spec.name, (d as readonly string[]).map((v) => (spec.check(v) as { value: unknown }).value));
		} else {
			values.set(spec.name, d === '' ? null : (spec.check(d as string) as { value: unknown }).value);
		}
	}
	return {
		type: section.type,
		section,
		origin,
		values,
		at: (option) => origins.get(option) ?? { ...origin, option },
		raw: (option) => raws.get(option),
	};
}

/** An issue's message and value for a bad value; a secret option's value is left out of both. */
function said(spec: OptionSpec, raw: string, why: string, valid: string): [string, string | undefined] {
	return spec.secret ? [`${why}; valid: ${valid}`, undefined] : [valueMessage(raw, why, valid), raw];
}

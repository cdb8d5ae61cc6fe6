// Golden files: every renderer over the example Models, compared byte for byte with
// test/golden/<NN_case>/. UPDATE_GOLDEN=1 rewrites the expectations (review the diff!).

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathsFor } from '../../../src/model/paths.ts';
import { cases } from './models.ts';
import { GOLDEN_FILES, renderCase } from './render-case.ts';

const GOLDEN = join(import.meta.dirname, '../../golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
/** The paths of a real router: what the golden files show. */
const ROUTER = pathsFor('');

describe.each(cases)('golden $name', (c) => {
	const dir = join(GOLDEN, c.name);
	const rendered = renderCase(c, ROUTER);

	it.each(GOLDEN_FILES)('%s', (file) => {
		const path = join(dir, file);
		const actual = rendered[file];
		if (UPDATE) {
			mkdirSync(dir, { recursive: true });
			if (actual === null) rmSync(path, { force: true });
			else writeFileSync(path, actual);
		}
		if (actual === null) {
			expect(existsSync(path), `${path} should not exist (the renderer returns null)`).toBe(false);
			return;
		}
		expect(existsSync(path), `${path} missing: run UPDATE_GOLDEN=1 npx vitest run --dir test/unit/render`).toBe(true);
		// toBe on strings shows a line diff on mismatch.
		expect(actual).toBe(readFileSync(path, 'utf8'));
	});

	it('renders identical bytes twice (from a copy of the model)', () => {
		const again = renderCase(structuredClone(c), ROUTER);
		expect(again).toStrictEqual(rendered);
	});
});

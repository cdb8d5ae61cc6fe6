import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['**/*.test.ts'],
		testTimeout: 20_000,
		// e2e and namespace suites share the kernel's network state: run files one at a time there.
		fileParallelism: true,
	},
});

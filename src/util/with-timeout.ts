/** Rejects with `message` if `p` has not settled after `ms`; the timer is cleared either way. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const limit = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(message)), ms);
	});
	// Cleared after the race settles, never inside the timer's own callback (that aborts tjs 24.12).
	return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

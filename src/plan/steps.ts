// A transition is an ordered list of these steps: plain data, so its order is tested directly
// and `ha-router notify --dry-run` can print it. src/exec/ runs them; it does no planning.

export type OnError = 'continue' | 'abort';

interface Base {
	/** Why this step exists, for logs and plan output. */
	readonly why: string;
	readonly timeoutMs: number;
	readonly onError: OnError;
}

export type Step = Base &
	(
		| { readonly kind: 'conntrackd-commit' }
		| { readonly kind: 'conntrackd-flush-caches' }
		| { readonly kind: 'conntrackd-resync-kernel' }
		| { readonly kind: 'conntrackd-bulk-send' }
		| { readonly kind: 'conntrackd-shorten-timers' }
		| { readonly kind: 'conntrackd-request-resync' }
		| { readonly kind: 'wan-up' }
		| { readonly kind: 'snat-update' }
		| { readonly kind: 'wan-down' }
		| { readonly kind: 'vip-route-source'; readonly address: string; readonly device: string; readonly source: string }
		| { readonly kind: 'vip-route-restore'; readonly address: string; readonly device: string }
		| { readonly kind: 'peer-left-master' }
		| { readonly kind: 'service-start'; readonly name: string }
		| { readonly kind: 'service-stop'; readonly name: string }
		| { readonly kind: 'hotplug-keepalived'; readonly env: Readonly<Record<string, string>> }
	);

export type StepKind = Step['kind'];

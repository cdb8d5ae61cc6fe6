// The few exception types; everything else a user can cause is reported as data (Issue[]).
// main.ts holds the only catch that decides the exit code.

/** Stop with this exit code; the message (if any) is printed by main. */
export class ExitError extends Error {
	constructor(
		readonly code: number,
		message = '',
	) {
		super(message);
	}
}

/** Wrong command line: exit 2 with a one-line hint. */
export class UsageError extends ExitError {
	constructor(message: string) {
		super(2, message);
	}
}

/** A program or socket the system seam used failed. */
export class SystemError extends Error {
	constructor(
		readonly program: string,
		message: string,
		readonly code: number | null = null,
		readonly stderr = '',
	) {
		super(`${program}: ${message}`);
	}
}

// The sentence for a symbolic link that cannot be followed to a file, shared by both runtimes.
// Writes follow links (as `uci commit` does via realpath), so these are the only links refused.

/** A clear error for ENOENT/ENOTDIR (dangling) or ELOOP (loop) met through the link `path`; null otherwise. */
export function brokenLinkError(path: string, target: string | null, code: string | undefined): Error | null {
	let why: string;
	if (code === 'ELOOP') why = `${path} is a symbolic link that leads back to itself: point it at a file or replace it by one`;
	else if (code === 'ENOENT' || code === 'ENOTDIR') why = `${path} is a symbolic link to '${target}', which does not exist: create that file or replace the link by a file`;
	else return null;
	return Object.assign(new Error(why), { code });
}

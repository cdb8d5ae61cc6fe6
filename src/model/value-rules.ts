// What the places our values go to can hold: keepalived.conf, nft, conntrackd.conf, the kernel and
// /etc/init.d. Config validation refuses a value that breaks one (with file, line and option), and
// the renderers and the system seam assert the same rule, so check and apply never disagree.

/** keepalived.conf has no escapes: a token can never hold '"' or a control character. */
export function keepalivedCarries(value: string): boolean {
	return !/["\x00-\x1f\x7f]/.test(value);
}

/** An nft string literal cannot hold '"', '\' or a control character. */
export function nftCarries(value: string): boolean {
	return !/["\\\x00-\x1f\x7f]/.test(value);
}

/** conntrackd's lexer reads an interface name only as a word starting with a letter. */
export function conntrackdCarriesDevice(value: string): boolean {
	return /^[A-Za-z][A-Za-z0-9._-]*$/.test(value);
}

/** A Linux interface name (dev_valid_name): 1..15 bytes, not . or .., no '/', ':' or blanks. */
export function validIfname(s: string): boolean {
	return s.length > 0 && s.length < 16 && s !== '.' && s !== '..' && !/[/:\s]/.test(s) && /^[\x21-\x7e]+$/.test(s);
}

/** A device name keepalived.conf, nft and the kernel all accept. */
export function usableDevice(s: string): boolean {
	return validIfname(s) && nftCarries(s) && keepalivedCarries(s);
}

export const USABLE_DEVICE = "1..15 printable characters without '/', ':', '\"', '\\' or blanks";

/** An init script: a file name in /etc/init.d, never a path, a dot file or an option; rpcd's rc also refuses any '..'. */
export function validServiceName(name: string): boolean {
	return /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/.test(name) && !name.includes('..');
}

/** The UCI section our macvlan device gets in /etc/config/network: UCI names allow only [A-Za-z0-9_]. */
export function deviceSectionName(device: string): string {
	return device.replace(/[^A-Za-z0-9_]/g, '_');
}

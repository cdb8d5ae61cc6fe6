/// <reference lib="dom" />
// Headless Chromium (Debian's /usr/bin/chromium) driven by puppeteer-core, for the LuCI tests.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export function launch(): Promise<Browser> {
	// --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
	return puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--window-size=1100,900'], defaultViewport: { width: 1100, height: 900 } });
}

/** Logs in through the login form, as a user would, in a context of its own (cookies); returns the page on the overview. */
export async function login(browser: Browser, base: string, user: string, password: string): Promise<Page> {
	const page = await (await browser.createBrowserContext()).newPage();
	await page.goto(`${base}/cgi-bin/luci/admin/status/ha-router`);
	await page.type('#luci_username', user);
	await page.type('#luci_password', password);
	await Promise.all([page.waitForNavigation(), page.click('#login button')]);
	await rendered(page);
	return page;
}

/** Waits until the stand-in has rendered the view (body[data-rendered]); returns the first render time in ms. */
export async function rendered(page: Page, after = 0): Promise<number> {
	await page.waitForFunction((t: number) => Number(document.body?.getAttribute('data-rendered') ?? 0) > t, { timeout: 15_000 }, after);
	return page.evaluate(() => (window as unknown as { LUCI_RENDER_MS: number }).LUCI_RENDER_MS);
}

export async function open(page: Page, base: string, node: string): Promise<number> {
	await page.goto(`${base}/cgi-bin/luci/${node}`);
	return rendered(page);
}

export function text(page: Page, selector: string): Promise<string> {
	return page.$eval(selector, (e) => (e as HTMLElement).innerText);
}

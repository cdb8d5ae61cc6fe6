declare const __VERSION__: string;

/** Set by the build from package.json; "dev" when run from source (tests). */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

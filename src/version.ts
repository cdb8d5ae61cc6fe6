declare const __VERSION__: string;

/** Set by the build from package.json; "dev" when run from source (tests). */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

declare const __BUILD__: string;

/** A hash of the sources the build bundled: tells two builds of one version apart (the model cache). */
export const BUILD: string = typeof __BUILD__ === 'string' ? __BUILD__ : 'dev';

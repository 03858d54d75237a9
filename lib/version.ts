// The version in package.json, built into the bundle.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

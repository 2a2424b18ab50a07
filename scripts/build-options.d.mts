// Types of scripts/build-options.mjs, for TypeScript importers (test/helpers/build-fixture.ts).
import type { BuildOptions, Plugin } from 'esbuild';

export declare const inkOutputPlugin: Plugin;
export declare const yogaNoFetchPlugin: Plugin;
export declare const esbuildOptions: BuildOptions;
export declare const devtoolsShim: Plugin;

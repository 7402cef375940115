import { defineConfig, type Options } from 'tsup'

/**
 * The CLI must use the same pulse-engine module instance as the workflows a config imports
 * from 'pulse-engine' (the DSL checks workflows with instanceof). So its fallback import of the
 * library stays an import of the package's own entry next to it instead of a bundled copy.
 * The dashboard stays its own entry too: bundled, esbuild would hoist Hono's imports to the top
 * of cli.js, and every command would load it at startup.
 */
const entriesStayExternal: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'cli-imports-package-entries',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) => (args.importer.endsWith('src/cli/library.ts') ? { path: './index.js', external: true } : undefined))
    build.onResolve({ filter: /^\.\.\/dashboard\/index\.js$/ }, (args) =>
      args.importer.endsWith('src/cli/serve-dashboard.ts') ? { path: './dashboard.js', external: true } : undefined,
    )
  },
}

export default defineConfig([
  {
    // One build for both entries, split into shared chunks: 'pulse-engine/testing' must use the
    // same module instances as 'pulse-engine' (the DSL checks workflows with instanceof).
    entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    // The testing kit reads import.meta.url (template-cache.ts), which the CommonJS build needs shimmed.
    shims: true,
  },
  {
    // Its own entry point, so an application that does not mount the dashboard never loads Hono.
    entry: { dashboard: 'src/dashboard/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
    external: ['hono', '@hono/node-server'],
  },
  {
    // ESM only; the hashbang at the top of src/cli/index.ts makes tsup mark the file executable.
    entry: { cli: 'src/cli/index.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
    esbuildPlugins: [entriesStayExternal],
  },
])

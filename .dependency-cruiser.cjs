/**
 * The layer rule of docs/architecture.md, checked by `npm test` (npm run deps) before tap runs.
 * Imports point down only; a layer may import the layers listed for it and its own files, never a
 * sibling of its own rank. A violation fails the suite with the rule's name (layer-<from>).
 */
const LAYERS = {
  kernel: [],
  access: ['kernel'],
  hal: ['kernel'],
  store: ['kernel', 'access'],
  journal: ['kernel'],
  // the event upload carries journal entries as the journal encodes them
  wire: ['kernel', 'access', 'journal'],
  engine: ['kernel', 'access', 'store', 'journal', 'wire'],
  doors: ['kernel', 'access', 'hal', 'journal'],
  cloud: ['kernel', 'access', 'journal', 'wire'],
  control: ['kernel', 'access', 'hal', 'journal', 'wire'],
  app: ['kernel', 'access', 'hal', 'store', 'journal', 'wire', 'engine', 'doors', 'cloud', 'control'],
  cli: ['kernel', 'access', 'hal', 'store', 'journal', 'wire', 'engine', 'doors', 'cloud', 'control', 'app'],
};
const under = (names) => `^src/(${names.join('|')})/`;

const layerRules = Object.entries(LAYERS).map(([layer, below]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only ${below.length ? below.map((l) => `src/${l}/`).join(', ') : 'nothing else in src/'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: [under([layer, ...below])] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-main',
      comment: 'src/main.ts is the entry: it starts the daemon (src/app/) and imports nothing above it',
      severity: 'error',
      from: { path: '^src/main\\.ts$' },
      to: { path: '^src/', pathNot: [under(LAYERS.cli)] },
    },
    {
      name: 'daemon-without-tools',
      comment: 'the daemon never loads the other ends of the wire (tools/), test support or benchmarks',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^(tools|test|bench)/' },
    },
    {
      name: 'cli-loads-tools-lazily',
      comment: 'the CLI may load a tool (lockgw cloud-sim) only with a dynamic import, when that verb runs',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^(tools|test|bench)/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'sqlite-in-store',
      comment: 'only src/store/ opens SQLite; others may name its types (the journal takes an open handle)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '^node_modules/better-sqlite3/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'mqtt-in-cloud',
      comment: 'only the cloud link speaks MQTT',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cloud/' },
      to: { path: '^node_modules/mqtt/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

// The layer map, and the lint rule that enforces it (as VS Code's own `code-layering` rule does): a file
// may import only from rooms below its own, or from its own folder. docs/ARCHITECTURE.md shows the
// same table; change both together.
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Rooms from the top down. `paths` are repository-relative prefixes (a folder ends in `/`). */
export const LAYERS = [
  { room: 'entry point', rank: 8, paths: ['main/index.ts', 'main/cli/'] },
  // Two transports of one contract: neither reaches into the other.
  { room: 'adapter', rank: 7, siblingsApart: true, paths: ['main/electron/', 'main/web/'] },
  { room: 'contract', rank: 6, paths: ['main/contract/'] },
  { room: 'service factory', rank: 5, paths: ['main/services.ts'] },
  {
    room: 'feature service',
    rank: 4,
    // Features are siblings: one never imports another; what two share moves down.
    siblingsApart: true,
    paths: ['main/sessions/', 'main/capture-session/', 'main/review/', 'main/diagnostics/', 'main/twin/', 'main/wizards/', 'main/forensics/'],
  },
  // What several features read: an opened capture's model, and the anomaly rules.
  { room: 'capture model', rank: 3, siblingsApart: true, paths: ['main/captures/', 'main/detector/'] },
  { room: 'helper client', rank: 2, paths: ['main/helper-client/'] },
  { room: 'transport', rank: 1, paths: ['main/ssh/'] },
  {
    room: 'leaf',
    rank: 0,
    paths: ['main/errors.ts', 'main/bundle/', 'main/hosts/', 'main/jobs/', 'main/logging/', 'main/storage/', 'main/events/', 'main/app/', 'main/toolkit/', 'preload/api.ts'],
  },
];

/** Folders whose code must stay out of main/ and the renderer (data and scripts, not modules). */
export const RESOURCE_PREFIX = 'resources/';

/**
 * Data files main/ may import from resources/: JSON the app bundles at build time, such as the toolkit plan
 * the helper ships (`resources/helper/civic_helper/toolkit_plan.json`), which must stay one file beside the
 * helper that reads it. Code never: TypeScript the app runs lives in main/.
 */
const DATA_FILE = /\.json$/;

/** The room of a repository-relative path, with the folder that makes it its own, or null. */
export function roomOf(path) {
  let best = null;
  for (const layer of LAYERS) {
    for (const prefix of layer.paths) {
      const matches = prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || path === prefix.replace(/\.ts$/, '');
      if (matches && (best === null || prefix.length > best.prefix.length)) best = { ...layer, prefix };
    }
  }
  return best;
}

/** Why `from` may not import `to` (repository-relative paths), or null when it may. */
export function layerViolation(from, to) {
  if (from.startsWith('main/') && to.startsWith(RESOURCE_PREFIX) && !DATA_FILE.test(to)) {
    return `main/ never imports code from ${RESOURCE_PREFIX} (data and scripts live there; code the app runs lives in main/; .json data may be imported)`;
  }
  if (from.startsWith(RESOURCE_PREFIX) && to.startsWith('main/')) {
    return `${RESOURCE_PREFIX} never imports main/ (scripts that need the app's code belong in test/ or main/cli/)`;
  }
  if (from.startsWith('renderer/src/store/') && to.startsWith('renderer/src/features/')) {
    return 'store/ never imports features/: move the logic into store/logic/ and let the feature import it';
  }
  const source = roomOf(from);
  const target = roomOf(to);
  if (source === null || target === null) return null;
  if (source.prefix === target.prefix) return null;
  if (target.rank < source.rank) return null;
  if (target.rank === source.rank && !source.siblingsApart && target.rank === 0) return null;
  const direction = target.rank === source.rank ? 'sideways into a sibling' : `up into the ${target.room} layer`;
  return `${source.room} ${source.prefix} imports ${direction} (${target.prefix}); pass it in or move the shared part down`;
}

function resolveSpecifier(filename, specifier) {
  if (!specifier.startsWith('.')) return null;
  const absolute = normalize(join(dirname(filename), specifier));
  return relative(REPOSITORY_ROOT, absolute).split('\\').join('/').replace(/\.(m?js|tsx?)$/, '');
}

function withExtension(path) {
  // Rooms are matched by prefix; single-file rooms are listed as `x.ts`.
  return path.endsWith('/') ? path : `${path}.ts`;
}

/** The `civic/layers` rule. */
export const layersRule = {
  meta: { type: 'problem', docs: { description: 'Imports follow the layer map in docs/ARCHITECTURE.md' }, schema: [] },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const from = relative(REPOSITORY_ROOT, filename).split('\\').join('/');
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const resolved = resolveSpecifier(filename, specifier);
      if (resolved === null) return;
      // A data file keeps its own extension; a module is checked as a file and as a folder's index.
      const reason = DATA_FILE.test(resolved) ? layerViolation(from, resolved) : (layerViolation(from, withExtension(resolved)) ?? layerViolation(from, `${resolved}/`));
      if (reason !== null) context.report({ node, message: reason });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

/** The plugin that carries the rule into eslint.config.mjs. */
export const layersPlugin = { rules: { layers: layersRule } };

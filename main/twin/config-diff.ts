import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * The unified diff from `original` to `updated`, named `a/<path>` and `b/<path>`.
 *
 * A leading `/` of an absolute path is dropped so `patch -p1` run in `/` (or `git apply`) finds the
 * file, as with any a/ b/ diff. Three lines of context as diff(1) gives; no `Index:` or `===` header,
 * which `patch` does not need. Empty when the two are the same: there is nothing to apply.
 * jsdiff writes the `\ No newline at end of file` markers and keeps CR of CRLF lines.
 */
export function configDiff(path: string, original: string, updated: string): string {
  if (original === updated) return '';
  const name = path.replace(/^\/+/, '');
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, original, updated, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}

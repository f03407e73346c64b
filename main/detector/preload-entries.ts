/**
 * The libraries `/etc/ld.so.preload` loads: entries split on white space and colons.
 *
 * Comments and blank lines load nothing, so a file holding only those is not a finding.
 */
export function preloadEntries(content: string): string[] {
  return content
    .split('\n')
    .flatMap((line) => line.replace(/#.*/, '').split(/[\s:]+/))
    .filter((entry) => entry !== '');
}

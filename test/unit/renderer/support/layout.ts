/**
 * Gives the process table's scroll container a height.
 *
 * happy-dom does no layout, so every element measures 0 and the virtualizer would render no rows.
 */
export function giveScrollContainersHeight(height = 520): void {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('process-scroller') ? height : 0;
    },
  });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('process-scroller') ? 1200 : 0;
    },
  });
}

import type { ProcessFilters } from '../../../../preload/api';

/** A filter's value as a control gives it: '' (text) or false (checkbox) means the filter is off. */
export type ProcessFilterInput<K extends keyof ProcessFilters> = ProcessFilters[K] | '' | false | undefined;

/**
 * The filters with one filter set, or cleared.
 *
 * A filter that is off is left out rather than kept as `undefined` or `''`, so an empty text box or an
 * unticked box narrows nothing and the filters read the same however they were cleared.
 */
export function withProcessFilter<K extends keyof ProcessFilters>(filters: ProcessFilters, key: K, value: ProcessFilterInput<K>): ProcessFilters {
  const { [key]: _previous, ...rest } = filters;
  void _previous;
  return value === '' || value === false || value === undefined ? rest : { ...rest, [key]: value };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, samplesNamed } from '../../../../main/twin/prometheus-text';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'twin');
/** A real scrape of Debian 12's prometheus-node-exporter 1.5.0, trimmed to some of its families. */
const SCRAPE = readFileSync(join(FIXTURES, 'node-exporter-scrape-1.prom'), 'utf8');

describe('parsePrometheusText on a real node_exporter scrape', () => {
  const scrape = parsePrometheusText(SCRAPE);

  it('reads every line without a problem', () => {
    expect(scrape.problems).toEqual([]);
    expect(scrape.truncated).toBe(false);
    expect(scrape.samples).toHaveLength(SCRAPE.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length);
  });

  it('finds node_cpu_seconds_total per cpu and mode, as a counter', () => {
    const cpu = samplesNamed(scrape, 'node_cpu_seconds_total');
    expect(cpu).toHaveLength(16);
    expect(new Set(cpu.map((sample) => sample.labels.cpu))).toEqual(new Set(['0', '1']));
    expect(new Set(cpu.map((sample) => sample.labels.mode))).toEqual(new Set(['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']));
    expect(samplesNamed(scrape, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' })[0]?.value).toBe(2873.72);
    expect(scrape.families.get('node_cpu_seconds_total')).toEqual({ name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.' });
  });

  it('reads exponent forms and gauges', () => {
    expect(samplesNamed(scrape, 'node_memory_MemAvailable_bytes')[0]).toMatchObject({ value: 24243978240, labels: {}, timestampMs: null, family: 'node_memory_MemAvailable_bytes' });
    expect(samplesNamed(scrape, 'node_load1')[0]?.value).toBe(5.52);
    expect(scrape.families.get('node_load1')?.type).toBe('gauge');
  });

  it('groups a summary’s quantiles, _sum and _count under its family', () => {
    const gc = scrape.samples.filter((sample) => sample.family === 'go_gc_duration_seconds');
    expect(gc.map((sample) => sample.name)).toEqual([...Array<string>(5).fill('go_gc_duration_seconds'), 'go_gc_duration_seconds_sum', 'go_gc_duration_seconds_count']);
    expect(gc[1]?.labels.quantile).toBe('0.25');
    expect(scrape.families.get('go_gc_duration_seconds')?.type).toBe('summary');
  });

  it('keeps label values with spaces, #, slashes and parentheses', () => {
    expect(samplesNamed(scrape, 'node_uname_info')[0]?.labels).toMatchObject({ domainname: '(none)', sysname: 'Linux', version: '#1 SMP PREEMPT_DYNAMIC @0' });
  });
});

describe('parsePrometheusText by the 0.0.4 rules', () => {
  it('reads a histogram as its _bucket, _sum and _count samples', () => {
    const scrape = parsePrometheusText(
      [
        '# HELP http_request_duration_seconds Request latency.',
        '# TYPE http_request_duration_seconds histogram',
        'http_request_duration_seconds_bucket{le="0.05"} 24054',
        'http_request_duration_seconds_bucket{le="0.1"} 33444',
        'http_request_duration_seconds_bucket{le="+Inf"} 144320',
        'http_request_duration_seconds_sum 53423',
        'http_request_duration_seconds_count 144320',
      ].join('\n'),
    );
    expect(scrape.problems).toEqual([]);
    expect(scrape.samples.map((sample) => [sample.family, sample.labels.le ?? null, sample.value])).toEqual([
      ['http_request_duration_seconds', '0.05', 24054],
      ['http_request_duration_seconds', '0.1', 33444],
      ['http_request_duration_seconds', '+Inf', 144320],
      ['http_request_duration_seconds', null, 53423],
      ['http_request_duration_seconds', null, 144320],
    ]);
  });

  it('reads escapes, NaN, ±Inf, exponents, timestamps, blanks and a trailing comma', () => {
    const scrape = parsePrometheusText(
      [
        '# HELP msdos_file_access_time_seconds Line one\\nwith a \\\\ backslash.',
        'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
        'metric_without_timestamp_and_labels 12.47',
        'something_weird{problem="division by zero"} +Inf -3982045',
        'minus_inf -Inf',
        'not_a_number NaN',
        'small 1E-3',
        'spaced\t{ a = "1" , b="2", }   7   1395066363000  \r',
        '# just a comment',
      ].join('\n'),
    );
    expect(scrape.problems).toEqual([]);
    const [msdos, plain, weird, minus, nan, small, spaced] = scrape.samples;
    expect(msdos?.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(scrape.families.get('msdos_file_access_time_seconds')).toEqual({ name: 'msdos_file_access_time_seconds', type: 'untyped', help: 'Line one\nwith a \\ backslash.' });
    expect(msdos?.value).toBe(1458255915);
    expect(plain).toMatchObject({ value: 12.47, timestampMs: null });
    expect(weird).toMatchObject({ value: Number.POSITIVE_INFINITY, timestampMs: -3982045 });
    expect(minus?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(nan?.value).toBeNaN();
    expect(small?.value).toBe(0.001);
    expect(spaced).toMatchObject({ name: 'spaced', labels: { a: '1', b: '2' }, value: 7, timestampMs: 1395066363000, line: 8 });
  });

  it('reports each bad line with its number and keeps the good ones', () => {
    const scrape = parsePrometheusText(
      [
        'good 1',
        'bad{a="1} 2',
        'bad{a="\\t"} 2',
        'bad{a=1} 2',
        'bad{a="1",a="2"} 2',
        'bad{1a="x"} 2',
        'bad 1 2 3',
        'bad twelve',
        'bad 1 1.5',
        '{a="1"} 2',
        'bad{a="1"}2',
        '# TYPE good gauge',
        '# TYPE x histogramm',
        '# TYPE 1x gauge',
        '# HELP x bad \\t escape',
        'good 2',
        'also_good 3',
      ].join('\n'),
    );
    expect(scrape.samples.map((sample) => [sample.name, sample.value, sample.line])).toEqual([
      ['good', 1, 1],
      ['also_good', 3, 17],
    ]);
    expect(scrape.problems.map((problem) => problem.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(scrape.problems[0]?.message).toBe('bad: label a: the quoted value never closes.');
    expect(scrape.problems[10]?.message).toBe('The TYPE of good comes after its samples.');
    expect(scrape.problems[14]?.message).toBe('good repeats a series given earlier; the repeat was skipped.');
  });

  it('treats a label called __proto__ as a plain label', () => {
    const labels = parsePrometheusText('m{__proto__="x",constructor="y"} 1').samples[0]?.labels;
    expect(labels?.['__proto__']).toBe('x');
    expect(Object.keys(labels ?? {})).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('stops at its limits on hostile input instead of growing without bound', () => {
    const many = Array.from({ length: 50 }, (_, index) => `m{i="${index}"} ${index}`).join('\n');
    const capped = parsePrometheusText(many, { maxSamples: 10 });
    expect(capped).toMatchObject({ truncated: true, problemCount: 1 });
    expect(capped.samples).toHaveLength(10);

    const wide = `m{${Array.from({ length: 70 }, (_, index) => `l${index}="v"`).join(',')}} 1`;
    expect(parsePrometheusText(wide).problems[0]?.message).toBe('m: more than 64 labels.');
    expect(parsePrometheusText(`m{a="${'x'.repeat(100)}"} 1`, { maxLineLength: 50 }).problems[0]?.message).toBe('The line is longer than 50 characters.');

    const noisy = parsePrometheusText(Array.from({ length: 500 }, () => 'garbage here').join('\n'), { maxProblems: 5 });
    expect(noisy.problems).toHaveLength(5);
    expect(noisy.problemCount).toBe(500);

    const long = parsePrometheusText('a 1\nb 2\n', { maxCharacters: 4 });
    expect(long).toMatchObject({ truncated: true });
    expect(long.samples.map((sample) => sample.name)).toEqual(['a']);
  });
});

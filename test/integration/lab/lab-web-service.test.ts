import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, measureHttpLoad, waitForHttp } from '../../lab/http-load';
import { forwardedPort, labVm, readLabInfo, runInGuest, type LabVmInfo } from '../../support/lab';

const CONFIG = '/etc/civic-web.conf';
const SAVED_CONFIG = '/tmp/civic-web.conf.before-test';
const ACCESS_LOG = '/var/log/civic-web/access.log';

let web: LabVmInfo;
let port = 0;

async function guest(script: string, timeoutMs = 60_000): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await runInGuest(web, script, timeoutMs);
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

async function setWorkers(workers: number): Promise<void> {
  const reload = await guest(`sed -i 's/^workers = .*/workers = ${workers}/' ${CONFIG} && civic-web-ctl reload`);
  expect(reload.exitCode, `${reload.stdout}${reload.stderr}`).toBe(0);
  expect((await httpGet(port, '/config')).body).toContain(`workers=${workers} `);
}

beforeAll(async () => {
  web = labVm(await readLabInfo(), 'lab-web');
  port = forwardedPort(web, 8080);
  await waitForHttp(port, '/config');
  // Other tests (and twins of this guest) expect the shipped configuration: keep it to put back.
  const saved = await guest(`cp ${CONFIG} ${SAVED_CONFIG}`);
  expect(saved.exitCode, saved.stderr).toBe(0);
});

afterAll(async () => {
  if (!web) return;
  await guest(`cp ${SAVED_CONFIG} ${CONFIG} && rm -f ${SAVED_CONFIG} && civic-web-ctl reload`);
});

describe('civic-web on lab-web (guest :8080)', () => {
  it('answers through the forward and civic-web-ctl status says so', async () => {
    const answer = await httpGet(port, '/');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^civic-web ok pid=\d+/);
    expect((await httpGet(port, '/no-such-page')).status).toBe(404);
    const status = await guest('civic-web-ctl status');
    expect(status.exitCode, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/running \(pid \d+\), port=8080 workers=\d+ backend_ms=\d+/);
  });

  it('writes every request to its access log in Common Log Format', async () => {
    const before = Number((await guest(`wc -l < ${ACCESS_LOG}`)).stdout.trim());
    const marker = `probe-${Date.now()}`;
    for (let index = 0; index < 3; index++) expect((await httpGet(port, `/?${marker}=${index}`)).status).toBe(200);
    const after = await guest(`wc -l < ${ACCESS_LOG}; grep '${marker}' ${ACCESS_LOG}`);
    const [count = '0', ...lines] = after.stdout.trim().split('\n');
    expect(Number(count)).toBeGreaterThanOrEqual(before + 3);
    expect(lines).toHaveLength(3);
    // host - - [day/Mon/year:hh:mm:ss zone] "request line" status bytes (slirp's address is the peer)
    expect(lines[0]).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+\\.\\d+ - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "GET /\\?${marker}=0 HTTP/1\\.1" 200 \\d+$`));
  });

  it('civic-web -t refuses a bad file naming the file, the line and the key, and logs nothing', async () => {
    const cases: readonly [string, RegExp][] = [
      ['workers = 2\\nwrokers = 4\\n', /\/tmp\/civic-web-bad\.conf:2: unknown key 'wrokers'/],
      ['# comment\\nbackend_ms = fast\\n', /\/tmp\/civic-web-bad\.conf:2: backend_ms: 'fast' is not a number/],
      ['\\n\\n\\nworkers = 65\\n', /\/tmp\/civic-web-bad\.conf:4: workers: 65 is outside 1\.\.64/],
      ['workers = 0\\n', /\/tmp\/civic-web-bad\.conf:1: workers: 0 is outside 1\.\.64/],
    ];
    const errorLines = async (): Promise<string> => (await guest('wc -l < /var/log/civic-web/error.log')).stdout.trim();
    const logged = await errorLines();
    for (const [content, message] of cases) {
      const result = await guest(`printf '${content}' > /tmp/civic-web-bad.conf; civic-web -t -c /tmp/civic-web-bad.conf`);
      expect(result.exitCode, content).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    expect(await errorLines()).toBe(logged);
    const good = await guest('civic-web -t');
    expect(good.exitCode, good.stderr).toBe(0);
    expect(good.stdout).toContain(`${CONFIG}: configuration OK`);
  });

  it('a bad file makes reload and restart exit 1 and the running server keeps its configuration', async () => {
    const before = (await httpGet(port, '/config')).body;
    const broken = await guest(`echo 'wrokers = 4' >> ${CONFIG}; civic-web-ctl reload; echo "reload=$?"; civic-web-ctl restart; echo "restart=$?"; tail -n 3 /var/log/civic-web/error.log`);
    try {
      expect(broken.stdout).toContain('reload=1');
      expect(broken.stdout).toContain('restart=1');
      expect(broken.stderr).toMatch(/civic-web\.conf:\d+: unknown key 'wrokers'/);
      expect((await httpGet(port, '/config')).body).toBe(before);
      // A bad file at start is refused by civic-web itself, into stderr and the error log.
      const start = await guest(`civic-web -c ${CONFIG} -p /tmp/civic-web-second.pid; echo "start=$?"; tail -n 1 /var/log/civic-web/error.log`);
      expect(start.stdout).toContain('start=1');
      expect(start.stderr).toMatch(/unknown key 'wrokers'/);
      expect(start.stdout).toMatch(/\] civic-web: \/etc\/civic-web\.conf:\d+: unknown key 'wrokers'/);
    } finally {
      await guest(`cp ${SAVED_CONFIG} ${CONFIG}`);
    }
  });

  it('serves more requests a second with more workers (the knob works)', async () => {
    // A ratio with a wide margin, not a speed figure: each request waits backend_ms, so four workers
    // should serve about four times what one does until the vCPU saturates (measured: docs/LAB.md).
    const load = { port, concurrency: 16, durationMs: 3000, warmupMs: 1000 };
    await setWorkers(1);
    const one = await measureHttpLoad(load);
    await setWorkers(4);
    const four = await measureHttpLoad(load);
    expect(one.requests, JSON.stringify(one)).toBeGreaterThan(0);
    expect(four.requestsPerSecond, `workers 1: ${JSON.stringify(one)}, workers 4: ${JSON.stringify(four)}`).toBeGreaterThan(1.5 * one.requestsPerSecond);
  });
});

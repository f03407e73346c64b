import type { TwinSummary } from '../../../../preload/api';
import { formatAge, formatCountdown, secondsLeftAt } from '../../store/logic/twins';

/** A live twin with the alias of its host, for the Jobs view. */
export interface HostTwin {
  readonly hostAlias: string;
  readonly twin: TwinSummary;
}

/** The live twins of every connected host: VM, host, age and time left, counting down from `nowMs`. */
export function TwinTimes({ twins, nowMs }: { twins: readonly HostTwin[]; nowMs: number }) {
  if (twins.length === 0) return null;
  return (
    <section className="panel jobs-twins" data-testid="jobs-twins" aria-labelledby="jobs-twins-heading">
      <h3 id="jobs-twins-heading" className="panel-title">
        Live twins <span className="muted">({twins.length})</span>
      </h3>
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">Host</th>
            <th scope="col">Age</th>
            <th scope="col">Time left</th>
          </tr>
        </thead>
        <tbody>
          {twins.map(({ hostAlias, twin }) => (
            <tr key={`${twin.hostId}:${twin.twinId}`} data-testid="jobs-twin" data-twin-id={twin.twinId}>
              <td>{twin.vmName ?? twin.vmId}</td>
              <td className="muted">{hostAlias}</td>
              <td className="mono" data-testid="jobs-twin-age">
                {formatAge(twin.createdAt, nowMs)}
              </td>
              <td className="mono" data-testid="jobs-twin-time-left">
                {formatCountdown(secondsLeftAt(twin, nowMs))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

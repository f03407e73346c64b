import { moveFocusInList } from '../components/list-keyboard';
import { views, type View } from '../store/ui-slice';

/** Labels of the views, as the navigation shows them. */
export const viewLabels: Readonly<Record<View, string>> = {
  hosts: 'Hosts',
  jobs: 'Jobs',
  review: 'Review',
  experiments: 'Experiments',
  wizards: 'Wizards',
  settings: 'Settings',
};

const viewIcons: Readonly<Record<View, string>> = {
  hosts: '⌂',
  jobs: '≡',
  review: '◉',
  experiments: '⚗',
  wizards: '✦',
  settings: '⚙',
};

/** The left navigation; arrow keys move between items. */
export function NavBar({
  current,
  runningJobs,
  onShow,
}: {
  current: View;
  runningJobs: number;
  onShow: (view: View) => void;
}) {
  return (
    <nav className="nav" aria-label="Main">
      <ul onKeyDown={moveFocusInList}>
        {views.map((view, index) => (
          <li key={view}>
            <button
              type="button"
              className={view === current ? 'nav-item nav-item-current' : 'nav-item'}
              aria-current={view === current ? 'page' : undefined}
              data-testid={`nav-${view}`}
              data-list-item
              title={`${viewLabels[view]} (Alt+${index + 1})`}
              onClick={() => onShow(view)}
            >
              <span className="nav-icon" aria-hidden="true">
                {viewIcons[view]}
              </span>
              <span className="nav-label">{viewLabels[view]}</span>
              {view === 'jobs' && runningJobs > 0 ? (
                <span className="nav-count" aria-label={`${runningJobs} running`}>
                  {runningJobs}
                </span>
              ) : null}
              <kbd className="nav-key">{index + 1}</kbd>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

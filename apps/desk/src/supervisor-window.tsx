import { KPI_WINDOWS, type KpiWindowName } from './supervisor-data';

/** The live KPIs' window: the last 15 minutes, the last hour, or today (in the service's KPI_TIME_ZONE). */
export const KpiWindowSwitch = ({ kpiWindow, onKpiWindow }: { kpiWindow: KpiWindowName; onKpiWindow: (name: KpiWindowName) => void }) => (
  <fieldset class="presence window">
    <legend>KPI window</legend>
    {KPI_WINDOWS.map((option) => (
      <button
        type="button"
        key={option.name}
        aria-pressed={kpiWindow === option.name}
        class={kpiWindow === option.name ? 'toggle on' : 'toggle'}
        onClick={() => onKpiWindow(option.name)}
      >
        {option.label}
      </button>
    ))}
  </fieldset>
);

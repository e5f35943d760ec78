/** Small building blocks shared by the panels: a KPI tile, a table, the success-rate colour. */
import { type Child, h } from './dom.js';

/** `good` from 99 %, `warn` from 95 %, else `bad`; nothing when unknown. */
export function srClass(sr: number | undefined): string {
  if (sr === undefined) return '';
  if (sr >= 0.99) return 'good';
  if (sr >= 0.95) return 'warn';
  return 'bad';
}

/** A headline number with its label; `testid` names the value for tests. */
export function kpi(label: string, value: string, testid: string, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `kpi ${cls}` },
    h('div', { class: 'kpi-value', 'data-testid': testid }, value),
    h('div', { class: 'kpi-label' }, label),
  );
}

/** A table, or the `empty` sentence when there are no rows. */
export function table(
  headers: readonly string[],
  rows: readonly Child[][],
  empty: string,
  cls = '',
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((x) => h('th', null, x)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          null,
          r.map((c) => h('td', null, c)),
        ),
      ),
    ),
  );
}

/**
 * Admin control from the page: the operator types the bearer token, the page checks it with
 * `POST /admin/control/check`, and only then shows the forms that mutate (mint an override
 * cookie, apply a dtab to the store), each only when its route exists. The token lives in this
 * module's memory only — never in a cookie or in storage — so mutations carry it as an
 * `Authorization` header a cross-site page cannot forge, and reloading the page forgets it.
 */
import { h, replace } from './dom.js';

let token: string | undefined;
let routes: readonly string[] = [];
const listeners = new Set<() => void>();

const changed = () => {
  for (const l of listeners) l();
};

/** Calls `listener` whenever the token is accepted or forgotten, or the control routes change. */
export function onControlChange(listener: () => void): void {
  listeners.add(listener);
}

/** True when `path` is a registered control route and a checked token is held. */
export function canUse(path: string): boolean {
  return token !== undefined && routes.includes(path);
}

/** A request to a control route with the held token. */
export function controlFetch(path: string, method: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
}

/** The control card: hidden while control is disabled; a token field, then "unlocked". */
export function controlPanel(): { el: HTMLElement; update: (control: readonly string[]) => void } {
  const input = h('input', {
    type: 'password',
    autocomplete: 'off',
    placeholder: 'admin bearer token',
    'aria-label': 'admin token',
    'data-testid': 'control-token',
  }) as HTMLInputElement;
  const status = h('div', { class: 'small', 'data-testid': 'control-status' });
  const form = h(
    'form',
    {
      class: 'pg-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void unlock();
      },
    },
    h('label', { class: 'grow' }, 'token', input),
    h('button', { type: 'submit', 'data-testid': 'control-unlock' }, 'Unlock'),
  );
  const lock = h(
    'button',
    {
      type: 'button',
      'data-testid': 'control-lock',
      onclick: () => {
        token = undefined;
        render();
        changed();
      },
    },
    'Lock',
  );
  const el = h(
    'section',
    { class: 'card', id: 'control', hidden: true },
    h('h2', null, 'Admin control'),
    h(
      'p',
      { class: 'muted small' },
      'Mutations need the admin bearer token. It stays in this page’s memory only (reloading forgets it).',
    ),
    form,
    status,
  );
  const render = () => {
    form.hidden = token !== undefined;
    if (token !== undefined) replace(status, h('span', { class: 'good' }, 'unlocked '), lock);
  };
  async function unlock(): Promise<void> {
    const candidate = input.value.trim();
    const res = await fetch('/admin/control/check', {
      method: 'POST',
      headers: { authorization: `Bearer ${candidate}` },
      cache: 'no-store',
    });
    if (!res.ok) {
      replace(status, h('span', { class: 'bad', 'data-testid': 'control-error' }, (await res.text()).trim()));
      return;
    }
    token = candidate;
    input.value = '';
    render();
    changed();
  }
  return {
    el,
    update(control) {
      el.hidden = control.length === 0;
      if (control.join('\n') === routes.join('\n')) return;
      routes = control;
      if (routes.length === 0) token = undefined;
      render();
      changed();
    },
  };
}

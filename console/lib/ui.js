// Small shared pieces: data loading, error and status messages, labelled fields.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { request } from './graphql.js';
import { html } from './html.js';

let fieldIds = 0;
/** A stable id for a label/input pair. */
export function useId(prefix = 'field') {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++fieldIds}`;
  return ref.current;
}

/** Runs `query` with `variables` (again whenever `key` changes, or on reload()); { data, error, loading, reload }. */
export function useQuery(query, variables, key = JSON.stringify(variables ?? {})) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, error: null }));
    request(query, variables ?? {}, { signal: controller.signal })
      .then((data) => setState({ data, error: null, loading: false }))
      .catch((error) => {
        if (error.name !== 'AbortError') setState((previous) => ({ ...previous, error, loading: false }));
      });
    return () => controller.abort();
  }, [query, key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

/** Wraps an async action with a busy flag and its error: [run, { busy, error, clear }]. */
export function useAction(action) {
  const [state, setState] = useState({ busy: false, error: null });
  const run = useCallback(
    async (...args) => {
      setState({ busy: true, error: null });
      try {
        const result = await action(...args);
        setState({ busy: false, error: null });
        return result;
      } catch (error) {
        setState({ busy: false, error });
        return undefined;
      }
    },
    [action],
  );
  return [run, { ...state, clear: () => setState({ busy: false, error: null }) }];
}

export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="message error" role="alert">${error.code && error.code !== 'ERROR' ? html`<strong>${error.code}</strong> ` : ''}${error.message}</p>`;
}

export function Notice({ children, kind = 'info' }) {
  return html`<p class=${`message ${kind}`} role="status">${children}</p>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status">${what}…</p>`;
}

/** A labelled input; extra props go to the <input>. */
export function Field({ label, hint, children, ...props }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children ? children(id, hintId) : html`<input id=${id} aria-describedby=${hintId} ...${props} />`}
    ${hint ? html`<small id=${hintId} class="hint">${hint}</small>` : null}
  </div>`;
}

/** A labelled <select> of `options` ([value, text] pairs or strings). */
export function SelectField({ label, hint, options, ...props }) {
  return html`<${Field} label=${label} hint=${hint}>
    ${(id, hintId) => html`<select id=${id} aria-describedby=${hintId} ...${props}>
      ${options.map((option) => {
        const [value, text] = Array.isArray(option) ? option : [option, option];
        return html`<option value=${value}>${text}</option>`;
      })}
    </select>`}
  <//>`;
}

export function PageHeader({ title, children }) {
  useEffect(() => {
    document.title = `${title} · Agora console`;
  }, [title]);
  return html`<div class="page-header"><h1 tabindex="-1">${title}</h1>${children ? html`<div class="page-actions">${children}</div>` : null}</div>`;
}

/** A destructive button that asks again in place (no window.confirm): first "Revoke", then "Confirm" or "Keep". */
export function ConfirmButton({ label, confirmLabel = `Yes, ${label.toLowerCase()}`, onConfirm, disabled, describedBy }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button type="button" class="danger-outline" disabled=${disabled} aria-describedby=${describedBy} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" role="group" aria-label=${label}>
    <button type="button" class="danger" onClick=${() => { setAsking(false); onConfirm(); }} ref=${(element) => element?.focus()}>${confirmLabel}</button>
    <button type="button" onClick=${() => setAsking(false)}>Keep</button>
  </span>`;
}

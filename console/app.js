// The Agora web console: a static Preact application that signs in with an access token and then uses
// the GraphQL API only. Routes live in the URL's hash (#/usage, #/runs/<id>, ...).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { onUnauthenticated, request } from './lib/graphql.js';
import { html } from './lib/html.js';
import { forgetToken, storedToken, storeToken } from './lib/session.js';
import { ErrorMessage, Loading, Notice, useId } from './lib/ui.js';
import { AdminPage } from './pages/admin.js';
import { BudgetsPage } from './pages/budgets.js';
import { KeysPage } from './pages/keys.js';
import { ProjectsPage } from './pages/projects.js';
import { RunsPage } from './pages/runs.js';
import { UsagePage } from './pages/usage.js';

const ME = 'query ConsoleMe { me { id email name role rateLimit { requestsPerMinute tokensPerMinute } } }';

const PAGES = [
  { id: 'usage', label: 'Usage', component: UsagePage },
  { id: 'runs', label: 'Live runs', component: RunsPage },
  { id: 'projects', label: 'Projects', component: ProjectsPage },
  { id: 'keys', label: 'Keys', component: KeysPage },
  { id: 'budgets', label: 'Budgets', component: BudgetsPage },
  { id: 'admin', label: 'Admin', component: AdminPage, admin: true },
];

/** #/page/a/b?x=1 -> { page, path: [a, b], params: { x: '1' } } */
function parseHash(hash) {
  const [pathPart, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...path] = pathPart.split('/').filter(Boolean).map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  return { page: page || 'usage', path, params: Object.fromEntries(new URLSearchParams(query)) };
}

function navigate(target, params) {
  const query = params ? `?${new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ''))}` : '';
  location.hash = `#/${target}${query === '?' ? '' : query}`;
}

function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

function SignIn({ onSignedIn, notice }) {
  const [token, setToken] = useState('');
  const [state, setState] = useState({ busy: false, error: null });
  const id = useId('token');
  useEffect(() => {
    document.title = 'Sign in · Agora console';
  }, []);
  const submit = async (event) => {
    event.preventDefault();
    const value = token.trim();
    setState({ busy: true, error: null });
    try {
      const { me } = await request(ME, {}, { token: value });
      storeToken(value);
      onSignedIn(me);
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return html`<main id="main" class="sign-in">
    <form class="card" onSubmit=${submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Agora console</h1>
      <p>Sign in with an Agora access token. It stays in this browser tab only (session storage) and is sent to this gateway alone.</p>
      ${notice ? html`<${Notice} kind="warn">${notice}<//>` : null}
      <div class="field">
        <label for=${id}>Access token</label>
        <input id=${id} name="token" type="password" autocomplete="off" spellcheck="false" required value=${token}
          aria-describedby=${`${id}-hint`} onInput=${(event) => setToken(event.currentTarget.value)} />
        <small id=${`${id}-hint`} class="hint">The token <code>npm start</code> printed on the first start (<code>agora_…</code>), or a new one: <code>npm run agora -- tokens:create --email you@example.com</code>.</small>
      </div>
      <button type="submit" class="primary" disabled=${state.busy || !token.trim()}>${state.busy ? 'Signing in…' : 'Sign in'}</button>
      <${ErrorMessage} error=${state.error} />
    </form>
  </main>`;
}

function Shell({ viewer, route, onSignOut }) {
  const pages = PAGES.filter((page) => !page.admin || viewer.role === 'ADMIN');
  // An admin page opened by a member says why it is refused (it is only left out of the navigation).
  const current = PAGES.find((page) => page.id === route.page);
  const first = useRef(true);
  // After a navigation, move focus to the new page's heading so keyboard and screen-reader users land there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => document.querySelector('main h1')?.focus());
  }, [route.page, route.path.join('/')]);
  const Page = current?.component;
  return html`
    <a class="skip" href="#main" onClick=${(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to the content</a>
    <header class="top">
      <a class="brand" href="#/usage">Agora <span>console</span></a>
      <nav aria-label="Console">
        <ul>
          ${pages.map((page) => html`<li><a href=${`#/${page.id}`} aria-current=${page.id === current?.id ? 'page' : undefined}>${page.label}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        <span data-testid="viewer">${viewer.email} <span class="badge">${viewer.role}</span></span>
        <button type="button" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">
      ${Page ? html`<${Page} viewer=${viewer} path=${route.path} params=${route.params} navigate=${navigate} />` : html`<h1 tabindex="-1">Not found</h1><p>No page “${route.page}”. <a href="#/usage">Go to usage</a>.</p>`}
    </main>
    <footer class="bottom"><a href="/graphql">GraphiQL</a> · this console only calls the gateway's GraphQL API</footer>
  `;
}

function App() {
  const [session, setSession] = useState(() => ({ viewer: null, checking: Boolean(storedToken()), notice: null, error: null }));
  const route = useRoute();
  const signOut = (notice = null) => {
    forgetToken();
    setSession({ viewer: null, checking: false, notice, error: null });
  };
  useEffect(() => onUnauthenticated((message) => signOut(`Signed out: ${message}`)), []);
  useEffect(() => {
    if (!session.checking) return;
    request(ME)
      .then(({ me }) => setSession({ viewer: me, checking: false, notice: null, error: null }))
      .catch((error) => (error.code === 'UNAUTHENTICATED' ? null : setSession({ viewer: null, checking: false, notice: null, error })));
  }, []);
  if (session.checking) return html`<main id="main"><${Loading} what="Signing in" /></main>`;
  if (session.error) return html`<main id="main" class="sign-in"><div class="card"><h1>Agora console</h1><${ErrorMessage} error=${session.error} /><button type="button" onClick=${() => location.reload()}>Try again</button></div></main>`;
  if (!session.viewer) return html`<${SignIn} notice=${session.notice} onSignedIn=${(viewer) => setSession({ viewer, checking: false, notice: null, error: null })} />`;
  return html`<${Shell} viewer=${session.viewer} route=${route} onSignOut=${() => signOut('You signed out.')} />`;
}

const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);

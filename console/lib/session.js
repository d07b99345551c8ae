// The access token lives in this tab's session storage only: closing the tab signs out, and no other
// site or tab reads it. The console keeps nothing on the server.
const KEY = 'agora.console.token';

export function storedToken() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

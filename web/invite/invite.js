// Invitation page: reads the one-time token from the URL fragment (never sent to the server in a
// request line, so it stays out of access logs), removes it from the address bar at once, and
// asks the API what the invitation is for. Text is set with textContent only.
//
// What this cannot do: take the link out of the browser's history. The visited URL, fragment
// included, is recorded in history when the page is opened; replaceState changes only the current
// entry's URL from then on, and some browsers keep the original in their history list and
// suggestions. The link stays usable there until it is used or expires; making it single-use for
// real (consumed by account setup) comes with agent identity.

const ROLE_NAMES = {
  agent: 'Agent',
  senior_agent: 'Senior agent',
  supervisor: 'Supervisor',
  security_officer: 'Security officer',
  tenant_admin: 'Tenant administrator',
  auditor: 'Auditor',
};

/**
 * Reads the token and scrubs it from the address bar (replaceState: the current entry no longer
 * shows it, and Back/Forward do not bring it back; the history list may still hold the link).
 */
function takeToken() {
  const raw = location.hash.replace(/^#/, '');
  if (location.hash !== '') {
    history.replaceState(null, '', location.pathname + location.search);
  }
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`invite page: #${id} is missing`);
  return element;
}

/** Shows one of the three states (status line, invitation, invalid link) and hides the others. */
function showOnly(id) {
  for (const section of ['status', 'invitation', 'invalid']) byId(section).hidden = section !== id;
}

function setStatus(text) {
  byId('status').textContent = text;
  showOnly('status');
}

function showInvalid() {
  showOnly('invalid');
}

function formatExpiry(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(date);
  } catch {
    return date.toString();
  }
}

function showInvitation(view) {
  byId('tenant-name').textContent = view.tenant.name;
  byId('role').textContent = Object.hasOwn(ROLE_NAMES, view.role) ? ROLE_NAMES[view.role] : String(view.role);
  byId('email-hint').textContent = view.emailHint;
  const expires = byId('expires-at');
  expires.textContent = formatExpiry(view.expiresAt);
  expires.setAttribute('datetime', view.expiresAt);
  showOnly('invitation');
}

/** Asks the server about the token; returns what to show, never throws. */
async function lookup(token) {
  let response;
  try {
    response = await fetch('/v1/invitations/lookup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { kind: 'status', text: 'Custodia could not be reached. Check your connection and open the link again.' };
  }
  if (response.ok) {
    try {
      return { kind: 'invitation', view: await response.json() };
    } catch {
      return { kind: 'status', text: 'Custodia sent an answer this page cannot read. Try again later.' };
    }
  }
  // 404 is the one answer for unknown, expired, revoked and used links; 400 means a malformed token.
  if (response.status === 404 || response.status === 400) return { kind: 'invalid' };
  let detail = '';
  try {
    const problem = await response.json();
    if (typeof problem.requestId === 'string') detail = ` (request id ${problem.requestId})`;
  } catch {
    // not a problem document; the status alone is reported
  }
  return { kind: 'status', text: `Custodia could not check this invitation right now (HTTP ${response.status})${detail}. Try again later.` };
}

let latest = 0;

async function main() {
  const run = ++latest;
  const token = takeToken();
  if (token === '') {
    showInvalid();
    return;
  }
  setStatus('Checking your invitation…');
  const result = await lookup(token);
  // A newer link opened in this tab meanwhile: its answer wins.
  if (run !== latest) return;
  if (result.kind === 'invitation') showInvitation(result.view);
  else if (result.kind === 'invalid') showInvalid();
  else setStatus(result.text);
}

void main();
// Another link pasted into the same tab changes only the fragment (no reload): check it too.
window.addEventListener('hashchange', () => {
  if (location.hash !== '') void main();
});

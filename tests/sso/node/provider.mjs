// The OpenID provider of the single sign-on tests: the certified `oidc-provider` package on a
// loopback port, with a small login page of its own (the package's development pages load web fonts
// from the internet) and accounts whose passwords are checked. Started by tests/sso/oidc.py with
// its configuration as JSON in OIDC_TEST_CONFIG:
//   { port, clients: [{client_id, client_secret, redirect_uris}], accounts: {login: {password, claims}} }
// Two clients misbehave on purpose, as an attacker in the middle would make a provider seem to:
//   schoolit-tampered — the ID token in the token response has its payload changed after signing;
//   schoolit-nonce    — the authorization request's nonce is replaced, so the (validly signed) ID
//                       token carries a nonce the relying party never sent.
// POST /test/accounts/<login> (JSON claims) changes an account's claims, as an IdP admin would.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    ...c, grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ['schoolit-test-cookie-key-0123456789'] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  conformIdTokenClaims: false, // the requested claims go into the ID token too
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id].claims }; } };
  },
});

async function body(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP</title></head><body>
<h1>Test identity provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" autocomplete="off"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in at the IdP</button></form></body></html>`;
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/accounts/') && ctx.method === 'POST') {
    accounts[decodeURIComponent(ctx.path.slice(15))].claims = JSON.parse(await body(ctx));
    ctx.status = 204;
    return;
  }
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === 'login') {
      if (!interaction[2]) {
        ctx.type = 'html';
        ctx.body = loginPage(details.uid);
        return;
      }
      const form = new URLSearchParams(await body(ctx));
      const account = accounts[form.get('login')];
      if (!account || account.password !== form.get('password')) {
        ctx.type = 'html';
        ctx.status = 401;
        ctx.body = loginPage(details.uid, 'Wrong login or password');
        return;
      }
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: form.get('login') } },
        { mergeWithLastSubmission: false }));
      return;
    }
    // Consent: granted at once (the organisation's own client).
    const { params, session } = details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } },
      { mergeWithLastSubmission: true }));
    return;
  }
  if (ctx.path === '/auth' && ctx.query.client_id === 'schoolit-nonce') {
    ctx.query = { ...ctx.query, nonce: 'a-nonce-the-client-never-sent' };
  }
  await next();
  if (ctx.path === '/token' && ctx.oidc?.client?.clientId === 'schoolit-tampered' && ctx.body?.id_token) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.groups = ['schoolit-admins'];
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
    ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
  }
});

provider.listen(config.port, '127.0.0.1', () => console.log(`listening on ${issuer}`));

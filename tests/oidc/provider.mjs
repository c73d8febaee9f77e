// The OpenID Provider of the tests: oidc-provider with a throwaway configuration, on
// 127.0.0.1. Everything it needs comes from the environment (tests/oidc/provider.py):
//   OIDC_PORT      the port to listen on (the issuer is http://127.0.0.1:<port>)
//   OIDC_JWKS      a file with the private JWKS it signs with (the first key of the
//                  algorithm signs; the others are published, as during a rotation)
//   OIDC_AUDIENCE  the service's audience: the default resource, and the only one besides
//                  OIDC_OTHER_AUDIENCE that a token may be asked for
//   OIDC_ALG       the access tokens' signing algorithm (RS256 unless set)
//   OIDC_REDIRECT  Swagger UI's redirect URI, for the browser client
// It prints "ready" once it listens.
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const audience = process.env.OIDC_AUDIENCE;
const otherAudience = process.env.OIDC_OTHER_AUDIENCE;
const alg = process.env.OIDC_ALG || 'RS256';

const provider = new Provider(issuer, {
  jwks: JSON.parse(readFileSync(process.env.OIDC_JWKS, 'utf8')),
  clients: [
    // A script or backend: client credentials; its tokens' subject is the client id.
    {
      client_id: 'script',
      client_secret: 'script-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    // Another one: another subject.
    {
      client_id: 'robot',
      client_secret: 'robot-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    // The same, with tokens that run out two seconds after they are issued.
    {
      client_id: 'short-lived',
      client_secret: 'short-lived-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    // A frontend (Swagger UI): authorization code with PKCE, no secret.
    {
      client_id: 'swagger',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: process.env.OIDC_REDIRECT ? [process.env.OIDC_REDIRECT] : ['http://127.0.0.1/unused'],
    },
  ],
  clientDefaults: { id_token_signed_response_alg: alg },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  pkce: { required: () => true },
  // Any login name is an account; its email is <name>@example.com.
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com` }) };
  },
  claims: { openid: ['sub'], email: ['email'] },
  // The service provisions users with the email of the token.
  async extraTokenClaims(_ctx, token) {
    return { email: token.accountId ? `${token.accountId}@example.com` : `${token.clientId}@clients.example` };
  },
  // The browser client is first-party: no consent screen after the login.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email');
    grant.addResourceScope(audience, 'api');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource, client) => {
        if (resource !== audience && resource !== otherAudience) throw new errors.InvalidTarget();
        return {
          scope: 'api',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: client.clientId === 'short-lived' ? 2 : 600,
          jwt: { sign: { alg } },
        };
      },
    },
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

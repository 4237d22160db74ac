// A third-party, OpenID-certified provider (panva's oidc-provider) set up to look like Entra ID:
// Entra-style paths under /{tenant}, a confidential client with PKCE required, RS256, refresh
// tokens with rotation, and access tokens for the Azure DevOps audience via resource indicators.
// Started by server/tests/oidc_provider.rs; listens on 127.0.0.1 only and prints its port.
//
//   APP_URL=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... node provider.mjs
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const DEVOPS = '499b84ac-1321-427f-aa17-267ca6975798';
// Azure DevOps' delegated permissions the app may ask for: the classic one, and the PAT API's own
// least-privilege set (reading at sign-in, vso.pats_manage on the first change).
const DEVOPS_SCOPES = ['user_impersonation', 'vso.pats', 'vso.pats_manage', 'vso.profile', 'vso.project']
  .map((s) => `${DEVOPS}/${s}`)
  .join(' ');
// Resource indicators are absolute URIs; the access token's audience is Azure DevOps' id, as Entra's.
const DEVOPS_RESOURCE = 'https://app.vssps.visualstudio.com';
const appUrl = process.env.APP_URL;
const accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL ?? 3600);
if (!appUrl || !process.env.CLIENT_ID || !process.env.CLIENT_SECRET) {
  console.error('APP_URL, CLIENT_ID and CLIENT_SECRET are required');
  process.exit(2);
}

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  // Entra's issuer for a tenant authority: {authority}/v2.0.
  const provider = new Provider(`${base}/${TENANT}/v2.0`, {
    clients: [{
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [`${appUrl}/getAToken`],
      post_logout_redirect_uris: [`${appUrl}/`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    // Entra never lets a client omit redirect_uri.
    allowOmittingSingleRegisteredRedirectUri: false,
    // Entra puts profile claims in the ID token.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'oid', 'tid'] },
    // Entra issues refresh tokens whenever the app may use them, without prompt=consent.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: { AccessToken: accessTokenTtl, IdToken: 3600, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600 },
    cookies: { names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_resume' }, keys: [crypto.randomBytes(32).toString('hex')] },
    routes: {
      authorization: `/oauth2/v2.0/authorize`,
      token: `/oauth2/v2.0/token`,
      jwks: `/discovery/v2.0/keys`,
      end_session: `/oauth2/v2.0/logout`,
      userinfo: `/oidc/userinfo`,
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEVOPS_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (resource !== DEVOPS_RESOURCE) throw new Error('unknown resource');
          return { scope: DEVOPS_SCOPES, audience: DEVOPS, accessTokenTTL: accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        name: `OP User ${id}`,
        preferred_username: `${id}@op.example`,
        oid: crypto.createHash('sha256').update(id).digest('hex').slice(0, 32),
        tid: TENANT,
      }),
    }),
  });
  provider.proxy = false;
  // Entra-style layout: /{tenant}/v2.0/.well-known/... and /{tenant}/oauth2/v2.0/...
  const callback = provider.callback();
  const prefix = `/${TENANT}`;
  server.on('request', (req, res) => {
    const original = req.url;
    // originalUrl tells the provider its mount path, so every URL it publishes carries /{tenant}.
    if (original.startsWith(`${prefix}/v2.0/.well-known/`)) {
      req.url = original.slice(`${prefix}/v2.0`.length);
      req.originalUrl = `${prefix}${req.url}`;
    } else if (original.startsWith(`${prefix}/`)) {
      req.url = original.slice(prefix.length);
      req.originalUrl = original;
    } else {
      res.statusCode = 404;
      return res.end();
    }
    callback(req, res);
  });
  provider.on('grant.revoked', (ctx, grantId) => console.log(`grant revoked ${grantId}`));
  provider.on('refresh_token.consumed', () => console.log('refresh token consumed'));
  console.log(`listening ${port} ${prefix}`);
});

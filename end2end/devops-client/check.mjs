// Microsoft's own Node client for Azure DevOps (npm azure-devops-node-api) reads the demo
// stand-in's profile and an organization's projects: it first finds the resource areas, then
// each area's resource locations (OPTIONS /_apis/{area}), negotiates the api-version and sends it
// in the Accept header. If this client can read the stand-in, its routes, shapes and version
// negotiation are those of the service. Needs no portal: only the stand-in's URLs and a bearer.
//
//   DEVOPS_APP_URL=<app host, e.g. https://app.vssps.visualstudio.com> DEVOPS_DEV_URL=<dev host>
//   DEVOPS_ORG=<organization> DEVOPS_TOKEN=<Entra access token> node end2end/devops-client/check.mjs
//
// Prints one JSON line (the profile's id and name, the projects' names); never the token.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const azdev = require('azure-devops-node-api');

const { DEVOPS_APP_URL, DEVOPS_DEV_URL, DEVOPS_ORG, DEVOPS_TOKEN } = process.env;
if (!DEVOPS_APP_URL || !DEVOPS_DEV_URL || !DEVOPS_ORG || !DEVOPS_TOKEN) {
  console.error('set DEVOPS_APP_URL, DEVOPS_DEV_URL, DEVOPS_ORG and DEVOPS_TOKEN');
  process.exit(2);
}

const handler = azdev.getBearerHandler(DEVOPS_TOKEN);
const options = { allowRetries: false, socketTimeout: 10000 };

try {
  const app = new azdev.WebApi(DEVOPS_APP_URL, handler, options);
  const profile = await (await app.getProfileApi()).getProfile('me');
  const org = new azdev.WebApi(`${DEVOPS_DEV_URL.replace(/\/$/, '')}/${DEVOPS_ORG}`, handler, options);
  const projects = await (await org.getCoreApi()).getProjects(undefined, 5);
  console.log(
    JSON.stringify({
      profile: { id: profile.id, displayName: profile.displayName },
      projects: projects.map((p) => p.name),
    }),
  );
} catch (e) {
  // The client's message names the URL and the status, never the token.
  console.error(`azure-devops-node-api could not read the stand-in: ${e?.message ?? e}`);
  process.exit(1);
}

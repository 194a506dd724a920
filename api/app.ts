import express from 'express';
import { pinoHttp } from 'pino-http';
import { assessmentRouter } from './assessment/routes';
import { auditRouter } from './audit/routes';
import { authenticate } from './http/auth';
import { authorize } from './http/authorization';
import { calendarRouter } from './calendar/routes';
import { casesRouter } from './cases/routes';
import { codecRouter } from './codec/routes';
import { consoleRouter } from './console/routes';
import type { AppDeps } from './http/deps';
import { authenticateAndLimitWrites, corsFor, noStore, requestIds, securityHeaders } from './http/hardening';
import { healthRouter } from './health/routes';
import { masterDataRouter } from './master-data/routes';
import { meRouter } from './me/routes';
import { metricsRouter } from './metrics/routes';
import { notificationsRouter } from './notifications/routes';
import { openApiDocument, registry } from './http/openapi';
import { refuseUndocumentedMethods } from './http/methods';
import { referenceRouter } from './reference/routes';
import { partnerRepliesRouter } from './partners/replies';
import { partnersRouter } from './partners/routes';
import { notFound, problemHandler, requireJsonBody } from './http/problems';
import { supervisionAlertsRouter } from './supervision/alerts';
import { blowWhistleRouter } from './whistles/blow';
import { whistleUrgenciesRouter } from './whistles/urgencies';
import { whistlesRouter } from './whistles/routes';
import { supervisionRouter } from './supervision/routes';
import { refuseRevoked } from './tokens/revocations';
import { tokensRouter } from './tokens/routes';

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  // First: the request id is on every response and in every log line of the request (api/http/hardening.ts).
  app.use(requestIds);
  app.use(
    pinoHttp({
      logger: deps.log,
      // Paths only: no query strings, no bodies, no tokens in request logs.
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(securityHeaders);
  // A documented path asked with a method it does not have: 405 with Allow, before authentication (api/http/methods.ts).
  app.use(refuseUndocumentedMethods(() => openApiDocument()));
  const apiCors = corsFor(deps.config.CORS_ORIGINS);

  app.use(healthRouter(deps));
  app.get('/openapi.json', apiCors, (_req, res) => {
    res.json(openApiDocument(deps.config.PUBLIC_URL));
  });
  // The browsable API reference over /openapi.json (Redoc from node_modules), with its own CSP (api/reference/routes.ts).
  app.use(referenceRouter());
  app.use(metricsRouter(deps));
  // The Temporal UI's and CLI's codec server: its own CORS, body limit and authentication (api/codec/routes.ts).
  app.use('/codec', codecRouter(deps));
  // The web console (web/ built into web/dist): its own CSP; it calls /api like any client (api/console/routes.ts).
  app.get('/console', (req, res, next) => (req.originalUrl.split('?')[0] === '/console' ? res.redirect(301, '/console/') : next()));
  app.use('/console', consoleRouter(deps));

  app.use(
    '/api',
    noStore,
    apiCors,
    ...authenticateAndLimitWrites(authenticate(deps.auth), deps.config.RATE_LIMIT_WRITES_PER_MINUTE),
    // A revoked token (its jti, or its partner's tokens issued before a cutoff) is 401 on every request (api/tokens/).
    refuseRevoked(deps.database.db),
    // The one role check for every /api route: api/http/authorization.ts's table (no entry → 404).
    authorize(),
    requireJsonBody,
    express.json({ limit: deps.config.BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }),
  );
  app.use('/api/me', meRouter(deps));
  app.use('/api/cases', casesRouter(deps));
  app.use('/api/cases', blowWhistleRouter(deps));
  app.use('/api/cases', notificationsRouter(deps));
  app.use('/api/partner-replies', partnerRepliesRouter(deps));
  app.use('/api/whistles', whistlesRouter(deps));
  app.use('/api/whistle-urgencies', whistleUrgenciesRouter(deps));
  app.use('/api', assessmentRouter(deps));
  // The catalogue, stations and departments (api/master-data/routes.ts).
  app.use('/api', masterDataRouter(deps));
  app.use('/api/calendar', calendarRouter(deps));
  app.use('/api/partners', partnersRouter(deps));
  app.use('/api/supervision/alerts', supervisionAlertsRouter(deps));
  app.use('/api/supervision', supervisionRouter(deps));
  app.use('/api/tokens', tokensRouter(deps));
  app.use('/api/audit-events', auditRouter(deps));

  app.use(notFound);
  app.use(problemHandler(deps.log));
  return app;
}

export { registry };

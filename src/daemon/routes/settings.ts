/** `/api/v1/settings`: named values, by id or (with `?by=name`) by name, as in Cloudomation. */
import type { FastifyPluginCallback } from 'fastify';
import { SettingNotFoundError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import {
  byQuery,
  createSettingBody,
  errorResponses,
  keyParams,
  listSettingsQuery,
  pageOf,
  settingViewSchema,
  updateSettingBody,
} from '../schemas.js';
import { settingView } from '../views.js';

const tags = ['settings'];

interface KeyRequest {
  Params: { key: string };
  Querystring: { by: 'id' | 'name' };
}

export const settingRoutes: FastifyPluginCallback<{ rt: Runtime }> = (app, { rt }, done) => {
  app.post<{ Body: { name: string; value: unknown; updatedBy?: string } }>(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Create a setting',
        body: createSettingBody,
        response: { 201: settingViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, value, updatedBy } = request.body;
      const setting = await rt.settings.create(name, value, { ...(updatedBy !== undefined && { updatedBy }) });
      return reply.status(201).send(settingView(setting));
    },
  );

  app.get<{ Querystring: { prefix?: string; limit: number; cursor?: string } }>(
    '/settings',
    {
      schema: {
        tags,
        summary: 'List settings in name order, a page at a time',
        querystring: listSettingsQuery,
        response: { 200: pageOf(settingViewSchema), ...errorResponses },
      },
    },
    async (request) => {
      const page = await rt.settings.list(request.query);
      return { items: page.items.map(settingView), ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  );

  app.get<KeyRequest>(
    '/settings/:key',
    {
      schema: {
        tags,
        summary: 'Read a setting by id, or by name with ?by=name',
        params: keyParams,
        querystring: byQuery,
        response: { 200: settingViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { by } = request.query;
      const setting = await rt.settings.get(key, { by });
      if (!setting) throw new SettingNotFoundError(key, by);
      return settingView(setting);
    },
  );

  app.patch<KeyRequest & { Body: { value: unknown; expectedVersion?: number; updatedBy?: string } }>(
    '/settings/:key',
    {
      schema: {
        tags,
        summary: 'Write a setting whole; with expectedVersion, only if it is still at that version',
        params: keyParams,
        querystring: byQuery,
        body: updateSettingBody,
        response: { 200: settingViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { value, expectedVersion, updatedBy } = request.body;
      const setting = await rt.settings.update(request.params.key, value, {
        by: request.query.by,
        ...(expectedVersion !== undefined && { expectedVersion }),
        ...(updatedBy !== undefined && { updatedBy }),
      });
      return settingView(setting);
    },
  );

  app.delete<KeyRequest>(
    '/settings/:key',
    {
      schema: {
        tags,
        summary: 'Delete a setting',
        params: keyParams,
        querystring: byQuery,
        response: {
          200: { type: 'object', properties: { deleted: { type: 'boolean' } }, required: ['deleted'] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { by } = request.query;
      if (!(await rt.settings.delete(key, { by }))) throw new SettingNotFoundError(key, by);
      return { deleted: true };
    },
  );
  done();
};

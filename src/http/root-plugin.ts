// Plugins whose hooks, content-type parser, error handler and routes belong to
// the instance they are registered on (the root, in buildApp) instead of a
// context of their own: what fastify-plugin does, without the dependency.
// Fastify reads the two symbols (skip-override: no encapsulation; display-name:
// the plugin's name in its errors and in printPlugins()).
import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';

export function atRoot<O extends FastifyPluginOptions>(name: string, plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name });
}

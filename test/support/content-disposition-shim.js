/**
 * @fastify/static 10 (mounted by Swagger's UI at /api/docs) requires content-disposition 3,
 * which is ESM-only. Node 20.19+ can require() it at run time; jest's CommonJS module system
 * cannot. Only reply.download() uses it and no route calls that, so under jest this stand-in
 * takes its place (mapped in jest.config.js). Production loads the real package.
 */
module.exports = {
  create: (filename = 'download') => `attachment; filename="${String(filename).replace(/["\\]/g, '_')}"`,
};

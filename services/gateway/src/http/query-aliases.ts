import type { FastifyRequest } from 'fastify';
import { CloneType, Type, type TObject, type TProperties } from '@sinclair/typebox';
import { DomainError } from '@reelforge/contracts';

/**
 * Query parameters are camelCase, like body fields (`accountId`); the snake_case names the API first
 * shipped (`account_id`) stay as deprecated aliases (docs/architecture.md, API conventions).
 *
 * Given a route's documented query schema and `aliases` (deprecated name → documented name), returns
 * the schema to register (the documented parameters plus each alias, optional and marked
 * `deprecated`) and a route-level preValidation hook. The hook runs before the schema is checked: it
 * moves an alias's value onto the documented name and drops the alias, so the schema checks one
 * value and handlers read only the camelCase name. Both spellings with the same value are one
 * parameter; with different values the request is a 400, as there is no telling which was meant.
 */
export function withQueryAliases<P extends TProperties>(
  documented: TObject<P>,
  aliases: Readonly<Record<string, keyof P & string>>,
) {
  const properties: TProperties = { ...documented.properties };
  for (const [alias, name] of Object.entries(aliases)) {
    const description = `Deprecated spelling of \`${name}\`: use \`${name}\` (both may be sent only with the same value).`;
    properties[alias] = Type.Optional({ ...CloneType(documented.properties[name]!), deprecated: true, description });
  }
  // Typed as the documented schema: the hook below has moved every alias onto its documented name
  // before the schema is checked, so handlers see only the documented (camelCase) parameters.
  const querystring = Type.Object(properties, { additionalProperties: false }) as TObject<P>;
  const preValidation = async (req: FastifyRequest): Promise<void> => {
    const query = req.query as Record<string, unknown> | undefined;
    if (!query || typeof query !== 'object') return;
    for (const [alias, name] of Object.entries(aliases)) {
      if (!Object.hasOwn(query, alias)) continue;
      const value = query[alias];
      if (Object.hasOwn(query, name) && JSON.stringify(query[name]) !== JSON.stringify(value)) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `query parameters ${name} and ${alias} (its deprecated spelling) differ: send ${name} only`,
          { field: `querystring/${alias}` },
        );
      }
      query[name] = value;
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the alias is one of a fixed list
      delete query[alias];
    }
  };
  return { querystring, preValidation };
}

type Parameter = { deprecated?: boolean; schema?: { deprecated?: boolean } };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * @fastify/swagger keeps a query property's `deprecated` inside the parameter's schema only; OpenAPI
 * readers (the docs UI, client generators) look at the parameter's own `deprecated`. Sets it there.
 */
export function markDeprecatedParameters<D extends object>(doc: D): D {
  const paths = (doc as { paths?: unknown }).paths;
  for (const pathItem of Object.values(isObject(paths) ? paths : {})) {
    for (const operation of Object.values(isObject(pathItem) ? pathItem : {})) {
      const parameters =
        isObject(operation) && Array.isArray(operation.parameters) ? (operation.parameters as Parameter[]) : [];
      for (const parameter of parameters) if (parameter.schema?.deprecated === true) parameter.deprecated = true;
    }
  }
  return doc;
}

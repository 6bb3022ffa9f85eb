import { Type, type TString } from '@sinclair/typebox';

/** The error body every non-2xx response has (documented once, referenced by every route). */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

/** `{ [name]: uuid }`, typed by its name, so a handler reads `req.params.accountId` as a string. */
export const IdParam = <N extends string>(name: N) =>
  // A computed key widens to `string`; the object has exactly the one key `name`.
  Type.Object({ [name]: Type.String({ format: 'uuid' }) } as Record<N, TString>, { additionalProperties: false });

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  404: ErrorResponse,
  503: ErrorResponse,
};

/** `?limit=&cursor=` on every list; the cursor is opaque to clients. */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** The query schema of routes that take no query parameters. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

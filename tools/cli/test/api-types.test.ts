import { describe, expectTypeOf, it } from 'vitest';
import type { AccountView, ContentView, GenerationView, SourceView, TaskView } from '@reelforge/contracts';
import type { Account, Content, Generation, Source, Task } from '../src/api-types.ts';

/** The contract's enums built with `.map(Type.Literal)` are typed `string`: compare those fields as strings. */
type Widened<T> = { [K in keyof T]: T[K] extends string ? string : T[K] };

// The CLI declares only the parts of the answers it reads; the gateway's own contract must provide them
// (checked by the type checker: `npm run typecheck` fails when a field the CLI reads is renamed or retyped).
describe("the CLI's view of the API", () => {
  it('is a subset of the gateway contract', () => {
    expectTypeOf<AccountView>().toExtend<Account>();
    expectTypeOf<SourceView>().toExtend<Widened<Source>>();
    expectTypeOf<GenerationView>().toExtend<Widened<Generation>>();
    expectTypeOf<TaskView>().toExtend<Widened<Task>>();
    expectTypeOf<ContentView>().toExtend<Content>();
  });
});

// The rendered Locals/Arguments of a stop are kept for that stop (the DAP adapter asks for the top
// frame's ahead of the client): anything that may change a value drops them, so what a client sees
// after a write is the new value: an assignment evaluated in the frame, a variable set through the
// Variables view, a memory write, and a step.
import { fixture, leftoverTracees } from './helpers';
import { newSession } from './engine-helpers';
import type { Session } from '../src/engine/session';

jest.setTimeout(120000);

async function local(s: Session, name: string): Promise<string> {
  const frameId = await s.topFrameId();
  const scope = (await s.scopes(frameId)).find((x) => x.kind === 'locals')!;
  return (await s.variables(scope.variablesReference)).find((v) => v.name === name)!.value;
}

let s: Session;
afterAll(async () => {
  await s?.dispose();
  expect(leftoverTracees()).toEqual([]);
});

test('a write of any kind shows in the next Locals, the cache serves the unchanged ones', async () => {
  ({ s } = newSession());
  await s.loadProgram(fixture('demo'));
  await s.setBreakpoint({ location: 'demo.c:16' });
  await s.launch({ program: fixture('demo') });
  expect(await local(s, 'amounts')).toBe('{0, 0, 0, 0, 0}');
  // Asked twice at the same stop: the same answer (the second from the cache).
  expect(await local(s, 'amounts')).toBe('{0, 0, 0, 0, 0}');

  // An assignment evaluated in the frame (debug console, watch with a side effect).
  const frameId = await s.topFrameId();
  await s.evaluate('amounts[1] = 11', { frameId, context: 'repl' });
  expect(await local(s, 'amounts')).toBe('{0, 11, 0, 0, 0}');

  // The Variables view's setVariable on an element.
  const scope = (await s.scopes(frameId)).find((x) => x.kind === 'locals')!;
  const arr = (await s.variables(scope.variablesReference)).find((v) => v.name === 'amounts')!;
  await s.setVariable(arr.variablesReference, '[2]', '22');
  expect(await local(s, 'amounts')).toBe('{0, 11, 22, 0, 0}');

  // A memory write (readMemory/writeMemory requests).
  const addr = Number(BigInt((await s.evaluate('&amounts[3]', { frameId })).value.replace(/^\([^)]*\)\s*/, '').split(' ')[0]));
  await s.writeMemory(addr, Buffer.from([33, 0, 0, 0]));
  expect(await local(s, 'amounts')).toBe('{0, 11, 22, 33, 0}');

  // A step (line 16 initialises the array): the new stop's values.
  await s.next();
  expect(await local(s, 'amounts')).toBe('{10, 20, 30, 40, 50}');
});

// Injected API faults: matched per request before authentication, so a fault can hit Keystone too.
import { HttpError, compileRegex, type Ctx } from './http';
import { type Store } from './state';
import type { Fault, FaultSpec, Service } from './types';

const SERVICES: Service[] = ['identity', 'compute', 'network', 'image', 'volume'];

/** `times` is a count >= 1, or -1 for forever. */
export function checkTimes(times: unknown): void {
  if (times !== undefined && !(Number.isInteger(times) && ((times as number) >= 1 || times === -1))) {
    throw new HttpError(400, 'times must be an integer >= 1, or -1 for forever');
  }
}

export function addFault(store: Store, spec: FaultSpec): Fault {
  if (!SERVICES.includes(spec.service)) throw new HttpError(400, `service must be one of ${SERVICES.join(', ')}`);
  if (spec.pathRegex !== undefined) compileRegex(spec.pathRegex, 'pathRegex'); // fail now, not per request
  checkTimes(spec.times);
  if (spec.delayMs !== undefined && !(Number.isFinite(spec.delayMs) && spec.delayMs >= 0)) throw new HttpError(400, 'delayMs must be a number >= 0');
  if (spec.status !== undefined && !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)) throw new HttpError(400, 'status must be an HTTP status');
  if (spec.probability !== undefined && !(typeof spec.probability === 'number' && spec.probability > 0 && spec.probability <= 1)) {
    throw new HttpError(400, 'probability must be a number > 0 and <= 1');
  }
  const fault: Fault = { ...spec, times: spec.times ?? 1, id: store.newAdminId('fault'), hits: 0 };
  store.faults.push(fault);
  return fault;
}

/** Takes the first live fault matching this request, counting it down. */
function take(store: Store, ctx: Ctx): Fault | undefined {
  const f = store.faults.find(
    (x) =>
      x.service === ctx.service &&
      (!x.method || x.method.toUpperCase() === ctx.method) &&
      (!x.pathRegex || new RegExp(x.pathRegex).test(ctx.path)) &&
      // drawn last, so only for a request the fault matches; a spared one may meet a later fault
      (x.probability === undefined || Math.random() < x.probability),
  );
  if (!f) return undefined;
  f.hits++;
  if (f.times !== -1 && f.hits >= (f.times ?? 1)) store.faults = store.faults.filter((x) => x !== f);
  return f;
}

/**
 * Applies a matching fault. Returns true when the fault has answered (or will never answer) the
 * request; false when the request should be served normally (no fault, or a pure delay).
 */
export async function applyFault(ctx: Ctx): Promise<boolean> {
  const f = take(ctx.store, ctx);
  if (!f) return false;
  if (f.hang) {
    // Read and drop the body so the client's upload does not stall on backpressure; never answer.
    ctx.req.resume();
    return true;
  }
  if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
  if (f.status === undefined && f.delayMs) return false;
  const status = f.status ?? 500;
  const body = f.body === undefined ? `Injected fault ${f.id}: ${status}` : (f.body ?? '');
  ctx.req.resume();
  if (!ctx.res.headersSent) {
    const looksJson = /^\s*[[{]/.test(body);
    ctx.res.writeHead(status, {
      'Content-Length': String(Buffer.byteLength(body)),
      ...(body ? { 'Content-Type': looksJson ? 'application/json' : 'text/html; charset=UTF-8' } : {}),
    });
    ctx.res.end(body);
  }
  return true;
}

// Small HTTP helpers: RFC 7231 dates (Last-Modified, Expires, If-Modified-Since) and writing a
// complete response.
import { type ServerResponse } from 'node:http';

/** "Mon, 23 Nov 2026 15:10:04 GMT" for seconds since the epoch (whole seconds, as HTTP dates are). */
export const httpDate = (seconds: number): string => new Date(Math.floor(seconds) * 1000).toUTCString();

/** Seconds since the epoch, or null for a missing or unparsable date. */
export function parseHttpDate(value: string | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export const TEXT = 'text/plain; charset=UTF-8';
export const JSON_TYPE = 'application/json';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends a reply; HEAD gets the headers only. */
export function send(res: ServerResponse, reply: Reply, head: boolean): void {
  const body = reply.body ?? '';
  const headers: Record<string, string | number> = { 'Access-Control-Allow-Origin': '*', ...reply.headers };
  if (reply.status !== 304) headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(reply.status, headers);
  res.end(head || reply.status === 304 ? undefined : body);
}

export const textReply = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'Content-Type': TEXT, ...headers },
  body,
});

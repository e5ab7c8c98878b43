/**
 * What the HTTP listener bounds before Fastify sees a request (D9): connections per
 * address, and the answers to what Node's HTTP parser refuses (a malformed request,
 * headers too large, a request too slow) in the API's error shape.
 */
import http from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { AddressSlots } from '../auth/rate-limit.js';

/**
 * Closes, before reading a byte, each connection past `max` open from one address. A
 * 429 would cost the very resources the limit protects (the socket, its parser, a
 * request); a client over the limit sees its connection closed at once.
 */
export function limitConnectionsPerAddress(server: Server, max: number, refused: () => void): void {
  const slots = new AddressSlots(max);
  server.on('connection', (socket: Duplex & { remoteAddress?: string }) => {
    const address = socket.remoteAddress ?? '';
    if (!slots.claim(address)) {
      refused();
      socket.destroy();
      return;
    }
    socket.once('close', () => slots.release(address));
  });
}

/** A complete HTTP response in the API's error shape, for the places that write raw bytes. */
export function rawErrorResponse(status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** What Node's parser reports about a connection, answered in the API's shape and closed. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let response: string;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') response = rawErrorResponse(408, 'REQUEST_TIMEOUT', 'the request was not received in time');
  else if (err.code === 'HPE_HEADER_OVERFLOW') response = rawErrorResponse(431, 'HEADERS_TOO_LARGE', 'the request headers are too large');
  else if (err.code === 'HPE_URI_TOO_LONG' ) response = rawErrorResponse(414, 'URI_TOO_LONG', 'the request URL is too long');
  else response = rawErrorResponse(400, 'INVALID_INPUT', 'the request is not valid HTTP');
  if (socket.writable) socket.write(response);
  socket.destroy();
}
